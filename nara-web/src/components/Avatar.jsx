// A nara's face: a soft blob whose outline comes from its name and whose colours are its aura
// (primary → secondary gradient). The expression follows its status (smile online, "o" when
// missing, asleep when offline) so the avatar alone already tells the story.

import { useId, useMemo } from 'preact/hooks';
import { hash32, luminance, safeColour, statusKey } from '../format.js';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f = (n) => n.toFixed(2);

/** A closed, smooth blob path (Catmull-Rom through jittered points around a circle). */
export function blobPath(seed, cx = 50, cy = 54, r = 38, points = 8) {
  const rnd = mulberry32(seed);
  const pts = [];
  const phase = rnd() * Math.PI * 2;
  for (let i = 0; i < points; i++) {
    const a = phase + (i / points) * Math.PI * 2;
    const rr = r * (0.84 + rnd() * 0.2);
    pts.push([cx + Math.cos(a) * rr, cy + Math.sin(a) * rr]);
  }
  let d = `M${f(pts[0][0])} ${f(pts[0][1])}`;
  for (let i = 0; i < points; i++) {
    const p0 = pts[(i - 1 + points) % points];
    const p1 = pts[i];
    const p2 = pts[(i + 1) % points];
    const p3 = pts[(i + 2) % points];
    const c1 = [p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6];
    const c2 = [p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6];
    d += `C${f(c1[0])} ${f(c1[1])} ${f(c2[0])} ${f(c2[1])} ${f(p2[0])} ${f(p2[1])}`;
  }
  return d + 'Z';
}

function Face({ status, ink }) {
  const common = { stroke: ink, 'stroke-width': 3.2, 'stroke-linecap': 'round', fill: 'none' };
  if (status === 'offline') {
    return (
      <g>
        <path d="M35 52 q5 4 10 0" {...common} />
        <path d="M55 52 q5 4 10 0" {...common} />
        <path d="M45 66 h10" {...common} />
      </g>
    );
  }
  if (status === 'missing') {
    return (
      <g>
        <circle cx="40" cy="50" r="3.6" fill={ink} />
        <circle cx="60" cy="50" r="3.6" fill={ink} />
        <circle cx="50" cy="66" r="4" {...common} />
      </g>
    );
  }
  return (
    <g>
      <circle cx="40" cy="50" r="3.6" fill={ink} />
      <circle cx="60" cy="50" r="3.6" fill={ink} />
      <path d="M41 62 q9 8 18 0" {...common} />
    </g>
  );
}

/**
 * @param {{name: string, primary?: string, secondary?: string, online?: string, size?: number}} p
 */
export function Avatar({ name, primary, secondary, online, size = 56, decorative = true }) {
  const uid = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const c1 = safeColour(primary, '#8B8FA3');
  const c2 = safeColour(secondary, c1);
  const status = statusKey(online);
  const seed = hash32(name || '?');
  const d = useMemo(() => blobPath(seed), [seed]);
  const angle = seed % 360;
  // Dark ink on light auras, light ink on dark ones, judged on the blend of both colours.
  const ink = (luminance(c1) + luminance(c2)) / 2 > 0.3 ? '#1d1b2f' : '#fdfcff';
  const g = `av-g-${uid}`;
  const h = `av-h-${uid}`;
  return (
    <svg
      class={`avatar avatar--${status}`}
      width={size}
      height={size}
      viewBox="0 0 100 100"
      role={decorative ? undefined : 'img'}
      aria-hidden={decorative ? 'true' : undefined}
      aria-label={decorative ? undefined : `${name}'s aura: ${c1} and ${c2}`}
      focusable="false"
    >
      <defs>
        <linearGradient id={g} gradientTransform={`rotate(${angle} .5 .5)`}>
          <stop offset="0" stop-color={c1} />
          <stop offset="1" stop-color={c2} />
        </linearGradient>
        <radialGradient id={h} cx=".35" cy=".3" r=".6">
          <stop offset="0" stop-color="#fff" stop-opacity=".55" />
          <stop offset="1" stop-color="#fff" stop-opacity="0" />
        </radialGradient>
      </defs>
      <ellipse cx="50" cy="94" rx="28" ry="4" class="avatar__shadow" />
      <path d={d} fill={`url(#${g})`} />
      <path d={d} fill={`url(#${h})`} />
      <path d={d} fill="none" class="avatar__rim" />
      <Face status={status} ink={ink} />
    </svg>
  );
}
