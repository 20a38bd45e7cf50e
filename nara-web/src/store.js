// The neighbourhood as this node sees it, kept by the live stream's frames (live.js): a
// `snapshot` replaces everything, a `naras` frame replaces the changed cards, drops the removed
// ones and prepends the new change-log items. Nothing is refetched while the stream is up; only
// when no snapshot arrives (no EventSource, a proxy that buffers) does it fall back to polling
// {base}/narae.json.

import { useEffect, useState } from 'preact/hooks';
import { getJSON } from './base.js';
import { live } from './live.js';
import { applyCards } from './format.js';

const FALLBACK_AFTER_MS = 4000;
const POLL_MS = 20000;
const CHANGES_KEPT = 1000;

const listeners = new Set();
let snapshot = {
  naras: [],
  server: '',
  loaded: false,
  error: null,
  updatedAt: 0,
  rev: 0,
  plaza: null, // {state, since, broker}
  node: null, // {name, id, version, broker, started, max_naras}
  changes: [], // newest first
  // name → Date.now() of the last live status change, to flash the card
  changed: {},
  source: 'none', // 'stream' once a snapshot arrived, 'poll' in the fallback
};

function set(patch) {
  snapshot = { ...snapshot, ...patch };
  for (const fn of listeners) fn(snapshot);
}

function mergeChanges(newer, older) {
  const seen = new Set();
  const out = [];
  for (const c of [...newer, ...older]) {
    if (!c || seen.has(c.id)) continue;
    seen.add(c.id);
    out.push(c);
    if (out.length >= CHANGES_KEPT) break;
  }
  return out;
}

function onSnapshot(data) {
  const naras = Array.isArray(data.naras) ? data.naras.filter((n) => n && n.Name) : [];
  set({
    naras,
    server: data.server || snapshot.server,
    loaded: true,
    error: null,
    updatedAt: Date.now(),
    rev: data.rev || 0,
    plaza: data.plaza || null,
    node: data.node || snapshot.node,
    changes: Array.isArray(data.changes) ? data.changes : [],
    source: 'stream',
  });
}

function onFrame(data) {
  if (!snapshot.loaded) return; // a snapshot always comes first on a cards stream
  const { naras, flashed } = applyCards(snapshot.naras, data.changed || [], data.removed || []);
  const changed = { ...snapshot.changed };
  const now = Date.now();
  for (const name of flashed) changed[name] = now;
  set({
    naras,
    changed,
    rev: data.rev || snapshot.rev,
    plaza: data.plaza || snapshot.plaza,
    changes: Array.isArray(data.changes) && data.changes.length ? mergeChanges(data.changes, snapshot.changes) : snapshot.changes,
    updatedAt: now,
  });
}

let inflight = null;

/** Fetch /narae.json (the fallback, and the "Try again" button). */
export async function refresh() {
  if (inflight) return inflight;
  inflight = (async () => {
    try {
      const body = await getJSON('/narae.json');
      const naras = Array.isArray(body && body.naras) ? body.naras.filter((n) => n && n.Name) : [];
      set({ naras, server: (body && body.server) || snapshot.server, loaded: true, error: null, updatedAt: Date.now() });
      if (snapshot.source === 'none') set({ source: 'poll' });
    } catch (err) {
      set({ error: err.message || String(err), loaded: snapshot.loaded });
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

let wired = false;

export function wire() {
  if (wired) return;
  wired = true;
  live.on('snapshot', onSnapshot);
  live.on('naras', onFrame);
  // No snapshot soon (no EventSource, a buffering proxy): poll until the stream delivers.
  const poll = () => {
    setTimeout(() => {
      if (snapshot.source !== 'stream' && (typeof document === 'undefined' || document.visibilityState !== 'hidden')) {
        refresh();
      }
      poll();
    }, snapshot.source === 'stream' ? POLL_MS : FALLBACK_AFTER_MS);
  };
  setTimeout(() => {
    if (!snapshot.loaded) refresh();
  }, FALLBACK_AFTER_MS);
  poll();
}

export function getNeighbourhood() {
  return snapshot;
}

/** Hook: the neighbourhood snapshot; kept live by the stream. */
export function useNeighbourhood() {
  const [snap, setSnap] = useState(snapshot);
  useEffect(() => {
    wire();
    listeners.add(setSnap);
    setSnap(snapshot);
    return () => listeners.delete(setSnap);
  }, []);
  return snap;
}
