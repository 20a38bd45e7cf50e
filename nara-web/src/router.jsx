// Client-side routing with the History API under the base path. Routes are app-relative
// ("/", "/nara/jojo", "/timeline"); links render real <a href> with the base prefixed so they
// work with a middle click, a copy, or without JavaScript's help from the server's SPA fallback.

import { useEffect, useState } from 'preact/hooks';
import { BASE, routeOf, withBase } from './base.js';

const listeners = new Set();

function current() {
  return {
    path: routeOf(location.pathname) ?? '/',
    search: location.search,
  };
}

let loc = current();

function notify(focus) {
  loc = current();
  for (const fn of listeners) fn(loc, focus);
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => notify(true));
}

/** Navigate to an app-relative path (may include ?query). */
export function navigate(to, { replace = false } = {}) {
  const url = withBase(to);
  if (url === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
  notify(!replace);
  if (!replace) window.scrollTo(0, 0);
}

/** Update only the query string of the current route, without a history entry. */
export function setQuery(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  navigate(loc.path + (s ? '?' + s : ''), { replace: true });
}

/** Hook: the current location {path, search}; `onFocus` runs after user navigations. */
export function useLocation() {
  const [l, setL] = useState(loc);
  useEffect(() => {
    const fn = (next) => setL(next);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return l;
}

/** Subscribe to navigations (used to move focus to the new view's heading). */
export function onNavigate(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Match a route: returns {view, params}. */
export function match(path) {
  if (path === '/' || path === '' || path === '/home') return { view: 'home', params: {} };
  if (path === '/timeline' || path === '/timeline/') return { view: 'timeline', params: {} };
  if (path === '/projections' || path === '/projections/') return { view: 'projections', params: {} };
  if (path === '/postcards' || path === '/postcards/') return { view: 'postcards', params: {} };
  if (path === '/map' || path === '/map/') return { view: 'map', params: {} };
  if (path === '/fleet' || path === '/fleet/') return { view: 'fleet', params: {} };
  const ev = /^\/events\/([0-9a-fA-F]{1,64})\/?$/.exec(path);
  if (ev) return { view: 'event', params: { id: ev[1] } };
  const m = /^\/nara\/([^/]+)\/?$/.exec(path);
  if (m) {
    let name = m[1];
    try {
      name = decodeURIComponent(name);
    } catch {
      // keep it raw
    }
    return { view: 'profile', params: { name } };
  }
  return { view: 'notfound', params: {} };
}

export function eventPath(id) {
  return '/events/' + encodeURIComponent(id);
}

export function profilePath(name) {
  return '/nara/' + encodeURIComponent(name);
}

/** An in-app link: a real anchor whose plain left clicks are handled by the router. */
export function Link({ href, children, onClick, ...rest }) {
  const handle = (e) => {
    if (onClick) onClick(e);
    if (
      e.defaultPrevented ||
      e.button !== 0 ||
      e.metaKey ||
      e.ctrlKey ||
      e.shiftKey ||
      e.altKey ||
      rest.target
    ) {
      return;
    }
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={withBase(href)} onClick={handle} {...rest}>
      {children}
    </a>
  );
}

export { BASE };
