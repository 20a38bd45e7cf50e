// Scale Vivaldi coordinates to fit an SVG box, pure (tested in test/mapview.test.mjs).

/** Placed nodes → [{name, cx, cy, ...node}] inside [pad, size - pad]², aspect kept. */
export function layout(nodes, size = 600, pad = 48) {
  const placed = (Array.isArray(nodes) ? nodes : []).filter(
    (n) => n && n.placed && n.coordinates && Number.isFinite(n.coordinates.x) && Number.isFinite(n.coordinates.y),
  );
  if (!placed.length) return [];
  const xs = placed.map((n) => n.coordinates.x);
  const ys = placed.map((n) => n.coordinates.y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const span = Math.max(Math.max(...xs) - minX, Math.max(...ys) - minY) || 1;
  const inner = size - 2 * pad;
  const offX = (inner - ((Math.max(...xs) - minX) / span) * inner) / 2;
  const offY = (inner - ((Math.max(...ys) - minY) / span) * inner) / 2;
  return placed.map((n) => ({
    ...n,
    cx: pad + offX + ((n.coordinates.x - minX) / span) * inner,
    cy: pad + offY + ((n.coordinates.y - minY) / span) * inner,
  }));
}
