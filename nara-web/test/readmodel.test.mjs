// The dashboard's side of the read model: applying `naras` frames to the cards, the figures a
// card derives from its History (status for, availability, heartbeats), the timeline's grouping
// and filters, and the live stream's "<seq>-<rev>" positions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyCards,
  availability,
  filterChanges,
  groupChanges,
  groupText,
  heartbeatBuckets,
  percent,
  statusFor,
  timeInStatus,
} from '../src/format.js';
import { createLive } from '../src/live.js';

test('a frame replaces changed cards, adds new ones, drops removed; the rest keep identity', () => {
  const a = { Name: 'a', Online: 'ONLINE' };
  const b = { Name: 'b', Online: 'ONLINE' };
  const c = { Name: 'c', Online: 'ONLINE' };
  const { naras, flashed } = applyCards([a, b, c], [{ Name: 'b', Online: 'MISSING' }, { Name: 'd', Online: 'ONLINE' }], ['c']);
  assert.deepEqual(naras.map((n) => n.Name), ['a', 'b', 'd']);
  assert.equal(naras[0], a, 'unchanged card keeps its identity');
  assert.equal(naras[1].Online, 'MISSING');
  assert.deepEqual(flashed.sort(), ['b', 'd']);
});

test('time in status and availability count only what was observed', () => {
  const h = [
    [1000, 'ONLINE'],
    [1600, 'MISSING'],
    [1700, 'ONLINE'],
  ];
  assert.deepEqual(timeInStatus(h, 0, 2000), { online: 900, missing: 100, offline: 0, unknown: 1000 });
  const a = availability(h, 2000, 2000);
  assert.equal(a.ratio, 0.9);
  assert.equal(a.coverage, 0.5);
  assert.equal(availability([], 2000, 100), null);
  assert.equal(percent(0.9995), '99.9 %');
  assert.equal(percent(1), '100 %');
  assert.equal(percent(0.5), '50 %');
});

test('heartbeats: worst status of each bucket, unknown before the first word', () => {
  const h = [
    [100, 'ONLINE'],
    [250, 'OFFLINE'],
    [260, 'ONLINE'],
  ];
  const beats = heartbeatBuckets(h, 400, 4, 100);
  assert.deepEqual(beats.map((b) => b.status), ['unknown', 'online', 'offline', 'online']);
});

test('"offline for 4 min", "online for 2 h"', () => {
  assert.equal(statusFor({ Online: 'OFFLINE', StatusSince: 1000 }, 1240), 'offline for 4 min');
  assert.equal(statusFor({ Online: 'ONLINE', UpSince: 1000, StatusSince: 5000 }, 1000 + 7200), 'online for 2 h');
  assert.equal(statusFor({ Online: '' }, 10), '');
});

test('repeats are grouped, filters by nara and kind', () => {
  const changes = [
    { id: 5, kind: 'missing', name: 'bob', text: 'bob went missing', ts: 500 },
    { id: 4, kind: 'missing', name: 'bob', text: 'bob went missing', ts: 450 },
    { id: 3, kind: 'joined', name: 'c', text: 'c joined', ts: 300 },
    { id: 2, kind: 'joined', name: 'd', text: 'd joined', ts: 299 },
    { id: 1, kind: 'plaza', name: 'me', text: 'me connected to the plaza', ts: 200 },
  ];
  const groups = groupChanges(changes);
  assert.deepEqual(groups.map(groupText), ['bob went missing (×2)', '2 naras joined', 'me connected to the plaza']);
  assert.deepEqual(filterChanges(changes, { name: 'bob' }).map((c) => c.id), [5, 4]);
  assert.deepEqual(filterChanges(changes, { kinds: ['joined', 'plaza'] }).map((c) => c.id), [3, 2, 1]);
});

test('card frames are delivered and a reconnect resumes from "<seq>-<rev>"', () => {
  const made = [];
  class ES {
    constructor(url) {
      this.url = url;
      this.listeners = {};
      this.readyState = 0;
      made.push(this);
    }
    addEventListener(t, fn) {
      (this.listeners[t] ||= []).push(fn);
    }
    close() {
      this.readyState = 2;
    }
    send(type, data, id = '') {
      for (const fn of this.listeners[type] || []) fn({ type, data: JSON.stringify(data), lastEventId: id });
    }
  }
  const pending = [];
  const timers = { setTimeout: (fn) => pending.push(fn) && pending.length, clearTimeout: () => {} };
  const live = createLive({ url: () => '/events?cards=1', EventSourceImpl: ES, timers });
  const got = [];
  live.on('snapshot', (d) => got.push(['snapshot', d.rev]));
  live.on('naras', (d) => got.push(['naras', d.rev]));
  live.start();
  const es = made[0];
  es.onopen();
  es.send('connected', { server: 'a', seq: 3, rev: 100 });
  es.send('snapshot', { rev: 100, naras: [] }, '3-100');
  es.send('naras', { rev: 101, changed: [] }, '4-101');
  assert.deepEqual(got, [
    ['snapshot', 100],
    ['naras', 101],
  ]);
  es.readyState = 2;
  es.onerror();
  pending.pop()(); // the retry (the give-up timer was armed first)
  assert.equal(made[1].url, '/events?cards=1&last_event_id=4-101');
  live.stop();
});
