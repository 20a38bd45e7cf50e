// The live stream manager against a fake EventSource: connection states for the indicator,
// resuming from the last seq so no event is lost, de-duplicating replays, and noticing a node
// whose ledger restarted.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLive } from '../src/live.js';

class FakeES {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.listeners = {};
    this.closed = false;
    FakeES.all.push(this);
  }
  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  fail(readyState) {
    this.readyState = readyState;
    this.onerror?.({});
  }
  send(type, data, id = '') {
    for (const fn of this.listeners[type] || []) {
      fn({ type, data: JSON.stringify(data), lastEventId: id });
    }
  }
}

/** A manual clock: timers fire only when the test advances time. */
function fakeTimers() {
  let now = 0;
  let next = 1;
  const pending = new Map();
  return {
    setTimeout(fn, ms) {
      const id = next++;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(id) {
      pending.delete(id);
    },
    tick(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at);
        if (!due.length) break;
        const [id, t] = due[0];
        pending.delete(id);
        now = t.at;
        t.fn();
      }
      now = end;
    },
  };
}

function setup() {
  FakeES.all = [];
  const timers = fakeTimers();
  const live = createLive({ url: () => '/base/events', EventSourceImpl: FakeES, timers });
  const log = { state: [], event: [], status: [], resync: [] };
  for (const k of Object.keys(log)) live.on(k, (x) => log[k].push(x));
  return { live, log, timers };
}

const ev = (seq, svc = 'hey-there') => ({
  id: `id${seq}`,
  seq,
  service: svc,
  emitter: 'jojo',
  text: `event ${seq}`,
  timestamp: 1700000000000000000 + seq,
  subjects: ['jojo'],
});

test('states go connecting → live → reconnecting → live while the browser retries', () => {
  const { live, log } = setup();
  live.start();
  assert.equal(live.state, 'connecting');
  const es = FakeES.all[0];
  assert.equal(es.url, '/base/events');
  es.open();
  es.send('connected', { server: 'jojo', seq: 7 });
  assert.equal(live.state, 'live');
  assert.equal(live.server, 'jojo');
  es.fail(0); // CONNECTING: the browser reconnects by itself with Last-Event-ID
  assert.equal(live.state, 'reconnecting');
  es.open();
  assert.deepEqual(log.state, ['live', 'reconnecting', 'live']);
  assert.equal(FakeES.all.length, 1, 'no extra EventSource while the browser retries');
  live.stop();
});

test('ledger events of every service are delivered once, replays ignored, seq tracked', () => {
  const { live, log } = setup();
  live.start();
  const es = FakeES.all[0];
  es.open();
  es.send('connected', { server: 'jojo', seq: 2 });
  es.send('hey-there', ev(3), '3');
  es.send('observation', ev(4, 'observation'), '4');
  es.send('hey-there', ev(3), '3'); // replayed after a reconnect
  es.send('status', { name: 'bob', online: 'MISSING', previous: 'ONLINE' });
  assert.deepEqual(
    log.event.map((e) => e.id),
    ['id3', 'id4'],
  );
  assert.equal(log.event[1].service, 'observation');
  assert.deepEqual(log.status, [{ name: 'bob', online: 'MISSING', previous: 'ONLINE' }]);
  assert.equal(live.lastSeq, 4);
  assert.deepEqual(
    live.recent.map((e) => e.id),
    ['id4', 'id3'],
  );
  live.stop();
});

test('after the browser gives up, a new EventSource resumes from ?last_event_id', () => {
  const { live, timers } = setup();
  live.start();
  const es = FakeES.all[0];
  es.open();
  es.send('connected', { server: 'jojo', seq: 10 });
  es.send('chau', ev(11, 'chau'), '11');
  es.fail(2); // CLOSED: e.g. a proxy answered 502
  assert.equal(live.state, 'reconnecting');
  assert.ok(es.closed);
  timers.tick(1000);
  assert.equal(FakeES.all.length, 2);
  assert.equal(FakeES.all[1].url, '/base/events?last_event_id=11');
  // still failing: after the grace period the indicator admits it, and retries go on
  FakeES.all[1].fail(2);
  timers.tick(15000);
  assert.equal(live.state, 'disconnected');
  assert.ok(FakeES.all.length > 2);
  FakeES.all.at(-1).open();
  assert.equal(live.state, 'live');
  live.stop();
});

test('a node whose ledger went backwards triggers a full resync', () => {
  const { live, log } = setup();
  live.start();
  const es = FakeES.all[0];
  es.open();
  es.send('connected', { server: 'jojo', seq: 50 });
  es.send('ping', ev(51, 'ping'), '51');
  es.send('connected', { server: 'jojo', seq: 3 }); // restarted with a fresh ledger
  assert.deepEqual(log.resync, [
    { server: 'jojo', reset: false, first: true },
    { server: 'jojo', reset: true, first: false },
  ]);
  assert.equal(live.lastSeq, 3);
  assert.deepEqual(live.recent, []);
  live.stop();
});
