// The neighbourhood: every nara this node knows, as cards, with sort and filters kept in the
// URL's query (?status=&q=&sort=&stale=) so a filtered view can be bookmarked or shared.
// Naras this node has not seen for 24 h are hidden unless ?stale=1 (the toggle above the cards).

import { memo } from 'preact/compat';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Avatar } from '../components/Avatar.jsx';
import { Ago, Empty, ErrorPanel, Loading, StatusBadge } from '../components/ui.jsx';
import {
  SORTS,
  STATUS_LABEL,
  availability,
  countStatuses,
  duration,
  heartbeatBuckets,
  percent,
  STALE_AFTER,
  selectNaras,
  splitStale,
  statusFor,
  statusKey,
} from '../format.js';
import { useNow, useTitle } from '../hooks.js';
import { Link, profilePath, setQuery } from '../router.jsx';
import { refresh, useNeighbourhood } from '../store.js';

const FILTERS = ['all', 'online', 'missing', 'offline'];
const FLASH_MS = 2500;
const PAGE = 120; // cards drawn at once; more on request (a 1,000-nara roster stays responsive)
const DAY = 86400;

/** The last hour in 30 two-minute beats: worst status of each, grey before this node knew. */
export function Heartbeats({ history, now }) {
  const beats = heartbeatBuckets(history, now, 30, 120);
  const label = `Last hour: ${beats.filter((b) => b.status === 'online').length} of 30 beats online`;
  return (
    <svg class="beats" viewBox="0 0 300 14" width="100%" height="14" preserveAspectRatio="none" role="img" aria-label={label} data-testid="heartbeats">
      {beats.map((b, i) => (
        <rect key={i} class={`beat beat--${b.status}`} x={i * 10 + 1} y="1" width="8" height="12" rx="2" />
      ))}
    </svg>
  );
}

function Availability({ history, now, window, label }) {
  const a = availability(history, now, window);
  if (!a) return <dd>—</dd>;
  const watched = a.coverage < 0.99 ? ` (watched ${duration(Math.round(a.coverage * window))})` : '';
  return <dd title={`Online ${percent(a.ratio)} of the time this node watched it over the last ${label}${watched}`}>{percent(a.ratio)}</dd>;
}

// Memoised: a frame replaces only the changed cards, so the others keep their identity and skip
// re-rendering. `now` is passed as a coarse tick (every 10 s) for the same reason.
const NaraCard = memo(function NaraCard({ nara, flash, now }) {
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
          <div class="nara-card__flair" title="Flair: a string of emoji about the nara — its gemstone, its machine (Pi, NixOS, Kubernetes), its load and uptime, its trend and a personal one">
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
      <p class="nara-card__since" data-testid="status-for">
        {statusFor(nara, now) || '\u00a0'}
      </p>
      <Heartbeats history={nara.History} now={now} />
      <dl class="stats">
        <div>
          <dt>24 h</dt>
          <Availability history={nara.History} now={now} window={DAY} label="24 h" />
        </div>
        <div>
          <dt>7 d</dt>
          <Availability history={nara.History} now={now} window={7 * DAY} label="7 days" />
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
});

/** This node: who it is, where its plaza is, how long it has been up, how many it knows. */
function ThisNode({ node, plaza, counts, now }) {
  if (!node) return null;
  return (
    <section class="panel this-node" aria-labelledby="h-this-node" data-testid="this-node">
      <h2 id="h-this-node">This node</h2>
      <dl class="kv">
        <div>
          <dt>Name</dt>
          <dd>{node.name}</dd>
        </div>
        <div>
          <dt>ID</dt>
          <dd>
            <code>{node.id}</code>
          </dd>
        </div>
        <div>
          <dt>Broker</dt>
          <dd>{node.broker ? <code>{node.broker}</code> : 'none (alone)'}</dd>
        </div>
        <div>
          <dt>Plaza</dt>
          <dd data-testid="this-node-plaza">{plaza ? plaza.state : '—'}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{node.version || '—'}</dd>
        </div>
        <div>
          <dt>Up</dt>
          <dd>{node.started ? duration(Math.max(1, now - node.started)) : '—'}</dd>
        </div>
        <div>
          <dt>Peers</dt>
          <dd>
            {counts.all - 1} known · {Math.max(0, counts.online - 1)} online
            {node.max_naras ? <span class="hint"> (keeps at most {node.max_naras})</span> : null}
          </dd>
        </div>
      </dl>
    </section>
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
  return { status, sort, query: q.get('q') || '', stale: q.get('stale') === '1' };
}

export function Neighbourhood({ search }) {
  const snap = useNeighbourhood();
  const [opts, setOpts] = useState(() => readQuery(search));
  const [limit, setLimit] = useState(PAGE);
  const tick = Math.floor(useNow() / 10) * 10;
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
      stale: next.stale ? '1' : '',
    });
  };

  // Staleness moves with the coarse tick, so a nara slips out of view without a new frame.
  const split = useMemo(() => splitStale(snap.naras, tick), [snap.naras, tick]);
  const visible = opts.stale ? snap.naras : split.fresh;
  const counts = useMemo(() => countStatuses(snap.naras), [snap.naras]);
  const visibleCounts = useMemo(() => countStatuses(visible), [visible]);
  const matching = useMemo(() => selectNaras(visible, opts), [visible, opts]);
  const shown = matching.length > limit ? matching.slice(0, limit) : matching;
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

      <ThisNode node={snap.node} plaza={snap.plaza} counts={counts} now={tick} />

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
              <span class="count">{visibleCounts[f]}</span>
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
          <label class="field field--check" title={`Naras this node last saw more than ${STALE_AFTER / 3600} h ago are hidden unless this is on`}>
            <input type="checkbox" checked={opts.stale} onChange={(e) => update({ stale: e.currentTarget.checked })} data-testid="show-stale" />
            <span data-testid="show-stale-label">
              show {split.stale.length} {split.stale.length === 1 ? 'nara' : 'naras'} not seen for 24 h
            </span>
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
            <NaraCard key={n.Name} nara={n} now={tick} flash={!!snap.changed[n.Name] && now - snap.changed[n.Name] < FLASH_MS} />
          ))}
        </ul>
      )}
      {matching.length > shown.length && (
        <div class="more">
          <button type="button" class="btn" onClick={() => setLimit(limit + PAGE)} data-testid="show-more">
            Show {Math.min(PAGE, matching.length - shown.length)} more of {matching.length - shown.length}
          </button>
        </div>
      )}
    </section>
  );
}
