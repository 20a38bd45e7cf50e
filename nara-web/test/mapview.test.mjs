// The map's layout: placed naras scaled into the box, aspect kept; unplaced ones left out.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layout } from '../src/mapview.js';

const at = (name, x, y) => ({ name, placed: true, coordinates: { x, y, height: 0, error: 0 } });

test('corners of the cloud land on the padded box, aspect kept', () => {
  const pts = layout([at('a', -10, 0), at('b', 10, 0), at('c', 0, 5), { name: 'me', placed: false, coordinates: null }], 600, 50);
  assert.deepEqual(pts.map((p) => p.name), ['a', 'b', 'c']);
  assert.equal(pts[0].cx, 50);
  assert.equal(pts[1].cx, 550);
  // y spans 5 of the 20 wide: centred vertically.
  assert.equal(pts[0].cy, 50 + (500 - 125) / 2);
  assert.equal(pts[2].cy, 50 + (500 - 125) / 2 + 125);
});

test('a single nara sits in the middle; nothing placed is an empty layout', () => {
  const [p] = layout([at('solo', 3, 3)], 600, 50);
  assert.equal(p.cx, 300);
  assert.equal(p.cy, 300);
  assert.deepEqual(layout([]), []);
  assert.deepEqual(layout(null), []);
});
