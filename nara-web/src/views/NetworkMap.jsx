// The map: every nara whose newspaper carries plausible Vivaldi coordinates, scaled to fit,
// with its barrio emoji and name, each a link to its profile ({base}/network/map). Naras without
// a position (this one included: it runs no mesh pings) are listed under the map.

import { Empty, ErrorPanel, Loading } from '../components/ui.jsx';
import { getJSON, withBase } from '../base.js';
import { layout } from '../mapview.js';
import { usePolledJSON, useTitle } from '../hooks.js';
import { Link, navigate, profilePath } from '../router.jsx';
import { useNeighbourhood } from '../store.js';

const SIZE = 600;
const REFRESH_MS = 5000;

function Dot({ n }) {
  const href = profilePath(n.name);
  const go = (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={withBase(href)} onClick={go} class={`map__dot map__dot--${n.online ? 'online' : 'offline'}`} data-testid="map-dot" data-name={n.name} aria-label={`${n.name}${n.barrio ? ' ' + n.barrio : ''}, ${n.online ? 'online' : 'not online'}`}>
      <circle cx={n.cx} cy={n.cy} r="7" />
      <text x={n.cx > SIZE / 2 ? n.cx - 11 : n.cx + 11} y={n.cy + 4} text-anchor={n.cx > SIZE / 2 ? 'end' : 'start'}>
        {n.barrio ? n.barrio + ' ' : ''}
        {n.name}
      </text>
    </a>
  );
}

export function NetworkMap() {
  useTitle('Map');
  const snap = useNeighbourhood();
  const [state, retry] = usePolledJSON(getJSON, '/network/map', snap.updatedAt, REFRESH_MS);

  let body;
  if (state.error) body = <ErrorPanel title="Could not read the map" message={state.error.message} onRetry={retry} />;
  else if (!state.data) body = <Loading label="Reading the map…" />;
  else {
    const nodes = Array.isArray(state.data.nodes) ? state.data.nodes : [];
    const pts = layout(nodes, SIZE, 60);
    const unplaced = nodes.filter((n) => !n.placed);
    body = (
      <>
        {pts.length ? (
          <div class="map">
            <svg viewBox={`0 0 ${SIZE} ${SIZE}`} role="group" aria-label={`Map of ${pts.length} naras by network distance`} data-testid="map-svg">
              {pts.map((n) => (
                <Dot key={n.name} n={n} />
              ))}
            </svg>
          </div>
        ) : (
          <Empty>No nara has sent coordinates yet. Naras running mesh pings (Vivaldi) appear here.</Empty>
        )}
        {unplaced.length > 0 && (
          <section aria-labelledby="unplaced-title">
            <h2 id="unplaced-title">Not on the map</h2>
            <ul class="unplaced" data-testid="map-unplaced">
              {unplaced.map((n) => (
                <li key={n.name} data-name={n.name}>
                  <Link href={profilePath(n.name)}>{n.name}</Link> {n.barrio} <span class="muted">— {n.unplaced_reason}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </>
    );
  }
  return (
    <section class="view" aria-labelledby="view-title">
      <header class="view__head">
        <div>
          <h1 id="view-title" tabIndex={-1}>
            Map
          </h1>
        </div>
      </header>
      <p class="lede">Where naras sit by network distance (Vivaldi coordinates from their signed newspapers), scaled to fit. Emojis are barrios.</p>
      {body}
    </section>
  );
}
