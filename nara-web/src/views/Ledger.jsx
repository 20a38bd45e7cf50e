// The raw ledger (the timeline's second tab): the newest page of ledger events from
// {base}/api/inspector/events, then every event the stream delivers prepended, newest first,
// de-duplicated by event id. Heartbeats included: this is the record, not the story.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { EventRow } from '../components/EventRow.jsx';
import { Empty, ErrorPanel, Loading } from '../components/ui.jsx';
import { getJSON } from '../base.js';
import { mergeEvents, normaliseEvent } from '../format.js';
import { useLive } from '../hooks.js';
import { live, LEDGER_SERVICES } from '../live.js';
import { setQuery } from '../router.jsx';

const PAGE = 50;
const MAX_ITEMS = 1000;
const SERVICES = LEDGER_SERVICES.filter((s) => s !== 'message');

export function LedgerFeed({ search }) {
  const initialService = new URLSearchParams(search).get('service') || '';
  const [service, setService] = useState(SERVICES.includes(initialService) ? initialService : '');
  const [items, setItems] = useState(null);
  const [fresh, setFresh] = useState(() => new Set());
  const [hasMore, setHasMore] = useState(false);
  const [total, setTotal] = useState(null);
  const [error, setError] = useState(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const serviceRef = useRef(service);
  serviceRef.current = service;

  const load = useCallback(async (svc, signal) => {
    try {
      const q = new URLSearchParams({ limit: String(PAGE), offset: '0' });
      if (svc) q.set('service', svc);
      const body = await getJSON(`/api/inspector/events?${q}`, { signal });
      const page = (body.events || []).map((e) => normaliseEvent(e)).filter(Boolean);
      // Events the stream delivered before this page arrived may be missing from it (or in it).
      const buffered = live.recent.filter((e) => !svc || e.service === svc);
      const pageIds = new Set(page.map((e) => e.id));
      const oldestPageTs = page.length >= PAGE ? page[page.length - 1].ts : 0;
      const extra = buffered.filter((e) => !pageIds.has(e.id) && e.ts >= oldestPageTs);
      setItems(mergeEvents(extra, page, MAX_ITEMS));
      setHasMore(!!body.has_more);
      setTotal(Number.isFinite(body.total) ? body.total : null);
      setError(null);
    } catch (err) {
      if (err.name === 'AbortError') return;
      setError(err.message || String(err));
    }
  }, []);

  useEffect(() => {
    const ac = new AbortController();
    setItems(null);
    load(service, ac.signal);
    return () => ac.abort();
  }, [service]);

  useLive('event', (ev) => {
    if (serviceRef.current && ev.service !== serviceRef.current) return;
    setItems((old) => (old ? mergeEvents([ev], old, MAX_ITEMS) : old));
    setTotal((t) => (t == null ? t : t + 1));
    setFresh((f) => new Set(f).add(ev.id));
  });
  useLive('resync', ({ reset }) => {
    if (reset) load(serviceRef.current);
  });

  const loadMore = async () => {
    if (!items) return;
    setLoadingMore(true);
    try {
      const q = new URLSearchParams({ limit: String(PAGE), offset: String(items.length) });
      if (service) q.set('service', service);
      const body = await getJSON(`/api/inspector/events?${q}`);
      const page = (body.events || []).map((e) => normaliseEvent(e)).filter(Boolean);
      setItems((old) => mergeEvents(old || [], page, MAX_ITEMS));
      setHasMore(!!body.has_more && page.length > 0);
    } catch (err) {
      setError(err.message || String(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const changeService = (svc) => {
    setService(svc);
    setQuery({ view: 'ledger', service: svc });
  };

  return (
    <>
      <p class="lede">Every signed event this nara holds, newest first{total != null ? ` · ${total.toLocaleString()} in the ledger` : ''}.</p>
      <div class="toolbar">
        <label class="field field--select">
          <span class="field__label">Service</span>
          <select value={service} onChange={(e) => changeService(e.currentTarget.value)} data-testid="service-filter">
            <option value="">All services</option>
            {SERVICES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>

      {!items && !error && <Loading label="Reading the ledger…" />}
      {error && !items && <ErrorPanel title="Could not load the timeline" message={error} onRetry={() => load(service)} />}
      {items && items.length === 0 && <Empty>Nothing has happened yet{service ? ` for ${service}` : ''}. New events will appear here as they arrive.</Empty>}
      {items && items.length > 0 && (
        <ol class="feed" aria-label="Events, newest first" data-testid="ledger">
          {items.map((e) => (
            <EventRow key={e.id} ev={e} testid="ledger-item" fresh={fresh.has(e.id)} />
          ))}
        </ol>
      )}
      {items && hasMore && items.length < MAX_ITEMS && (
        <div class="more">
          <button type="button" class="btn" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load older events'}
          </button>
        </div>
      )}
      {error && items && (
        <p class="notice" role="status">
          {error}
        </p>
      )}
    </>
  );
}
