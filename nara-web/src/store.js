// The neighbourhood as this node sees it ({base}/narae.json), kept fresh by the live stream:
// any ledger event schedules a debounced refetch, `status` events patch a nara at once, and a
// slow poll covers what produces no events (newspapers only move LastSeen).

import { useEffect, useState } from 'preact/hooks';
import { getJSON } from './base.js';
import { live } from './live.js';

const DEBOUNCE_MS = 600;
const MAX_WAIT_MS = 3000;
const POLL_MS = 20000;

const listeners = new Set();
let snapshot = {
  naras: [],
  server: '',
  loaded: false,
  error: null,
  updatedAt: 0,
  // name → Date.now() of the last live status change, to flash the card
  changed: {},
};

function set(patch) {
  snapshot = { ...snapshot, ...patch };
  for (const fn of listeners) fn(snapshot);
}

let inflight = null;
let again = false;

export async function refresh() {
  if (inflight) {
    again = true;
    return inflight;
  }
  inflight = (async () => {
    try {
      const body = await getJSON('/narae.json');
      const naras = Array.isArray(body && body.naras) ? body.naras.filter((n) => n && n.Name) : [];
      set({
        naras,
        server: (body && body.server) || snapshot.server,
        loaded: true,
        error: null,
        updatedAt: Date.now(),
      });
    } catch (err) {
      set({ error: err.message || String(err), loaded: snapshot.loaded });
    } finally {
      inflight = null;
      if (again) {
        again = false;
        refresh();
      }
    }
  })();
  return inflight;
}

let debounceTimer = null;
let firstPending = 0;

/** Refetch soon: trailing debounce, but never later than MAX_WAIT_MS after the first request. */
export function refreshSoon() {
  const now = Date.now();
  if (!debounceTimer) firstPending = now;
  clearTimeout(debounceTimer);
  const wait = Math.max(0, Math.min(DEBOUNCE_MS, firstPending + MAX_WAIT_MS - now));
  debounceTimer = setTimeout(() => {
    debounceTimer = null;
    refresh();
  }, wait);
}

function applyStatus({ name, online }) {
  const i = snapshot.naras.findIndex((n) => n.Name === name);
  const changed = { ...snapshot.changed, [name]: Date.now() };
  if (i < 0) {
    set({ changed });
    refreshSoon(); // someone new: fetch their card
    return;
  }
  const naras = snapshot.naras.slice();
  naras[i] = { ...naras[i], Online: online || '' };
  set({ naras, changed });
}

let wired = false;
let pollTimer = null;

function wire() {
  if (wired) return;
  wired = true;
  live.on('event', refreshSoon);
  live.on('resync', refreshSoon);
  live.on('status', (s) => {
    applyStatus(s);
    refreshSoon();
  });
  const poll = () => {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(() => {
      if (typeof document === 'undefined' || document.visibilityState !== 'hidden') refresh();
      poll();
    }, POLL_MS);
  };
  poll();
  if (typeof document !== 'undefined') {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') refreshSoon();
    });
  }
}

export function getNeighbourhood() {
  return snapshot;
}

/** Hook: the neighbourhood snapshot; loads it on first use and keeps it live. */
export function useNeighbourhood() {
  const [snap, setSnap] = useState(snapshot);
  useEffect(() => {
    wire();
    listeners.add(setSnap);
    setSnap(snapshot);
    if (!snapshot.loaded) refresh();
    return () => listeners.delete(setSnap);
  }, []);
  return snap;
}
