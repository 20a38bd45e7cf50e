// Pure helpers: human-readable times and sizes, nara statuses, and event normalisation.
// No DOM access here so that `npm test` can exercise them under plain Node.

/** "12 s ago" style relative time; `ts` and `now` in Unix seconds. 0/absent → "never". */
export function relativeTime(ts, now) {
  if (!ts) return 'never';
  const d = Math.round(now - ts);
  if (d < 0) return d > -5 ? 'just now' : `in ${shortDuration(-d)}`;
  if (d < 2) return 'just now';
  return `${shortDuration(d)} ago`;
}

/** One-unit duration: "12 s", "5 min", "3 h", "2 d". */
export function shortDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** Two-unit duration for uptimes: "3 d 4 h", "2 h 5 min", "45 s"; "—" for nothing. */
export function duration(seconds) {
  if (seconds == null || !Number.isFinite(seconds) || seconds <= 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** Absolute local date-time for tooltips; `ts` in Unix seconds. */
export function absoluteTime(ts) {
  if (!ts) return '';
  return new Date(ts * 1000).toLocaleString();
}

/** ISO string for <time datetime>. */
export function isoTime(ts) {
  if (!ts) return undefined;
  const d = new Date(ts * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Ledger timestamps are nanoseconds (Go); tolerate seconds or milliseconds too. → seconds. */
export function eventSeconds(ts) {
  if (!ts || !Number.isFinite(ts)) return 0;
  if (ts > 1e17) return ts / 1e9;
  if (ts > 1e14) return ts / 1e6;
  if (ts > 1e11) return ts / 1e3;
  return ts;
}

export const STATUSES = ['ONLINE', 'MISSING', 'OFFLINE', ''];

/** Canonical status key: "online" | "missing" | "offline" | "unknown". */
export function statusKey(online) {
  switch ((online || '').toUpperCase()) {
    case 'ONLINE':
      return 'online';
    case 'MISSING':
      return 'missing';
    case 'OFFLINE':
      return 'offline';
    default:
      return 'unknown';
  }
}

export const STATUS_LABEL = {
  online: 'Online',
  missing: 'Missing',
  offline: 'Offline',
  unknown: 'Unknown',
};

const STATUS_RANK = { online: 0, missing: 1, offline: 2, unknown: 3 };

function byName(a, b) {
  return a.Name.localeCompare(b.Name, undefined, { sensitivity: 'base', numeric: true });
}

/** Sort comparators for the neighbourhood; ties broken by name so the order is stable. */
export const SORTS = {
  name: { label: 'Name', cmp: byName },
  status: {
    label: 'Status',
    cmp: (a, b) =>
      STATUS_RANK[statusKey(a.Online)] - STATUS_RANK[statusKey(b.Online)] || byName(a, b),
  },
  uptime: {
    label: 'Uptime',
    // Up longest first: the earliest UpSince (0 = not up) wins; Uptime for older nodes' cards.
    cmp: (a, b) => upKey(a) - upKey(b) || byName(a, b),
  },
  lastSeen: {
    label: 'Last seen',
    cmp: (a, b) => (b.LastSeen || 0) - (a.LastSeen || 0) || byName(a, b),
  },
};

function upKey(n) {
  if (n.UpSince) return n.UpSince;
  if (n.Uptime) return -n.Uptime; // an older node's card: no UpSince, larger Uptime first
  return Number.MAX_SAFE_INTEGER;
}

/** Filter + sort the naras for the neighbourhood view. `status` is a statusKey or "all". */
export function selectNaras(naras, { status = 'all', query = '', sort = 'name' } = {}) {
  const q = query.trim().toLowerCase();
  const cmp = (SORTS[sort] || SORTS.name).cmp;
  return naras
    .filter((n) => status === 'all' || statusKey(n.Online) === status)
    .filter((n) => !q || n.Name.toLowerCase().includes(q))
    .slice()
    .sort(cmp);
}

/** Count naras per status key. */
export function countStatuses(naras) {
  const c = { all: naras.length, online: 0, missing: 0, offline: 0, unknown: 0 };
  for (const n of naras) c[statusKey(n.Online)] += 1;
  return c;
}

/**
 * One shape for ledger events from both sources: the inspector API
 * ({id, timestamp, service, emitter, ui_format:{icon,text,detail}, …}) and SSE frames
 * ({id, timestamp, service, emitter, icon, text, detail, …}).
 */
export function normaliseEvent(raw, fallbackService) {
  if (!raw || typeof raw !== 'object') return null;
  const ui = raw.ui_format || {};
  const service = raw.service || fallbackService || '';
  const id = raw.id != null && raw.id !== '' ? String(raw.id) : null;
  if (!id) return null;
  return {
    id,
    seq: Number.isFinite(raw.seq) ? raw.seq : null,
    ts: eventSeconds(raw.timestamp),
    service,
    emitter: raw.emitter || '',
    icon: raw.icon || ui.icon || SERVICE_ICON[service] || '•',
    text: raw.text || ui.text || `${raw.emitter || 'someone'}: ${service || 'event'}`,
    detail: raw.detail || ui.detail || '',
    subjects: Array.isArray(raw.subjects) ? raw.subjects : [],
    signed: raw.signed === true,
  };
}

export const SERVICE_ICON = {
  'hey-there': '👋',
  chau: '👋',
  observation: '👀',
  social: '💬',
  ping: '🏓',
  seen: '👁️',
  checkpoint: '📌',
};

/** Merge event lists newest first, dropping duplicate ids (first occurrence wins). */
export function mergeEvents(newer, older, limit = 500) {
  const seen = new Set();
  const out = [];
  for (const list of [newer, older]) {
    for (const e of list) {
      if (!e || seen.has(e.id)) continue;
      seen.add(e.id);
      out.push(e);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/**
 * Guess which status an event implies for its subject, for the profile's history strip:
 * hey-there → online, chau → offline, observations by their text. Null when it says nothing.
 * With `about`, only events that are about that nara count: its own hey-there/chau, or an
 * event naming it as a subject (not one it emitted about somebody else).
 */
export function impliedStatus(ev, about) {
  if (about !== undefined && !isAbout(ev, about)) return null;
  if (ev.service === 'hey-there') return 'online';
  if (ev.service === 'chau') return 'offline';
  const t = `${ev.text} ${ev.detail}`.toLowerCase();
  if (/\bmissing\b/.test(t)) return 'missing';
  if (/\boffline\b|\bleft\b|\bshut ?down\b|\bgoodbye\b/.test(t)) return 'offline';
  if (/\bonline\b|\brestart|\bcame back\b|\bjoined\b|\bfirst seen\b|\bback\b/.test(t)) return 'online';
  return null;
}

function isAbout(ev, name) {
  if (ev.service === 'hey-there' || ev.service === 'chau') return ev.emitter === name;
  if (!ev.subjects.includes(name)) return false;
  return ev.emitter !== name || ev.subjects.every((s) => s === name);
}

/** Numbers with at most `digits` decimals, no trailing zeros. */
export function num(v, digits = 1) {
  if (v == null || !Number.isFinite(v)) return '—';
  return Number(v.toFixed(digits)).toLocaleString();
}

/** A stable 32-bit hash of a string (FNV-1a), used to shape avatars. */
export function hash32(str) {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Parse "#RRGGBB" (or "#RGB") to [r,g,b]; null if not a colour. */
export function parseHex(hex) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec((hex || '').trim());
  if (!m) return null;
  let h = m[1];
  if (h.length === 3) h = h.replace(/./g, (c) => c + c);
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

/** A safe CSS colour from an aura value, with a fallback. */
export function safeColour(hex, fallback) {
  const rgb = parseHex(hex);
  if (!rgb) return fallback;
  return '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** Relative luminance 0..1 (WCAG) of a colour, to pick readable text on a swatch. */
export function luminance(hex) {
  const rgb = parseHex(hex);
  if (!rgb) return 0.5;
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Apply one `naras` frame to the card list: changed cards replace (or join) by Name, removed
 * names go. Cards that did not change keep their identity (memoised cards skip re-rendering).
 * `flashed` lists the names whose status changed, for the card's flash.
 */
export function applyCards(naras, changed, removed) {
  const byName = new Map(naras.map((n, i) => [n.Name, i]));
  const out = naras.slice();
  const flashed = [];
  const added = [];
  for (const card of changed) {
    if (!card || !card.Name) continue;
    const i = byName.get(card.Name);
    if (i == null) {
      added.push(card);
      flashed.push(card.Name);
    } else {
      if (out[i].Online !== card.Online) flashed.push(card.Name);
      out[i] = card;
    }
  }
  const gone = new Set(removed);
  const kept = gone.size ? out.filter((n) => !gone.has(n.Name)) : out;
  return { naras: added.length ? kept.concat(added) : kept, flashed };
}

/**
 * Time spent in each status within [from, to] (Unix s), from a card's History: status
 * transitions [[ts, status], ...] oldest first. Time before the first transition is unknown.
 * → { online, missing, offline, unknown } in seconds.
 */
export function timeInStatus(history, from, to) {
  const out = { online: 0, missing: 0, offline: 0, unknown: 0 };
  if (!(to > from)) return out;
  const h = Array.isArray(history) ? history : [];
  let cursor = from;
  let status = 'unknown';
  for (const [ts, s] of h) {
    if (ts > cursor) {
      const end = Math.min(ts, to);
      if (end > cursor) out[status] += end - cursor;
      cursor = Math.max(cursor, end);
    }
    status = statusKey(s);
    if (cursor >= to) break;
  }
  if (to > cursor) out[status] += to - cursor;
  return out;
}

/**
 * Availability over the last `window` seconds: the share of the *observed* time spent ONLINE,
 * and how much of the window was observed. null when nothing was observed.
 */
export function availability(history, now, window) {
  const t = timeInStatus(history, now - window, now);
  const seen = t.online + t.missing + t.offline;
  if (seen <= 0) return null;
  return { ratio: t.online / seen, coverage: seen / window };
}

/** "99.9 %", "100 %", "87 %": never rounds a gap up to 100. */
export function percent(ratio) {
  if (ratio == null || !Number.isFinite(ratio)) return '—';
  if (ratio >= 1) return '100 %';
  const p = ratio * 100;
  if (p >= 99) return `${(Math.floor(p * 10) / 10).toFixed(1)} %`;
  return `${Math.floor(p)} %`;
}

/**
 * The heartbeat strip: `count` buckets of `size` seconds ending at `now`, oldest first, each the
 * worst status seen in it ('offline' > 'missing' > 'online'), or 'unknown' before we knew.
 */
export function heartbeatBuckets(history, now, count = 30, size = 120) {
  const rank = { unknown: 0, online: 1, missing: 2, offline: 3 };
  const out = [];
  for (let i = count - 1; i >= 0; i--) {
    const from = now - (i + 1) * size;
    const t = timeInStatus(history, from, from + size);
    let worst = 'unknown';
    for (const s of ['online', 'missing', 'offline']) if (t[s] > 0 && rank[s] > rank[worst]) worst = s;
    out.push({ from, status: worst });
  }
  return out;
}

/** What a card says about how long a nara has been in its status: "online for 3 h" … */
export function statusFor(card, now) {
  const s = statusKey(card.Online);
  const since = s === 'online' ? card.UpSince || card.StatusSince : card.StatusSince;
  if (!since || s === 'unknown') return '';
  return `${STATUS_LABEL[s].toLowerCase()} for ${duration(Math.max(1, now - since))}`;
}

export const CHANGE_KINDS = {
  joined: { label: 'Joined', icon: '✨' },
  left: { label: 'Left', icon: '👋' },
  missing: { label: 'Went missing', icon: '❓' },
  back: { label: 'Came back', icon: '↩️' },
  restarted: { label: 'Restarted', icon: '🔄' },
  forgotten: { label: 'Forgotten', icon: '🗑️' },
  plaza: { label: 'Plaza', icon: '📡' },
  tease: { label: 'Teased', icon: '😈' },
  started: { label: 'Node started', icon: '🚀' },
};

/** Filter the change log by nara name (exact, or substring when `loose`) and kinds. */
export function filterChanges(changes, { name = '', kinds = [] } = {}) {
  const q = name.trim().toLowerCase();
  const k = new Set(kinds);
  return changes.filter((c) => (!q || String(c.name).toLowerCase().includes(q)) && (!k.size || k.has(c.kind)));
}

/**
 * Group repeats in a change log (newest first): consecutive items of the same kind about the same
 * nara become one group ("went missing ×4"), and consecutive items of the same kind about
 * different naras within `window` seconds become one ("12 naras joined").
 */
export function groupChanges(changes, window = 120) {
  const groups = [];
  for (const c of changes) {
    const g = groups[groups.length - 1];
    if (g && g.kind === c.kind && c.kind !== 'plaza' && g.items[g.items.length - 1].ts - c.ts <= window) {
      g.items.push(c);
      if (!g.names.includes(c.name)) g.names.push(c.name);
      continue;
    }
    groups.push({ key: `${c.kind}-${c.id}`, kind: c.kind, items: [c], names: [c.name], ts: c.ts });
  }
  return groups;
}

/** One line for a group: its item's text, or "bob went missing ×3", or "12 naras joined". */
export function groupText(g) {
  if (g.items.length === 1) return g.items[0].text;
  if (g.names.length === 1) return `${g.items[0].text} (×${g.items.length})`;
  const label = (CHANGE_KINDS[g.kind] || { label: g.kind }).label.toLowerCase();
  return `${g.names.length} naras ${label}`;
}

/** How long a nara may go unseen before the neighbourhood hides it by default. */
export const STALE_AFTER = 86400;

/**
 * A card is stale when this node last saw it more than STALE_AFTER seconds before `now`
 * (Unix s). This node itself is never stale, nor a card with no LastSeen yet (0: never seen
 * is not "seen long ago").
 */
export function isStale(nara, now, after = STALE_AFTER) {
  if (!nara || nara.IsSelf) return false;
  const seen = Number(nara.LastSeen);
  if (!Number.isFinite(seen) || seen <= 0) return false;
  return now - seen > after;
}

/** Split cards into the ones shown by default and the stale ones: {fresh, stale}. */
export function splitStale(naras, now, after = STALE_AFTER) {
  const fresh = [];
  const stale = [];
  for (const n of naras) (isStale(n, now, after) ? stale : fresh).push(n);
  return { fresh, stale };
}
