// The neighbourhood: every nara this node knows, as cards, with sort and filters kept in the
// URL's query (?status=&q=&sort=) so a filtered view can be bookmarked or shared.

import { useEffect, useState } from 'preact/hooks';
import { Avatar } from '../components/Avatar.jsx';
import { Ago, Empty, ErrorPanel, Loading, StatusBadge } from '../components/ui.jsx';
import { SORTS, STATUS_LABEL, countStatuses, duration, selectNaras, statusKey } from '../format.js';
import { useTitle } from '../hooks.js';
import { Link, profilePath, setQuery } from '../router.jsx';
import { refresh, useNeighbourhood } from '../store.js';

const FILTERS = ['all', 'online', 'missing', 'offline'];
const FLASH_MS = 2500;

function NaraCard({ nara, flash }) {
  const status = statusKey(nara.Online);
  return (
    <li
      class={`card nara-card nara-card--${status}${nara.IsSelf ? ' nara-card--self' : ''}${flash ? ' nara-card--flash' : ''}`}
      data-testid="nara-card"
      data-name={nara.Name}
      data-status={nara.Online || ''}
    >
      <div class="nara-card__band" aria-hidden="true">
        <Band primary={nara.Aura} secondary={nara.AuraSecondary} />
      </div>
      <div class="nara-card__head">
        <Avatar name={nara.Name} primary={nara.Aura} secondary={nara.AuraSecondary} online={nara.Online} size={60} />
        <div class="nara-card__id">
          <h2 class="nara-card__name">
            <Link href={profilePath(nara.Name)} class="stretched">
              {nara.Name}
            </Link>
            {nara.IsSelf && (
              <span class="you" title="This is the node you are looking at">
                you
              </span>
            )}
          </h2>
          <div class="nara-card__flair" title="Flair">
            {nara.Flair || '\u00a0'}
            {nara.TrendEmoji && (
              <span class="trend" title={nara.Trend ? `Follows ${nara.Trend}` : 'Trend'}>
                {' '}
                {nara.TrendEmoji}
              </span>
            )}
          </div>
        </div>
        <StatusBadge online={nara.Online} />
      </div>
      <dl class="stats">
        <div>
          <dt>Uptime</dt>
          <dd>{duration(nara.Uptime)}</dd>
        </div>
        <div>
          <dt>Restarts</dt>
          <dd>{nara.Restarts ?? 0}</dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd>
            <Ago ts={nara.LastSeen} />
          </dd>
        </div>
      </dl>
    </li>
  );
}

/** The aura as a thin gradient band on top of the card (SVG, so no inline style is needed). */
function Band({ primary, secondary }) {
  const [a, b] = [primary || '#8B8FA3', secondary || primary || '#8B8FA3'];
  const id = `band-${(a + b).replace(/[^a-zA-Z0-9]/g, '')}`;
  return (
    <svg width="100%" height="6" preserveAspectRatio="none" viewBox="0 0 100 6" focusable="false">
      <defs>
        <linearGradient id={id}>
          <stop offset="0" stop-color={a} />
          <stop offset="1" stop-color={b} />
        </linearGradient>
      </defs>
      <rect width="100" height="6" fill={`url(#${id})`} />
    </svg>
  );
}

function readQuery(search) {
  const q = new URLSearchParams(search);
  const status = FILTERS.includes(q.get('status')) ? q.get('status') : 'all';
  const sort = SORTS[q.get('sort')] ? q.get('sort') : 'name';
  return { status, sort, query: q.get('q') || '' };
}

export function Neighbourhood({ search }) {
  const snap = useNeighbourhood();
  const [opts, setOpts] = useState(() => readQuery(search));
  useTitle(snap.server ? `${snap.server}'s neighbourhood` : 'Neighbourhood');

  // Keep the flash class only briefly after a live status change.
  const [, setTick] = useState(0);
  useEffect(() => {
    const t = setTimeout(() => setTick((x) => x + 1), FLASH_MS);
    return () => clearTimeout(t);
  }, [snap.changed]);

  const update = (patch) => {
    const next = { ...opts, ...patch };
    setOpts(next);
    setQuery({
      status: next.status !== 'all' ? next.status : '',
      q: next.query,
      sort: next.sort !== 'name' ? next.sort : '',
    });
  };

  const counts = countStatuses(snap.naras);
  const shown = selectNaras(snap.naras, opts);
  const now = Date.now();

  return (
    <section class="view" aria-labelledby="view-title">
      <header class="view__head">
        <div>
          <h1 id="view-title" tabIndex={-1}>
            Neighbourhood
          </h1>
          <p class="lede">
            {snap.loaded ? (
              <>
                {counts.all} {counts.all === 1 ? 'nara' : 'naras'} known to <strong>{snap.server || 'this node'}</strong>
                {' · '}
                <span class="tone-online">{counts.online} online</span>
                {counts.missing > 0 && (
                  <>
                    {' · '}
                    <span class="tone-missing">{counts.missing} missing</span>
                  </>
                )}
                {counts.offline > 0 && (
                  <>
                    {' · '}
                    <span class="tone-offline">{counts.offline} offline</span>
                  </>
                )}
              </>
            ) : (
              'Everyone this nara has met on the plaza.'
            )}
          </p>
        </div>
      </header>

      <div class="toolbar" role="search" aria-label="Filter naras">
        <div class="segmented" role="group" aria-label="Filter by status">
          {FILTERS.map((f) => (
            <button
              type="button"
              key={f}
              class={`segmented__btn${opts.status === f ? ' is-active' : ''}${f !== 'all' ? ' tone-' + f : ''}`}
              aria-pressed={opts.status === f ? 'true' : 'false'}
              onClick={() => update({ status: f })}
              data-testid={`filter-${f}`}
            >
              {f === 'all' ? 'All' : STATUS_LABEL[f]}
              <span class="count">{counts[f]}</span>
            </button>
          ))}
        </div>
        <div class="toolbar__fields">
          <label class="field field--search">
            <span class="visually-hidden">Filter by name</span>
            <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false" class="field__icon">
              <circle cx="7" cy="7" r="4.8" fill="none" stroke="currentColor" stroke-width="1.6" />
              <path d="M10.6 10.6 14 14" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
            </svg>
            <input
              type="search"
              placeholder="Filter by name"
              value={opts.query}
              onInput={(e) => update({ query: e.currentTarget.value })}
              autocomplete="off"
              spellcheck={false}
              data-testid="name-filter"
            />
          </label>
          <label class="field field--select">
            <span class="field__label">Sort</span>
            <select value={opts.sort} onChange={(e) => update({ sort: e.currentTarget.value })} data-testid="sort">
              {Object.entries(SORTS).map(([k, v]) => (
                <option key={k} value={k}>
                  {v.label}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>

      {!snap.loaded && !snap.error && <Loading label="Looking around the neighbourhood…" />}
      {snap.error && !snap.loaded && <ErrorPanel title="Could not load the neighbourhood" message={snap.error} onRetry={refresh} />}
      {snap.error && snap.loaded && (
        <p class="notice" role="status">
          Showing the last known state: {snap.error}
        </p>
      )}
      {snap.loaded && shown.length === 0 && (
        <Empty>
          {snap.naras.length === 0 ? (
            'Nobody here yet. Naras appear as soon as they say hey on the plaza.'
          ) : (
            <>
              No nara matches these filters.{' '}
              <button type="button" class="linklike" onClick={() => update({ status: 'all', query: '' })}>
                Clear filters
              </button>
            </>
          )}
        </Empty>
      )}
      {shown.length > 0 && (
        <ul class="grid" aria-label="Naras" data-testid="nara-list">
          {shown.map((n) => (
            <NaraCard key={n.Name} nara={n} flash={snap.changed[n.Name] && now - snap.changed[n.Name] < FLASH_MS} />
          ))}
        </ul>
      )}
    </section>
  );
}
