// One nara's profile ({base}/profile/{name}.json): personality, aura, host stats, identity,
// status history from the ledger ({base}/api/inspector/events?subject=) and its observations.
// Live events about this nara are prepended to the history and trigger a debounced refetch.
// Where restarts / uptime / first start come from ({base}/api/inspector/uptime/{name}:
// baseline_source) and, when a checkpoint is the baseline, the checkpoint and its voters
// ({base}/api/inspector/checkpoint/{name}, asked only then, so no 404 for the common case).

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Avatar } from '../components/Avatar.jsx';
import { Ago, CopyButton, Empty, ErrorPanel, Loading, StatusBadge } from '../components/ui.jsx';
import { getJSON } from '../base.js';
import {
  STATUS_LABEL,
  absoluteTime,
  duration,
  impliedStatus,
  mergeEvents,
  normaliseEvent,
  num,
  safeColour,
  statusKey,
  luminance,
} from '../format.js';
import { useLive, useNow, useTitle } from '../hooks.js';
import { Link, profilePath } from '../router.jsx';
import { EventRow } from '../components/EventRow.jsx';
import { Teases } from '../teases.jsx';

const TRAITS = [
  ['Agreeableness', 'How readily it goes along with others'],
  ['Sociability', 'How much it seeks company'],
  ['Chill', 'How calmly it takes things'],
];

function useDebounced(fn, ms) {
  const timer = useRef(null);
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => ref.current(), ms);
  }, [ms]);
}

export function Profile({ name }) {
  const [profile, setProfile] = useState(null);
  const [error, setError] = useState(null);
  const [history, setHistory] = useState(null);
  const [historyError, setHistoryError] = useState(null);
  const [prov, setProv] = useState(null); // {source, checkpoint, error}
  useTitle(name);

  const loadProvenance = useCallback(
    async (signal) => {
      try {
        const up = await getJSON(`/api/inspector/uptime/${encodeURIComponent(name)}`, { signal });
        const source = up && up.baseline_source === 'checkpoint' ? 'checkpoint' : 'observations';
        let checkpoint = null;
        if (source === 'checkpoint') {
          try {
            checkpoint = await getJSON(`/api/inspector/checkpoint/${encodeURIComponent(name)}`, { signal });
          } catch (err) {
            if (err.name === 'AbortError') return;
            if (err.status !== 404) throw err; // forgotten between the two requests: no card
          }
        }
        setProv({ source, checkpoint, error: null });
      } catch (err) {
        if (err.name === 'AbortError') return;
        setProv((old) => ({ ...(old || { source: null, checkpoint: null }), error: err.message || String(err) }));
      }
    },
    [name],
  );

  const loadProfile = useCallback(
    async (signal) => {
      try {
        const p = await getJSON(`/profile/${encodeURIComponent(name)}.json`, { signal });
        setProfile(p);
        setError(null);
        return true;
      } catch (err) {
        if (err.name === 'AbortError') return;
        setError(err);
      }
    },
    [name],
  );

  const loadHistory = useCallback(
    async (signal) => {
      try {
        const q = new URLSearchParams({ subject: name, limit: '100' });
        const body = await getJSON(`/api/inspector/events?${q}`, { signal });
        const evs = (body.events || []).map((e) => normaliseEvent(e)).filter(Boolean);
        setHistory((old) => mergeEvents(old ? old.filter((e) => e.live) : [], evs, 300));
        setHistoryError(null);
      } catch (err) {
        if (err.name === 'AbortError') return;
        setHistoryError(err.message || String(err));
      }
    },
    [name],
  );

  useEffect(() => {
    setProfile(null);
    setError(null);
    setHistory(null);
    setProv(null);
    const ac = new AbortController();
    // The provenance only for a nara the node knows (an unknown name would 404 twice).
    loadProfile(ac.signal).then((ok) => ok && loadProvenance(ac.signal));
    loadHistory(ac.signal);
    return () => ac.abort();
  }, [name]);

  const refetch = useDebounced(() => loadProfile(), 700);
  const refetchProvenance = useDebounced(() => loadProvenance(), 700);

  useLive('event', (ev) => {
    if (ev.service === 'checkpoint') refetchProvenance(); // a final may be about this nara
    if (ev.emitter === name || ev.subjects.includes(name)) {
      setHistory((old) => mergeEvents([{ ...ev, live: true }], old || [], 300));
      refetch();
    } else if (profile && profile.observations && profile.observations[ev.emitter] !== undefined) {
      refetch();
    }
  });
  useLive('status', (s) => {
    if (s.name === name) {
      setProfile((p) => (p ? { ...p, online: s.online } : p));
      refetch();
    }
  });
  useLive('resync', ({ first }) => {
    if (first) return; // the mount already loaded both
    loadProfile();
    loadHistory();
    loadProvenance();
  });

  if (error && !profile) {
    if (error.status === 404) {
      return (
        <section class="view" aria-labelledby="view-title">
          <BackLink />
          <div class="state state--empty">
            <h1 id="view-title" tabIndex={-1} data-testid="profile-name">
              {name}
            </h1>
            <p>No nara by that name is known here. It may never have said hey, or it was forgotten.</p>
            <Link href="/" class="btn">
              Back to the neighbourhood
            </Link>
          </div>
        </section>
      );
    }
    return (
      <section class="view" aria-labelledby="view-title">
        <BackLink />
        <h1 id="view-title" tabIndex={-1} data-testid="profile-name">
          {name}
        </h1>
        <ErrorPanel title="Could not load this profile" message={error.message} onRetry={() => loadProfile()} />
      </section>
    );
  }

  if (!profile) {
    return (
      <section class="view" aria-labelledby="view-title">
        <BackLink />
        <h1 id="view-title" tabIndex={-1} class="visually-hidden">
          {name}
        </h1>
        <Loading label={`Loading ${name}…`} />
      </section>
    );
  }

  return <ProfileBody p={profile} name={name} history={history} historyError={historyError} prov={prov} />;
}

function BackLink() {
  return (
    <nav class="crumbs" aria-label="Breadcrumb">
      <Link href="/" class="crumbs__back">
        <span aria-hidden="true">←</span> Neighbourhood
      </Link>
    </nav>
  );
}

function ProfileBody({ p, name, history, historyError, prov }) {
  const aura = p.aura || {};
  const c1 = safeColour(aura.primary, '#8B8FA3');
  const c2 = safeColour(aura.secondary, c1);
  const status = statusKey(p.online);
  const now = useNow();
  const uptime = p.online === 'ONLINE' && p.last_restart ? Math.max(0, now - p.last_restart) : 0;
  const hs = p.host_stats || {};
  // Aura colours reach CSS as custom properties through the CSSOM (allowed by the CSP).
  const auraVars = { '--aura-1': c1, '--aura-2': c2 };

  return (
    <section class="view profile" aria-labelledby="view-title" style={auraVars}>
      <BackLink />
      <header class={`hero hero--${status}`}>
        <div class="hero__wash" aria-hidden="true" />
        <Avatar name={p.name || name} primary={c1} secondary={c2} online={p.online} size={112} decorative={false} />
        <div class="hero__text">
          <div class="hero__title">
            <h1 id="view-title" tabIndex={-1} data-testid="profile-name">
              {p.name || name}
            </h1>
            {p.is_self && <span class="you">you</span>}
            <StatusBadge online={p.online} size="large" />
          </div>
          <p class="hero__flair">
            <span title="Flair: a string of emoji about the nara — its gemstone, its machine (Pi, NixOS, Kubernetes), its load and uptime, its trend and a personal one">{p.flair}</span>
            {p.license_plate && (
              <span class="plate" title="License plate">
                {p.license_plate}
              </span>
            )}
            {p.trend && (
              <span class="chip" title="Trend it follows">
                {p.trend_emoji} {p.trend}
              </span>
            )}
          </p>
          <p class="hero__meta">
            <span>
              Last seen <Ago ts={p.last_seen} />
            </span>
            {uptime > 0 && <span>Up {duration(uptime)}</span>}
            <span>
              {p.restarts ?? 0} {p.restarts === 1 ? 'restart' : 'restarts'}
            </span>
            {p.start_time > 0 && <span title={absoluteTime(p.start_time)}>First start {new Date(p.start_time * 1000).toLocaleDateString()}</span>}
          </p>
          <Provenance prov={prov} />
        </div>
      </header>

      <div class="panels">
        <section class="panel" aria-labelledby="h-personality">
          <h2 id="h-personality">Personality</h2>
          <ul class="bars">
            {TRAITS.map(([trait, hint]) => {
              const v = Math.max(0, Math.min(99, Number((p.personality || {})[trait]) || 0));
              return (
                <li key={trait} title={hint}>
                  <div class="bars__label">
                    <span>{trait}</span>
                    <span class="bars__value">{v}</span>
                  </div>
                  <div class="bar" role="meter" aria-label={trait} aria-valuemin={0} aria-valuemax={99} aria-valuenow={v}>
                    <div class="bar__fill" style={{ width: `${Math.max(2, v)}%` }} />
                  </div>
                </li>
              );
            })}
          </ul>
          <dl class="kv kv--inline">
            <div title="How often it posts its newspaper (its status) on the plaza: 100: every 30 s … 0: every 5 min">
              <dt>Chattiness</dt>
              <dd>{p.chattiness ?? '—'}</dd>
            </div>
            <div title="How lively its neighbourhood is right now: goes up with every hey, goodbye and change it sees, and fades back">
              <dt>Buzz</dt>
              <dd>{p.buzz ?? '—'}</dd>
            </div>
          </dl>
          <p class="hint">
            <strong>Chattiness</strong>: how often it posts its status on the plaza. <strong>Buzz</strong>: how lively its neighbourhood is now; it rises with every hey, goodbye and change and fades back. <strong>Flair</strong>: emoji about the nara: its gemstone, its machine, its load and uptime, its trend and a personal one. Chattiness 100 posts every 30 s, 0 every 5 min.
          </p>
        </section>

        <section class="panel" aria-labelledby="h-aura">
          <h2 id="h-aura">Aura</h2>
          <div class="aura">
            <div class="aura__blend" aria-hidden="true" />
            <div class="swatches">
              <Swatch label="Primary" colour={c1} />
              <Swatch label="Secondary" colour={c2} />
            </div>
          </div>
        </section>

        <Teases name={p.name || name} />
        <section class="panel panel--wide" aria-labelledby="h-history">
          <h2 id="h-history">Status history</h2>
          <History events={history} error={historyError} name={p.name || name} now={now} />
        </section>

        {prov && prov.checkpoint && (
          <section class="panel panel--wide" aria-labelledby="h-checkpoint" data-testid="checkpoint-card">
            <h2 id="h-checkpoint">Checkpoint</h2>
            <CheckpointCard detail={prov.checkpoint} name={p.name || name} />
          </section>
        )}

        <section class="panel" aria-labelledby="h-host">
          <h2 id="h-host">Host</h2>
          <dl class="kv">
            {/* Only what this nara reports: a Python nara has no Go heap, stack or goroutines,
                and a 0 there would be a made-up figure. */}
            {hs.Uptime > 0 && <KV k="Host uptime" v={duration(hs.Uptime)} />}
            {hs.LoadAvg > 0 && <KV k="Load average" v={num(hs.LoadAvg, 2)} />}
            {hs.ProcCPUPercent > 0 && <KV k="CPU" v={`${num(hs.ProcCPUPercent, 1)} %`} />}
            {hs.MemSysMB > 0 && <KV k="Memory (system)" v={mb(hs.MemSysMB)} />}
            {hs.MemHeapMB > 0 && <KV k="Heap" v={mb(hs.MemHeapMB)} />}
            {hs.MemAllocMB > 0 && <KV k="Allocated" v={mb(hs.MemAllocMB)} />}
            {hs.MemStackMB > 0 && <KV k="Stack" v={mb(hs.MemStackMB)} />}
            {hs.NumGoroutines > 0 && <KV k="Goroutines" v={hs.NumGoroutines} />}
            {hs.NumGC > 0 && <KV k="GC cycles" v={hs.NumGC} />}
          </dl>
          {!(hs.Uptime > 0 || hs.LoadAvg > 0 || hs.MemSysMB > 0 || hs.ProcCPUPercent > 0) && <p class="hint">This nara reports no host figures.</p>}
        </section>

        <section class="panel" aria-labelledby="h-node">
          <h2 id="h-node">Node</h2>
          <dl class="kv">
            <KV k="Transport" v={p.transport_mode || '—'} />
            <KV k="Memory mode" v={p.memory_mode || '—'} />
            <KV k="Mesh" v={p.mesh_enabled ? p.mesh_ip || 'enabled' : 'off'} />
            {p.public_url && (
              <KV
                k="Public URL"
                v={
                  /^https?:\/\//i.test(p.public_url) ? (
                    <a href={p.public_url} rel="noopener noreferrer">
                      {p.public_url}
                    </a>
                  ) : (
                    p.public_url
                  )
                }
              />
            )}
            {p.is_self && p.event_store_total != null && <KV k="Ledger events" v={p.event_store_total} />}
          </dl>
          {p.is_self && p.event_store_by_service && <LedgerBars bySvc={p.event_store_by_service} />}
        </section>

        <section class="panel panel--wide" aria-labelledby="h-identity">
          <h2 id="h-identity">Identity</h2>
          <div class="ident">
            <IdentRow label="ID" value={p.id} testid="profile-id" />
            <IdentRow label="Public key" value={p.public_key} testid="profile-public-key" />
          </div>
        </section>

        {p.observations && Object.keys(p.observations).length > 0 && (
          <section class="panel panel--wide" aria-labelledby="h-obs">
            <h2 id="h-obs">How {p.name || name} sees others</h2>
            <Observations obs={p.observations} />
          </section>
        )}
      </div>
    </section>
  );
}

function mb(v) {
  return v != null && Number.isFinite(v) ? `${num(v, 1)} MB` : '—';
}

function KV({ k, v }) {
  return (
    <div>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </div>
  );
}

function Swatch({ label, colour }) {
  const dark = luminance(colour) < 0.35;
  return (
    <div class="swatch">
      <div class={`swatch__chip${dark ? ' swatch__chip--dark' : ''}`} style={{ backgroundColor: colour }}>
        <span>{colour}</span>
      </div>
      <div class="swatch__label">
        <span>{label}</span>
        <CopyButton text={colour} label={`${label.toLowerCase()} aura colour`} />
      </div>
    </div>
  );
}

function IdentRow({ label, value, testid }) {
  return (
    <div class="ident__row">
      <div class="ident__label">{label}</div>
      <code class="ident__value" data-testid={testid}>
        {value || '—'}
      </code>
      {value && <CopyButton text={value} label={label} />}
    </div>
  );
}

function LedgerBars({ bySvc }) {
  const entries = Object.entries(bySvc).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map((e) => e[1]));
  if (!entries.length) return null;
  return (
    <ul class="minibars" aria-label="Ledger events by service">
      {entries.map(([svc, n]) => (
        <li key={svc}>
          <span class="minibars__k">{svc}</span>
          <span class="minibars__bar" aria-hidden="true">
            <span style={{ width: `${(100 * n) / max}%` }} />
          </span>
          <span class="minibars__v">{n}</span>
        </li>
      ))}
    </ul>
  );
}

function Observations({ obs }) {
  const rows = Object.entries(obs).sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true }));
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Observations">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Nara</th>
            <th scope="col">Status</th>
            <th scope="col">Last seen</th>
            <th scope="col">Restarts</th>
            <th scope="col">Up since</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([n, o]) => (
            <tr key={n}>
              <th scope="row">
                <Link href={profilePath(n)}>{n}</Link>
              </th>
              <td>
                <StatusBadge online={o.online} />
              </td>
              <td>
                <Ago ts={o.last_seen} />
              </td>
              <td>{o.restarts ?? 0}</td>
              <td title={absoluteTime(o.last_restart || o.start_time)}>
                {o.last_restart || o.start_time ? new Date((o.last_restart || o.start_time) * 1000).toLocaleString() : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A strip of status spans (oldest left → now right) and the list of the events behind it. */
function History({ events, error, name, now }) {
  const [showAll, setShowAll] = useState(false);
  const chrono = useMemo(() => (events || []).filter((e) => e.ts > 0).slice().sort((a, b) => a.ts - b.ts), [events]);
  if (error && !events) return <ErrorPanel title="Could not read the ledger" message={error} />;
  if (!events) return <Loading label="Reading the ledger…" />;
  if (!events.length) return <Empty>The ledger holds nothing about {name} yet.</Empty>;

  const start = chrono.length ? chrono[0].ts : now - 3600;
  const span = Math.max(60, now - start);
  const x = (t) => (1000 * (t - start)) / span;
  const segments = [];
  let cur = null;
  for (const e of chrono) {
    const s = impliedStatus(e, name);
    if (!s) continue;
    if (cur && cur.status === s) continue;
    if (cur) cur.end = e.ts;
    cur = { status: s, start: e.ts, end: now };
    segments.push(cur);
  }
  const list = showAll ? events : events.slice(0, 12);

  return (
    <div class="history">
      <figure class="strip">
        <svg viewBox="0 0 1000 28" preserveAspectRatio="none" width="100%" height="28" role="img" aria-label={`Status over time: ${segments.map((s) => STATUS_LABEL[s.status]).join(', then ') || 'no status changes recorded'}`}>
          <rect class="strip__track" x="0" y="8" width="1000" height="12" rx="6" />
          {segments.map((s, i) => (
            <rect key={i} class={`strip__seg strip__seg--${s.status}`} x={x(s.start)} y="8" width={Math.max(4, x(s.end) - x(s.start))} height="12" />
          ))}
          {chrono.map((e) => (
            <rect key={e.id} class="strip__tick" x={x(e.ts) - 1} y="2" width="2" height="24" />
          ))}
        </svg>
        <figcaption class="strip__axis">
          <span title={absoluteTime(start)}>{new Date(start * 1000).toLocaleString()}</span>
          <span class="strip__legend">
            {['online', 'missing', 'offline'].map((s) => (
              <span key={s} class={`legend legend--${s}`}>
                {STATUS_LABEL[s]}
              </span>
            ))}
          </span>
          <span>now</span>
        </figcaption>
      </figure>
      <ol class="feed feed--compact">
        {list.map((e) => (
          <EventRow key={e.id} ev={e} about={name} testid="history-item" />
        ))}
      </ol>
      {events.length > 12 && (
        <button type="button" class="btn btn--ghost" onClick={() => setShowAll(!showAll)} aria-expanded={showAll ? 'true' : 'false'}>
          {showAll ? 'Show fewer' : `Show all ${events.length} events`}
        </button>
      )}
    </div>
  );
}

/** One line under the hero figures: whether restarts, uptime and first start come from a
 *  checkpoint the network signed or only from what this node saw itself. */
function Provenance({ prov }) {
  if (!prov) return null;
  if (!prov.source) {
    return prov.error ? (
      <p class="source" data-testid="figures-source">
        Could not tell where these figures come from: {prov.error}
      </p>
    ) : null;
  }
  const summary = (prov.checkpoint && prov.checkpoint.summary) || {};
  const n = Number(summary.verified_voters ?? summary.total_voters) || 0;
  const text =
    prov.source === 'checkpoint'
      ? n > 0
        ? `Restarts, uptime and first start: from a checkpoint signed by ${n} ${n === 1 ? 'nara' : 'naras'}, plus what this node saw since.`
        : 'Restarts, uptime and first start: from a checkpoint, plus what this node saw since.'
      : "Restarts, uptime and first start: from this node's own observations.";
  return (
    <p class="source" data-testid="figures-source" data-source={prov.source}>
      {text}
    </p>
  );
}

function cpSeconds(v) {
  const x = Number(v);
  return Number.isFinite(x) && x > 0 ? x : 0;
}

/** The checkpoint behind the figures: the values every voter signed, as of when, and who. */
function CheckpointCard({ detail, name }) {
  const ev = (detail && detail.event) || {};
  const cp = ev.checkpoint || {};
  const obs = cp.observation || {};
  const voters = Array.isArray(detail && detail.voters) ? detail.voters : [];
  const summary = (detail && detail.summary) || {};
  const asOf = cpSeconds(cp.as_of_time);
  const received = cpSeconds(summary.received_at);
  const start = cpSeconds(obs.start_time);
  return (
    <div class="checkpoint">
      <p class="hint">
        {summary.verified_voters ?? 0} of {summary.total_voters ?? voters.length} voters verified
        {summary.is_self_attestation ? ` (${name} signed about itself too)` : ''}. Each voter signed these same values.
      </p>
      <dl class="kv kv--inline" data-testid="checkpoint-values">
        <KV k="Restarts" v={obs.restarts ?? '—'} />
        <KV k="Total uptime" v={cpSeconds(obs.total_uptime) ? duration(cpSeconds(obs.total_uptime)) : '—'} />
        <KV k="First start" v={start ? <span title={absoluteTime(start)}>{new Date(start * 1000).toLocaleString()}</span> : '—'} />
        <KV k="As of" v={asOf ? <Ago ts={asOf} /> : '—'} />
        <KV k="Round" v={cp.round ?? '—'} />
        {received > 0 && <KV k="Received" v={<Ago ts={received} />} />}
      </dl>
      <ul class="voters" aria-label="Voters" data-testid="checkpoint-voters">
        {voters.map((v, i) => (
          <li key={v.voter_id || i} data-testid="checkpoint-voter" data-name={v.voter_name || ''}>
            <span aria-label={v.verified ? 'verified' : 'not verified'} title={v.verified ? 'Signature verified' : v.verification_error || 'Not verified'}>
              {v.verified ? '✓' : '✗'}
            </span>
            {v.voter_name ? <Link href={profilePath(v.voter_name)}>{v.voter_name}</Link> : <span>unknown nara</span>}
            <code title="Voter ID">{v.voter_id}</code>
            {!v.verified && v.verification_error && <span class="hint">{v.verification_error}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
