// The one live connection to the node: an EventSource on {base}/events?cards=1, its connection
// state (for the indicator), the stream position (so a reconnect loses nothing) and a small
// buffer of recent ledger events for the raw ledger view. Views subscribe; nothing else opens
// streams.
//
// With cards=1 the node sends a `snapshot` (every card, the change log, the plaza, this node)
// and then one `naras` frame per change; every frame's id is "<ledger seq>-<rev>", which the
// browser sends back as Last-Event-ID when it reconnects, and the node answers with what changed
// since (or a fresh snapshot). The store (store.js) applies them: no refetching.

import { withBase } from './base.js';
import { normaliseEvent, mergeEvents } from './format.js';

// EventSource only delivers named events to listeners registered for that exact name, so every
// ledger service the node can stream is listed (plaza-protocol §4.3 SyncEvent `svc` values).
export const LEDGER_SERVICES = [
  'hey-there',
  'chau',
  'observation',
  'social',
  'ping',
  'seen',
  'checkpoint',
  'message', // unnamed frames
];

const BUFFER = 500;
// While the browser retries on its own, say "reconnecting"; after this long without success,
// admit "disconnected" (retries go on).
const GIVE_UP_MS = 15000;
const MAX_BACKOFF_MS = 30000;

/** @typedef {'connecting'|'live'|'reconnecting'|'disconnected'} ConnState */

export function createLive({ url = () => withBase('/events?cards=1'), EventSourceImpl, timers } = {}) {
  const ES = EventSourceImpl || (typeof EventSource !== 'undefined' ? EventSource : null);
  // Injectable for tests; the real ones otherwise.
  const setTimeout = (timers && timers.setTimeout) || globalThis.setTimeout.bind(globalThis);
  const clearTimeout = (timers && timers.clearTimeout) || globalThis.clearTimeout.bind(globalThis);
  const subs = { state: new Set(), event: new Set(), status: new Set(), resync: new Set(), snapshot: new Set(), naras: new Set() };
  let es = null;
  /** @type {ConnState} */
  let state = 'connecting';
  let lastSeq = null;
  let lastId = null; // the last frame id as the node wrote it ("12" or "12-345")
  let server = '';
  let recent = [];
  let backoff = 1000;
  let retryTimer = null;
  let giveUpTimer = null;
  let started = false;
  let connects = 0;

  function emit(kind, payload) {
    for (const fn of subs[kind]) {
      try {
        fn(payload);
      } catch (err) {
        console.error(err);
      }
    }
  }

  function setState(s) {
    if (s === state) return;
    state = s;
    emit('state', s);
  }

  function parse(data) {
    try {
      return JSON.parse(data);
    } catch {
      return null;
    }
  }

  function noteSeq(msg, data) {
    // `id:` lines carry the ledger seq (and the read model's rev); prefer the frame's id, else
    // the payload's seq.
    if (msg.lastEventId && /^\d+(-\d+)?$/.test(msg.lastEventId)) lastId = msg.lastEventId;
    const fromId = msg.lastEventId ? Number(String(msg.lastEventId).split('-')[0]) : NaN;
    const seq = Number.isFinite(fromId) ? fromId : data && Number.isFinite(data.seq) ? data.seq : NaN;
    if (Number.isFinite(seq) && (lastSeq == null || seq > lastSeq)) lastSeq = seq;
  }

  function onLedger(msg) {
    const data = parse(msg.data);
    noteSeq(msg, data);
    const ev = normaliseEvent(data, msg.type === 'message' ? '' : msg.type);
    if (!ev) return;
    const idSeq = msg.lastEventId ? Number(String(msg.lastEventId).split('-')[0]) : NaN;
    if (ev.seq == null && Number.isFinite(idSeq)) ev.seq = idSeq;
    if (recent.some((e) => e.id === ev.id)) return; // replayed after a reconnect
    recent = mergeEvents([ev], recent, BUFFER);
    emit('event', ev);
  }

  function onStatus(msg) {
    const data = parse(msg.data);
    if (data && data.name) emit('status', data);
  }

  function onCards(msg) {
    const data = parse(msg.data);
    noteSeq(msg, null);
    if (data && typeof data === 'object') emit(msg.type, data);
  }

  function onConnected(msg) {
    const data = parse(msg.data) || {};
    if (data.server) server = data.server;
    const seq = Number.isFinite(data.seq) ? data.seq : null;
    let reset = false;
    if (seq != null) {
      if (lastSeq == null) {
        // First contact: anything after `seq` is news to us.
        lastSeq = seq;
      } else if (seq < lastSeq) {
        // The node's ledger went backwards (restart with a fresh ledger): start over.
        lastSeq = seq;
        lastId = null;
        recent = [];
        reset = true;
      }
    }
    setState('live');
    // `first` is false on every reconnect: status frames are not replayed, so views refetch.
    emit('resync', { server, reset, first: connects++ === 0 });
  }

  function clearTimers() {
    clearTimeout(retryTimer);
    clearTimeout(giveUpTimer);
    retryTimer = giveUpTimer = null;
  }

  function open() {
    if (!ES) {
      setState('disconnected');
      return;
    }
    let u = url();
    // A fresh EventSource has no Last-Event-ID of its own; the server also honours the query.
    const pos = lastId != null ? lastId : lastSeq != null ? String(lastSeq) : null;
    if (pos != null) u += (u.includes('?') ? '&' : '?') + 'last_event_id=' + pos;
    const src = new ES(u);
    es = src;
    src.onopen = () => {
      if (es !== src) return;
      clearTimers();
      backoff = 1000;
      setState('live');
    };
    src.onerror = () => {
      if (es !== src) return;
      if (src.readyState === 2 /* CLOSED */) {
        // The browser gave up (HTTP error, wrong type): retry ourselves with backoff.
        src.close();
        es = null;
        setState(state === 'live' ? 'reconnecting' : 'disconnected');
        scheduleRetry();
      } else {
        // The browser is retrying by itself and will send Last-Event-ID.
        setState(state === 'disconnected' ? 'disconnected' : 'reconnecting');
        armGiveUp();
      }
    };
    for (const svc of LEDGER_SERVICES) src.addEventListener(svc, onLedger);
    src.addEventListener('status', onStatus);
    src.addEventListener('snapshot', onCards);
    src.addEventListener('naras', onCards);
    src.addEventListener('connected', onConnected);
  }

  function armGiveUp() {
    if (giveUpTimer) return;
    giveUpTimer = setTimeout(() => {
      giveUpTimer = null;
      if (state !== 'live') setState('disconnected');
    }, GIVE_UP_MS);
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    const wait = backoff;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    armGiveUp();
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (!es) open();
    }, wait);
  }

  function reconnectNow() {
    if (es) {
      es.close();
      es = null;
    }
    clearTimers();
    backoff = 1000;
    setState('reconnecting');
    open();
  }

  return {
    start() {
      if (started) return;
      started = true;
      open();
      if (typeof window !== 'undefined') {
        window.addEventListener('online', () => {
          if (state !== 'live') reconnectNow();
        });
        window.addEventListener('offline', () => setState('disconnected'));
      }
    },
    stop() {
      clearTimers();
      if (es) es.close();
      es = null;
      started = false;
    },
    reconnectNow,
    get state() {
      return state;
    },
    get lastSeq() {
      return lastSeq;
    },
    get server() {
      return server;
    },
    get recent() {
      return recent;
    },
    /** Subscribe to 'state' | 'event' | 'status' | 'resync' | 'snapshot' | 'naras'; returns the
     * unsubscribe function. */
    on(kind, fn) {
      subs[kind].add(fn);
      return () => subs[kind].delete(fn);
    },
  };
}

export const live = createLive();
