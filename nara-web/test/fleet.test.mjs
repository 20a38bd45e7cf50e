// The fleet table: rows from /api.json items and the column sort.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetRows, sortRows } from '../src/fleet.js';

const NARAS = [
  { Name: 'bob', Online: 'ONLINE', Version: 'v2', HostStats: { ProcCPUPercent: 12.5, MemSysMB: 300, Uptime: 50, LoadAvg: 0.5 } },
  { Name: 'alice', Online: 'MISSING', Version: 'v1', HostStats: { ProcCPUPercent: 3, MemSysMB: 900, Uptime: 7000, LoadAvg: 2 } },
  { Name: 'carol', Online: 'OFFLINE', HostStats: { ProcCPUPercent: 'lots', MemSysMB: null } },
  { Online: 'ONLINE' },
  null,
];

test('rows keep only named naras and turn bad figures into null', () => {
  const rows = fleetRows(NARAS);
  assert.deepEqual(rows.map((r) => r.name), ['bob', 'alice', 'carol']);
  const carol = rows[2];
  assert.equal(carol.cpu, null);
  assert.equal(carol.mem, null);
  assert.equal(carol.version, '');
  assert.equal(carol.hasStats, false);
  assert.deepEqual(fleetRows('nope'), []);
});

test('numbers sort numerically both ways, unknowns last either way', () => {
  const rows = fleetRows(NARAS);
  assert.deepEqual(sortRows(rows, 'mem', 'asc').map((r) => r.name), ['bob', 'alice', 'carol']);
  assert.deepEqual(sortRows(rows, 'mem', 'desc').map((r) => r.name), ['alice', 'bob', 'carol']);
  assert.deepEqual(sortRows(rows, 'cpu', 'desc').map((r) => r.name), ['bob', 'alice', 'carol']);
  assert.deepEqual(sortRows(rows, 'version', 'asc').map((r) => r.name), ['alice', 'bob', 'carol']);
  assert.deepEqual(sortRows(rows, 'name', 'desc').map((r) => r.name), ['carol', 'bob', 'alice']);
});
