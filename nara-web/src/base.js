// Base path handling: the node may live under a prefix (e.g. "/nara" behind a proxy). The server
// substitutes the `__NARA_BASE__` token in index.html, so the prefix reaches us through
// <meta name="nara-base">. Every fetch, the EventSource and every router link go through here.

const TOKEN = '__NARA_BASE__';

/** Normalise a base path: "" or "/prefix" (leading slash, no trailing slash). */
export function normaliseBase(raw) {
  let b = (raw || '').trim();
  // An unsubstituted token means the file was opened without the server's rewrite: treat as root.
  if (b === TOKEN || b.includes(TOKEN)) return '';
  // A full URL would make us talk to another origin; keep only its path.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(b)) {
    try {
      b = new URL(b).pathname;
    } catch {
      return '';
    }
  }
  b = b.replace(/\/+$/, '');
  if (b && !b.startsWith('/')) b = '/' + b;
  return b;
}

function readBase() {
  if (typeof document === 'undefined') return '';
  const meta = document.querySelector('meta[name="nara-base"]');
  return normaliseBase(meta ? meta.getAttribute('content') : '');
}

export const BASE = readBase();

/** Absolute path (same origin) for an app-relative path like "/narae.json". */
export function withBase(path, base = BASE) {
  const p = path.startsWith('/') ? path : '/' + path;
  return base + p;
}

/** The app-relative route ("/", "/nara/x", …) for a location pathname, or null if outside base. */
export function routeOf(pathname, base = BASE) {
  if (!base) return pathname || '/';
  if (pathname === base) return '/';
  if (pathname.startsWith(base + '/')) return pathname.slice(base.length);
  return null;
}

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET a JSON document from the node; throws HttpError on non-2xx, with the server's message. */
export async function getJSON(path, { signal } = {}) {
  const res = await fetch(withBase(path), {
    signal,
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`.trim();
    try {
      const body = await res.json();
      if (body && body.error) msg = body.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new HttpError(res.status, msg);
  }
  return res.json();
}
