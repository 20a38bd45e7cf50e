// Small shared hooks: a ticking clock for relative times, the live connection state, and
// subscriptions to the live stream.

import { useEffect, useRef, useState } from 'preact/hooks';
import { live } from './live.js';

// One interval for the whole app; components re-render only while mounted.
const clockSubs = new Set();
let clockTimer = null;

function nowS() {
  return Date.now() / 1000;
}

/** Current time in Unix seconds, updated every second. */
export function useNow() {
  const [now, setNow] = useState(nowS);
  useEffect(() => {
    clockSubs.add(setNow);
    if (!clockTimer) {
      clockTimer = setInterval(() => {
        const t = nowS();
        for (const fn of clockSubs) fn(t);
      }, 1000);
    }
    return () => {
      clockSubs.delete(setNow);
      if (!clockSubs.size) {
        clearInterval(clockTimer);
        clockTimer = null;
      }
    };
  }, []);
  return now;
}

/** The connection state of the live stream. */
export function useConnState() {
  const [s, setS] = useState(live.state);
  useEffect(() => {
    setS(live.state);
    return live.on('state', setS);
  }, []);
  return s;
}

/** Call `fn` for each live message of `kind`; the latest `fn` is used without resubscribing. */
export function useLive(kind, fn) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.on(kind, (x) => ref.current(x)), [kind]);
}

/** The server's name as the stream announced it (updates on every (re)connect). */
export function useServerName() {
  const [s, setS] = useState(live.server);
  useEffect(() => live.on('resync', ({ server }) => setS(server)), []);
  return s;
}

/** Set document.title while a view is mounted. */
export function useTitle(title) {
  useEffect(() => {
    document.title = title ? `${title} · nara` : 'nara';
  }, [title]);
}

/**
 * GET a JSON document again whenever `trigger` changes (e.g. the neighbourhood's updatedAt), at
 * most once per `minMs`. Returns [state, retry]: state is {loading}, {data} or {error}; a
 * failed refresh keeps the data it had.
 */
export function usePolledJSON(getJSON, path, trigger, minMs = 5000) {
  const [state, setState] = useState({ loading: true });
  const [tick, setTick] = useState(0);
  const last = useRef(0);
  useEffect(() => {
    const wait = Math.max(0, last.current + minMs - Date.now());
    const t = setTimeout(() => {
      last.current = Date.now();
      getJSON(path)
        .then((data) => setState({ data }))
        .catch((e) => setState((s) => (s.data ? s : { error: e })));
    }, wait);
    return () => clearTimeout(t);
  }, [path, trigger, tick]);
  return [state, () => setTick((n) => n + 1)];
}

