// The neighbourhood hides naras this node has not seen for 24 h (the toggle shows them again).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STALE_AFTER, isStale, splitStale } from '../src/format.js';

const NOW = 1_800_000_000;

test('a nara last seen more than 24 h ago is stale, one seen at 24 h is not', () => {
  assert.equal(STALE_AFTER, 86400);
  assert.equal(isStale({ Name: 'old', LastSeen: NOW - 86401 }, NOW), true);
  assert.equal(isStale({ Name: 'edge', LastSeen: NOW - 86400 }, NOW), false);
  assert.equal(isStale({ Name: 'fresh', LastSeen: NOW - 5 }, NOW), false);
});

test('this node is never stale, and neither is a card with no LastSeen', () => {
  assert.equal(isStale({ Name: 'me', IsSelf: true, LastSeen: NOW - 10 * 86400 }, NOW), false);
  assert.equal(isStale({ Name: 'never', LastSeen: 0 }, NOW), false);
  assert.equal(isStale({ Name: 'junk', LastSeen: 'soon' }, NOW), false);
  assert.equal(isStale(null, NOW), false);
});

test('splitStale keeps order and puts every card in exactly one side', () => {
  const naras = [
    { Name: 'a', LastSeen: NOW - 100 },
    { Name: 'b', LastSeen: NOW - 2 * 86400, Online: 'OFFLINE' },
    { Name: 'me', IsSelf: true, LastSeen: NOW - 3 * 86400 },
    { Name: 'c', LastSeen: NOW - 86400 - 1, Online: 'ONLINE' },
  ];
  const { fresh, stale } = splitStale(naras, NOW);
  assert.deepEqual(
    fresh.map((n) => n.Name),
    ['a', 'me'],
  );
  assert.deepEqual(
    stale.map((n) => n.Name),
    ['b', 'c'],
  );
});
