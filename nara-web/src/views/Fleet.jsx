// The fleet: every nara's host figures from its last newspaper (HostStats: CPU, memory, host
// uptime, load; and its Version), from {base}/api.json, refreshed as the neighbourhood changes.
// Click a column header to sort; the sort lives in the URL (?sort=&dir=) and in aria-sort.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Empty, ErrorPanel, Loading, StatusBadge } from '../components/ui.jsx';
import { getJSON } from '../base.js';
import { FLEET_COLUMNS, fleetRows, sortRows } from '../fleet.js';
import { duration, num } from '../format.js';
import { useTitle } from '../hooks.js';
import { Link, profilePath, setQuery } from '../router.jsx';
import { useNeighbourhood } from '../store.js';

const REFRESH_MS = 5000;

function readSort(search) {
  const q = new URLSearchParams(search);
  const key = FLEET_COLUMNS.some((c) => c.key === q.get('sort')) ? q.get('sort') : 'name';
  return { key, dir: q.get('dir') === 'desc' ? 'desc' : 'asc' };
}

function cell(row, key) {
  switch (key) {
    case 'cpu':
      return num(row.cpu, 1);
    case 'mem':
      return num(row.mem, 0);
    case 'uptime':
      return duration(row.uptime);
    case 'load':
      return num(row.load, 2);
    case 'version':
      return row.version || '—';
    default:
      return '';
  }
}

export function Fleet({ search }) {
  useTitle('Fleet');
  const snap = useNeighbourhood();
  const [sort, setSort] = useState(() => readSort(search));
  const [state, setState] = useState({ loading: true });
  const last = useRef(0);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    // Re-read /api.json when the neighbourhood changes, at most every few seconds.
    const wait = Math.max(0, last.current + REFRESH_MS - Date.now());
    const t = setTimeout(() => {
      last.current = Date.now();
      getJSON('/api.json')
        .then((body) => setState({ rows: fleetRows(body && body.naras) }))
        .catch((e) => setState((s) => (s.rows ? s : { error: e })));
    }, wait);
    return () => clearTimeout(t);
  }, [snap.updatedAt, tick]);

  const rows = useMemo(() => (state.rows ? sortRows(state.rows, sort.key, sort.dir) : []), [state.rows, sort]);
  const by = (key) => {
    const next = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
    setSort(next);
    setQuery({ sort: next.key === 'name' ? '' : next.key, dir: next.dir === 'asc' ? '' : 'desc' });
  };

  let body;
  if (state.error) body = <ErrorPanel title="Could not read the fleet" message={state.error.message} onRetry={() => setTick(tick + 1)} />;
  else if (!state.rows) body = <Loading label="Reading the fleet…" />;
  else if (!rows.length) body = <Empty>No nara is known yet.</Empty>;
  else
    body = (
      <div class="table-wrap">
        <table class="table table--fleet" data-testid="fleet-table">
          <caption class="visually-hidden">Host figures of every nara, from its last newspaper</caption>
          <thead>
            <tr>
              {FLEET_COLUMNS.map((c) => {
                const active = sort.key === c.key;
                return (
                  <th key={c.key} scope="col" aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'} class={c.numeric ? 'num' : ''}>
                    <button type="button" class="sort" onClick={() => by(c.key)} data-testid={`sort-${c.key}`}>
                      {c.label}
                      <span aria-hidden="true" class="sort__arrow">
                        {active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name} data-testid="fleet-row" data-name={r.name}>
                <th scope="row">
                  <Link href={profilePath(r.name)}>{r.name}</Link>
                </th>
                <td>
                  <StatusBadge online={r.online} />
                </td>
                {FLEET_COLUMNS.slice(2).map((c) => (
                  <td key={c.key} class={c.numeric ? 'num' : ''} data-col={c.key}>
                    {cell(r, c.key)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );

  return (
    <section class="view" aria-labelledby="view-title">
      <header class="view__head">
        <div>
          <h1 id="view-title" tabIndex={-1}>
            Fleet
          </h1>
        </div>
      </header>
      <p class="lede">Each nara's host as it last reported it in its newspaper: process CPU, memory (MemSysMB), host uptime, load average and version. A nara that never sent a newspaper shows —.</p>
      {body}
    </section>
  );
}
