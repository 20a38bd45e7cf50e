// The shell: skip link, header (brand, navigation, docs link, connection state), the routed
// view and a footer. Moves keyboard focus to the new view's heading after in-app navigation.

import { useEffect } from 'preact/hooks';
import { ConnectionState, Logo, PlazaBanner, PlazaChip } from './components/ui.jsx';
import { BASE } from './base.js';
import { useConnState, useServerName } from './hooks.js';
import { Link, match, onNavigate, useLocation } from './router.jsx';
import { useNeighbourhood } from './store.js';
import { EventDetail } from './views/EventDetail.jsx';
import { Fleet } from './views/Fleet.jsx';
import { NetworkMap } from './views/NetworkMap.jsx';
import { Postcards } from './views/Postcards.jsx';
import { Projections } from './views/Projections.jsx';
import { Neighbourhood } from './views/Neighbourhood.jsx';
import { Profile } from './views/Profile.jsx';
import { Timeline } from './views/Timeline.jsx';
import { TeaseBursts } from './teases.jsx';
import { useTitle } from './hooks.js';

function NavLink({ href, active, children }) {
  return (
    <Link href={href} class={`nav__link${active ? ' is-active' : ''}`} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function NotFound({ path }) {
  useTitle('Not found');
  return (
    <section class="view" aria-labelledby="view-title">
      <div class="state state--empty">
        <h1 id="view-title" tabIndex={-1}>
          Nothing here
        </h1>
        <p>
          There is no page at <code>{path}</code>.
        </p>
        <Link href="/" class="btn">
          Go to the neighbourhood
        </Link>
      </div>
    </section>
  );
}

export function App() {
  const loc = useLocation();
  const route = match(loc.path);
  const streamServer = useServerName();
  const snap = useNeighbourhood();
  const server = snap.server || streamServer;
  const streamState = useConnState();

  useEffect(
    () =>
      onNavigate((_, focus) => {
        if (!focus) return;
        // Land keyboard and screen-reader users at the start of the new view. <main> is stable
        // across views (a view's heading may be re-created when its data arrives).
        requestAnimationFrame(() => {
          const m = document.getElementById('main');
          if (m) m.focus({ preventScroll: true });
        });
      }),
    [],
  );

  let view;
  switch (route.view) {
    case 'home':
      view = <Neighbourhood search={loc.search} />;
      break;
    case 'timeline':
      view = <Timeline search={loc.search} />;
      break;
    case 'projections':
      view = <Projections search={loc.search} />;
      break;
    case 'postcards':
      view = <Postcards />;
      break;
    case 'map':
      view = <NetworkMap />;
      break;
    case 'fleet':
      view = <Fleet search={loc.search} />;
      break;
    case 'event':
      view = <EventDetail key={route.params.id} id={route.params.id} />;
      break;
    case 'profile':
      view = <Profile key={route.params.name} name={route.params.name} />;
      break;
    default:
      view = <NotFound path={loc.path} />;
  }

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar__inner">
          <Link href="/" class="brand" aria-label={server ? `nara: ${server}'s neighbourhood` : 'nara home'}>
            <Logo />
            <span class="brand__name">nara</span>
            {server && <span class="brand__server">{server}</span>}
          </Link>
          <nav class="nav" aria-label="Main">
            <NavLink href="/" active={route.view === 'home'}>
              Neighbourhood
            </NavLink>
            <NavLink href="/timeline" active={route.view === 'timeline'}>
              Timeline
            </NavLink>
            <NavLink href="/fleet" active={route.view === 'fleet'}>
              Fleet
            </NavLink>
            <NavLink href="/map" active={route.view === 'map'}>
              Map
            </NavLink>
            <NavLink href="/postcards" active={route.view === 'postcards'}>
              Postcards
            </NavLink>
            <NavLink href="/projections" active={route.view === 'projections'}>
              Projections
            </NavLink>
            <a class="nav__link" href={`${BASE}/docs/`}>
              Docs
            </a>
          </nav>
          <PlazaChip plaza={snap.plaza} />
          <ConnectionState />
        </div>
      </header>
      <PlazaBanner plaza={snap.plaza} streamState={streamState} updatedAt={snap.updatedAt} />
      <main id="main" class="main" tabIndex={-1}>
        {view}
      </main>
      <TeaseBursts />
      <footer class="footer">
        <span>nara · a social network for computers</span>
        <a href={`${BASE}/docs/`}>Documentation</a>
      </footer>
    </>
  );
}
