// The timeline tells what changed, not every heartbeat: joined for the first time, came back
// after N, went missing, left, restarted, forgotten, and the plaza lost and found. It comes from
// the read model's change log (the snapshot and each `naras` frame; older items from
// {base}/api/changes.json), groups repeats, and filters by nara and kind; both filters live in
// the URL (?nara=&kind=). The raw ledger is the second tab (?view=ledger).

import { useEffect, useMemo, useState } from 'preact/hooks';
import { Ago, Empty, Loading } from '../components/ui.jsx';
import { getJSON } from '../base.js';
import { CHANGE_KINDS, filterChanges, groupChanges, groupText } from '../format.js';
import { useTitle } from '../hooks.js';
import { Link, profilePath, setQuery } from '../router.jsx';
import { useNeighbourhood } from '../store.js';
import { LedgerFeed } from './Ledger.jsx';

const KINDS = ['joined', 'left', 'missing', 'back', 'restarted', 'forgotten', 'plaza', 'tease'];
const SHOWN = 200;

function readQuery(search) {
  const q = new URLSearchParams(search);
  const kinds = (q.get('kind') || '').split(',').filter((k) => KINDS.includes(k));
  return { view: q.get('view') === 'ledger' ? 'ledger' : 'changes', name: q.get('nara') || '', kinds };
}

function ChangeGroup({ g }) {
  const [open, setOpen] = useState(false);
  const kind = CHANGE_KINDS[g.kind] || { icon: '•', label: g.kind };
  const many = g.items.length > 1;
  return (
    <li class={`event event--${g.kind}`} data-testid="timeline-item" data-kind={g.kind} data-name={g.names.join(' ')} data-count={g.items.length}>
      <span class="event__icon" aria-hidden="true">
        {kind.icon}
      </span>
      <div class="event__body">
        <p class="event__text">{groupText(g)}</p>
        <p class="event__meta">
          <span class="chip chip--svc">{kind.label}</span>
          {g.names.length === 1 && g.kind !== 'plaza' && g.kind !== 'started' && (
            <span>
              <Link href={profilePath(g.names[0])}>{g.names[0]}</Link>
            </span>
          )}
          {many && (
            <button type="button" class="linklike" aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(!open)}>
              {open ? 'Hide' : `Show all ${g.items.length}`}
            </button>
          )}
        </p>
        {many && open && (
          <ul class="change-group__names">
            {g.items.map((c) => (
              <li key={c.id}>
                <Link href={profilePath(c.name)}>{c.name}</Link> <Ago ts={c.ts} />
              </li>
            ))}
          </ul>
        )}
      </div>
      <span class="event__time">
        <Ago ts={g.ts} />
      </span>
    </li>
  );
}

function Changes({ opts, update }) {
  const snap = useNeighbourhood();
  const [older, setOlder] = useState([]);
  useEffect(() => {
    // The snapshot carries the newest few hundred; the node keeps up to a thousand.
    getJSON('/api/changes.json?limit=1000')
      .then((body) => setOlder(Array.isArray(body.changes) ? body.changes : []))
      .catch(() => {});
  }, []);
  const all = useMemo(() => {
    const seen = new Set(snap.changes.map((c) => c.id));
    const minId = snap.changes.length ? snap.changes[snap.changes.length - 1].id : Infinity;
    return snap.changes.concat(older.filter((c) => !seen.has(c.id) && c.id < minId));
  }, [snap.changes, older]);
  const names = useMemo(() => [...new Set(all.map((c) => c.name))].sort(), [all]);
  const filtered = filterChanges(all, opts);
  const groups = groupChanges(filtered).slice(0, SHOWN);
  const toggle = (k) => update({ kinds: opts.kinds.includes(k) ? opts.kinds.filter((x) => x !== k) : [...opts.kinds, k] });

  return (
    <>
      <p class="lede">What changed in {snap.server ? `${snap.server}'s` : 'this'} neighbourhood, newest first. Heartbeats are left out; repeats are grouped.</p>
      <div class="toolbar" role="search" aria-label="Filter the timeline">
        <div class="segmented" role="group" aria-label="Filter by kind">
          <button type="button" class={`segmented__btn${opts.kinds.length === 0 ? ' is-active' : ''}`} aria-pressed={opts.kinds.length === 0 ? 'true' : 'false'} onClick={() => update({ kinds: [] })} data-testid="kind-all">
            All
          </button>
          {KINDS.map((k) => (
            <button type="button" key={k} class={`segmented__btn${opts.kinds.includes(k) ? ' is-active' : ''}`} aria-pressed={opts.kinds.includes(k) ? 'true' : 'false'} onClick={() => toggle(k)} data-testid={`kind-${k}`}>
              {CHANGE_KINDS[k].label}
            </button>
          ))}
        </div>
        <div class="toolbar__fields">
          <label class="field field--search">
            <span class="visually-hidden">Filter by nara</span>
            <input type="search" list="timeline-names" placeholder="Filter by nara" value={opts.name} onInput={(e) => update({ name: e.currentTarget.value })} autocomplete="off" spellcheck={false} data-testid="nara-filter" />
            <datalist id="timeline-names">
              {names.map((n) => (
                <option key={n} value={n} />
              ))}
            </datalist>
          </label>
        </div>
      </div>
      {!snap.loaded && <Loading label="Reading the changes…" />}
      {snap.loaded && groups.length === 0 && <Empty>{all.length ? 'No change matches these filters.' : 'Nothing has changed yet. Naras joining, leaving, going missing and coming back appear here.'}</Empty>}
      {groups.length > 0 && (
        <ol class="feed" aria-label="Changes, newest first" data-testid="timeline">
          {groups.map((g) => (
            <ChangeGroup key={g.key} g={g} />
          ))}
        </ol>
      )}
    </>
  );
}

export function Timeline({ search }) {
  const [opts, setOpts] = useState(() => readQuery(search));
  useTitle('Timeline');
  const update = (patch) => {
    const next = { ...opts, ...patch };
    setOpts(next);
    setQuery({ view: next.view === 'ledger' ? 'ledger' : '', nara: next.view === 'ledger' ? '' : next.name, kind: next.view === 'ledger' ? '' : next.kinds.join(',') });
  };
  return (
    <section class="view" aria-labelledby="view-title">
      <header class="view__head">
        <div>
          <h1 id="view-title" tabIndex={-1}>
            Timeline
          </h1>
        </div>
        <div class="segmented" role="group" aria-label="What to show">
          <button type="button" class={`segmented__btn${opts.view === 'changes' ? ' is-active' : ''}`} aria-pressed={opts.view === 'changes' ? 'true' : 'false'} onClick={() => update({ view: 'changes' })} data-testid="timeline-mode-changes">
            Changes
          </button>
          <button type="button" class={`segmented__btn${opts.view === 'ledger' ? ' is-active' : ''}`} aria-pressed={opts.view === 'ledger' ? 'true' : 'false'} onClick={() => update({ view: 'ledger' })} data-testid="timeline-mode-ledger">
            Raw ledger
          </button>
        </div>
      </header>
      {opts.view === 'ledger' ? <LedgerFeed search={search} /> : <Changes opts={opts} update={update} />}
    </section>
  );
}
