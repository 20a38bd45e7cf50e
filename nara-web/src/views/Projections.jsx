// Projections: what this nara derives about each nara from the events it holds. Its opinion
// (ONLINE/OFFLINE/MISSING, restarts, first start, last restart), the uptime timeline from
// {base}/api/inspector/uptime/{name}, and the events behind them
// ({base}/api/inspector/events?subject=), each linking to its detail page. The nara is chosen in
// the URL (?nara=). Then the clout ladder: this nara's opinion of everyone's reputation
// ({base}/social/clout), each rung linking to that nara's projection (the events behind it).

import { useEffect, useState } from 'preact/hooks';
import { Ago, Empty, ErrorPanel, Loading, StatusBadge } from '../components/ui.jsx';
import { getJSON } from '../base.js';
import { duration, normaliseEvent } from '../format.js';
import { useTitle } from '../hooks.js';
import { Link, eventPath, profilePath, setQuery } from '../router.jsx';
import { useNeighbourhood } from '../store.js';

function Timeline({ periods, now }) {
  const shown = periods.filter((p) => p.type !== 'historical');
  if (!shown.length) return <Empty>No online or offline period seen yet.</Empty>;
  const start = Math.min(...shown.map((p) => p.start_time));
  const end = Math.max(now, ...shown.map((p) => p.end_time || now));
  const span = Math.max(1, end - start);
  return (
    <>
      <div class="uptime-bar" role="img" aria-label={`${shown.length} periods from ${new Date(start * 1000).toISOString()}`} data-testid="uptime-bar">
        {shown.map((p, i) => (
          <span key={i} class={`uptime-bar__seg uptime-bar__seg--${p.type}`} style={{ left: `${((p.start_time - start) / span) * 100}%`, width: `${Math.max(0.5, (((p.end_time || now) - p.start_time) / span) * 100)}%` }} title={`${p.type} for ${duration(p.duration)}`} />
        ))}
      </div>
      <ol class="periods" data-testid="uptime-periods">
        {periods.map((p, i) => (
          <li key={i} data-type={p.type}>
            <strong>{p.type}</strong> for {duration(p.duration)}
            {p.ongoing ? ' (now)' : ''} · from <Ago ts={p.start_time} />
          </li>
        ))}
      </ol>
    </>
  );
}

function CloutLadder() {
  const [ladder, setLadder] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const ac = new AbortController();
    getJSON('/social/clout', { signal: ac.signal })
      .then((doc) => {
        const rungs = Object.entries((doc && doc.clout) || {}).map(([name, value]) => ({ name, value: Number(value) || 0 }));
        rungs.sort((a, b) => b.value - a.value || a.name.localeCompare(b.name));
        setLadder(rungs);
      })
      .catch((err) => {
        if (err.name !== 'AbortError') setError(err.message || String(err));
      });
    return () => ac.abort();
  }, []);
  return (
    <section aria-labelledby="clout-title" data-testid="clout-ladder">
      <h2 id="clout-title">Clout</h2>
      <p class="muted">This nara's own opinion of each nara's reputation, from the verified teases and observations it holds (hearsay never counts).</p>
      {error && <p class="muted">Could not load clout: {error}</p>}
      {!ladder && !error && <Loading label="Weighing reputations…" />}
      {ladder && ladder.length === 0 && <Empty>Nobody has clout yet: it comes from teases.</Empty>}
      {ladder && ladder.length > 0 && (
        <ol class="clout-ladder">
          {ladder.map((r) => (
            <li key={r.name} data-testid="clout-rung" data-name={r.name}>
              <Link href={profilePath(r.name)}>{r.name}</Link>{' '}
              <span class={`clout-value${r.value < 0 ? ' clout-value--neg' : ''}`}>{r.value.toFixed(2)}</span>{' '}
              <Link href={`/projections?nara=${encodeURIComponent(r.name)}`} class="muted">
                events
              </Link>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Detail({ name, card }) {
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ loading: true });
    const q = encodeURIComponent(name);
    Promise.all([getJSON(`/api/inspector/uptime/${q}`, { signal: ctl.signal }), getJSON(`/api/inspector/events?subject=${q}&limit=100`, { signal: ctl.signal })])
      .then(([uptime, events]) => setState({ uptime, events: (events.events || []).map((e) => normaliseEvent(e)) }))
      .catch((e) => {
        if (e.name !== 'AbortError') setState({ error: e });
      });
    return () => ctl.abort();
  }, [name, card && card.LastSeen]);
  if (state.loading) return <Loading label={`Reading what this nara derives about ${name}…`} />;
  if (state.error) return <ErrorPanel title="Could not read the projections" message={state.error.message} />;
  const u = state.uptime;
  const now = Math.floor(Date.now() / 1000);
  return (
    <div class="projection" data-testid="projection" data-name={name}>
      <h2>
        <Link href={profilePath(name)}>{name}</Link>
      </h2>
      <dl class="facts" data-testid="opinion">
        <dt>Status</dt>
        <dd data-testid="opinion-status">{card ? <StatusBadge online={card.Online} /> : '—'}</dd>
        <dt>Restarts</dt>
        <dd data-testid="opinion-restarts">{u.restarts}</dd>
        <dt>First start</dt>
        <dd>{u.start_time ? <Ago ts={u.start_time} /> : '—'}</dd>
        <dt>Last restart</dt>
        <dd>{card && card.LastRestart ? <Ago ts={card.LastRestart} /> : '—'}</dd>
        <dt>Total uptime</dt>
        <dd>{duration(u.total_uptime)}</dd>
        <dt>Baseline</dt>
        <dd data-testid="opinion-baseline">{u.baseline_source === 'checkpoint' ? 'a verified checkpoint, then observations' : "this nara's own observations"}</dd>
      </dl>
      <h3>Uptime</h3>
      <Timeline periods={u.periods || []} now={now} />
      <h3>From these events</h3>
      {state.events.length ? (
        <ol class="feed" data-testid="projection-events">
          {state.events.map((e) => (
            <li key={e.id} class="event" data-testid="projection-event" data-id={e.id}>
              <span class="event__icon" aria-hidden="true">
                {e.icon}
              </span>
              <div class="event__body">
                <p class="event__text">
                  <Link href={eventPath(e.id)}>{e.text}</Link>
                </p>
                <p class="event__meta">
                  <span class="chip chip--svc">{e.service}</span>
                </p>
              </div>
              <span class="event__time">{e.ts ? <Ago ts={e.ts} /> : ''}</span>
            </li>
          ))}
        </ol>
      ) : (
        <Empty>No event about {name} is held in the ledger.</Empty>
      )}
    </div>
  );
}

export function Projections({ search }) {
  useTitle('Projections');
  const snap = useNeighbourhood();
  const names = snap.naras.map((n) => n.Name).sort();
  const wanted = new URLSearchParams(search).get('nara') || '';
  const [name, setName] = useState(wanted);
  const chosen = name && names.includes(name) ? name : names[0] || '';
  const card = snap.naras.find((n) => n.Name === chosen);
  const pick = (n) => {
    setName(n);
    setQuery({ nara: n });
  };
  return (
    <section class="view" aria-labelledby="view-title">
      <header class="view__head view__head--wrap">
        <div>
          <h1 id="view-title" tabIndex={-1}>
            Projections
          </h1>
        </div>
        {names.length > 0 && (
          <label class="field projection-pick">
            <span>Nara </span>
            <select value={chosen} onChange={(e) => pick(e.currentTarget.value)} data-testid="projection-pick">
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        )}
      </header>
      <p class="lede">What this nara derives about each nara from the events it holds: its opinion, the uptime timeline, and the events they come from.</p>
      {!snap.loaded && <Loading label="Reading the neighbourhood…" />}
      {snap.loaded && !chosen && <Empty>No nara is known yet.</Empty>}
      {chosen && <Detail key={chosen} name={chosen} card={card} />}
      <CloutLadder />
    </section>
  );
}
