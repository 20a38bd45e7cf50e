// Pure helpers of the dashboard: times, statuses, sorting/filtering, event normalisation and
// the base-path rules the server's __NARA_BASE__ substitution relies on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseBase, routeOf, withBase } from '../src/base.js';
import {
  countStatuses,
  duration,
  eventSeconds,
  impliedStatus,
  mergeEvents,
  normaliseEvent,
  relativeTime,
  selectNaras,
  statusKey,
} from '../src/format.js';

test('relative times read like "12 s ago" and never for zero', () => {
  assert.equal(relativeTime(1000, 1012), '12 s ago');
  assert.equal(relativeTime(1000, 1000 + 5 * 60 + 3), '5 min ago');
  assert.equal(relativeTime(1000, 1000 + 3 * 3600), '3 h ago');
  assert.equal(relativeTime(1000, 1000 + 2 * 86400), '2 d ago');
  assert.equal(relativeTime(1000, 1001), 'just now');
  assert.equal(relativeTime(0, 1000), 'never');
});

test('uptimes use two units', () => {
  assert.equal(duration(86400 * 3 + 3600 * 4 + 12), '3 d 4 h');
  assert.equal(duration(3600 * 2 + 60 * 5), '2 h 5 min');
  assert.equal(duration(45), '45 s');
  assert.equal(duration(0), '—');
  assert.equal(duration(undefined), '—');
});

test('ledger nanosecond timestamps become seconds', () => {
  assert.equal(eventSeconds(1700000000123456789), 1700000000.1234567);
  assert.equal(eventSeconds(1700000000000), 1700000000);
  assert.equal(eventSeconds(1700000000), 1700000000);
});

test('status keys cover the contract values and the empty one', () => {
  assert.equal(statusKey('ONLINE'), 'online');
  assert.equal(statusKey('MISSING'), 'missing');
  assert.equal(statusKey('OFFLINE'), 'offline');
  assert.equal(statusKey(''), 'unknown');
  assert.equal(statusKey(undefined), 'unknown');
});

const NARAS = [
  { Name: 'bob', Online: 'OFFLINE', Uptime: 10, LastSeen: 50 },
  { Name: 'alice', Online: 'ONLINE', Uptime: 30, LastSeen: 100 },
  { Name: 'Carol', Online: 'MISSING', Uptime: 20, LastSeen: 80 },
  { Name: 'dave', Online: 'ONLINE', Uptime: 5, LastSeen: 100 },
];
const names = (l) => l.map((n) => n.Name);

test('neighbourhood sorts by name, status, uptime and last seen with name as tie-break', () => {
  assert.deepEqual(names(selectNaras(NARAS, { sort: 'name' })), ['alice', 'bob', 'Carol', 'dave']);
  assert.deepEqual(names(selectNaras(NARAS, { sort: 'status' })), ['alice', 'dave', 'Carol', 'bob']);
  assert.deepEqual(names(selectNaras(NARAS, { sort: 'uptime' })), ['alice', 'Carol', 'bob', 'dave']);
  assert.deepEqual(names(selectNaras(NARAS, { sort: 'lastSeen' })), ['alice', 'dave', 'Carol', 'bob']);
});

test('neighbourhood filters by status and case-insensitive name text', () => {
  assert.deepEqual(names(selectNaras(NARAS, { status: 'online' })), ['alice', 'dave']);
  assert.deepEqual(names(selectNaras(NARAS, { query: 'car' })), ['Carol']);
  assert.deepEqual(names(selectNaras(NARAS, { status: 'offline', query: 'a' })), []);
  assert.deepEqual(countStatuses(NARAS), { all: 4, online: 2, missing: 1, offline: 1, unknown: 0 });
});

test('events from the inspector API and from SSE normalise to the same shape', () => {
  const api = normaliseEvent({
    id: 'a1',
    timestamp: 1700000000000000000,
    service: 'hey-there',
    emitter: 'jojo',
    signed: true,
    seq: 4,
    subjects: ['jojo'],
    ui_format: { icon: '👋', text: 'jojo joined the network', detail: 'hey there!' },
  });
  const sse = normaliseEvent({
    id: 'a1',
    timestamp: 1700000000000000000,
    service: 'hey-there',
    emitter: 'jojo',
    seq: 4,
    subjects: ['jojo'],
    icon: '👋',
    text: 'jojo joined the network',
    detail: 'hey there!',
  });
  assert.deepEqual({ ...api, signed: false }, sse);
  assert.equal(api.ts, 1700000000);
  assert.equal(normaliseEvent({ text: 'no id' }), null);
  // ui_format may be null: a readable line is still made
  assert.equal(normaliseEvent({ id: 'x', service: 'ping', emitter: 'bob', ui_format: null }).text, 'bob: ping');
});

test('merging keeps newest first and drops duplicate ids', () => {
  const e = (id) => ({ id });
  assert.deepEqual(mergeEvents([e('c'), e('b')], [e('b'), e('a')]).map((x) => x.id), ['c', 'b', 'a']);
  assert.equal(mergeEvents([e('a'), e('b'), e('c')], [], 2).length, 2);
});

test('status history only credits events about the nara itself', () => {
  const ev = (service, emitter, subjects, text = '') => ({ service, emitter, subjects, text, detail: '' });
  assert.equal(impliedStatus(ev('hey-there', 'bob', ['bob']), 'bob'), 'online');
  assert.equal(impliedStatus(ev('chau', 'bob', ['bob']), 'bob'), 'offline');
  assert.equal(impliedStatus(ev('observation', 'jojo', ['bob'], 'bob is MISSING'), 'bob'), 'missing');
  // bob reporting somebody else says nothing about bob
  assert.equal(impliedStatus(ev('observation', 'bob', ['alice'], 'alice is MISSING'), 'bob'), null);
  assert.equal(impliedStatus(ev('hey-there', 'alice', ['alice']), 'bob'), null);
});

test('the base path comes from the substituted meta tag, tolerating the raw token', () => {
  assert.equal(normaliseBase(''), '');
  assert.equal(normaliseBase('__NARA_BASE__'), '');
  assert.equal(normaliseBase('/nara'), '/nara');
  assert.equal(normaliseBase('/nara/'), '/nara');
  assert.equal(normaliseBase('nara'), '/nara');
  assert.equal(normaliseBase('https://example.org/x/y/'), '/x/y');
  assert.equal(withBase('/events', '/nara'), '/nara/events');
  assert.equal(withBase('/events', ''), '/events');
  assert.equal(routeOf('/nara', '/nara'), '/');
  assert.equal(routeOf('/nara/nara/jojo', '/nara'), '/nara/jojo');
  assert.equal(routeOf('/naraX/timeline', '/nara'), null);
  assert.equal(routeOf('/timeline', ''), '/timeline');
});
