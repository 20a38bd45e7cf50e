// Teases on a profile (given and received, hearsay marked) and a small burst for each live
// social event. The burst can be turned off (kept in localStorage) and never runs under
// prefers-reduced-motion. Verified teases come from {base}/api/inspector/events?service=social,
// hearsay from ?service=hearsay (docs/api.md).

import { useCallback, useEffect, useState } from 'preact/hooks';
import { getJSON } from './base.js';
import { useLive } from './hooks.js';
import { Ago, Empty } from './components/ui.jsx';
import { Link, profilePath } from './router.jsx';

const STORE_KEY = 'nara.teaseBursts';

function burstsWanted() {
  try {
    return localStorage.getItem(STORE_KEY) !== 'off';
  } catch {
    return true;
  }
}

function reducedMotion() {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

function item(raw, verified) {
  if (!raw || typeof raw !== 'object' || !raw.id) return null;
  const subjects = Array.isArray(raw.subjects) ? raw.subjects : [];
  const ui = raw.ui_format || {};
  return {
    id: String(raw.id),
    ts: Math.floor((Number(raw.timestamp) || 0) / 1e9),
    actor: String(subjects[0] || raw.emitter || ''),
    target: String(subjects[1] || ''),
    reason: String(ui.detail || ''),
    icon: String(ui.icon || '💬'),
    verified,
    relayedBy: verified ? '' : String(raw.relayed_by || ''),
  };
}

/** A profile's teases: given (the nara is the actor) and received (it is the target). */
export function Teases({ name }) {
  const [items, setItems] = useState(null);
  const [friends, setFriends] = useState(null);
  const [error, setError] = useState(null);

  const load = useCallback(
    async (signal) => {
      try {
        const q = (svc) => new URLSearchParams({ service: svc, subject: name, limit: '30' });
        const [ok, heard, profile] = await Promise.all([
          getJSON(`/api/inspector/events?${q('social')}`, { signal }),
          getJSON(`/api/inspector/events?${q('hearsay')}`, { signal }),
          getJSON(`/profile/${encodeURIComponent(name)}.json`, { signal }).catch(() => null),
        ]);
        setFriends((profile && profile.best_friends) || null);
        const all = [
          ...(ok.events || []).map((e) => item(e, true)),
          ...(heard.events || []).map((e) => item(e, false)),
        ].filter(Boolean);
        all.sort((a, b) => b.ts - a.ts);
        setItems(all.slice(0, 30));
        setError(null);
      } catch (err) {
        if (err.name === 'AbortError') return;
        setError(err.message || String(err));
      }
    },
    [name],
  );

  useEffect(() => {
    setItems(null);
    const ac = new AbortController();
    load(ac.signal);
    return () => ac.abort();
  }, [name]);

  useLive('event', (ev) => {
    if (ev.service === 'social' && ev.subjects.includes(name)) load();
  });

  return (
    <section class="panel panel--wide" aria-labelledby="h-teases" data-testid="teases">
      <h2 id="h-teases">Teases</h2>
      {error && <p class="muted">Could not load teases: {error}</p>}
      {items && items.length === 0 && <Empty>No teases yet, given or received.</Empty>}
      <BestFriends friends={friends} />
      {items && items.length > 0 && (
        <ul class="teases">
          {items.map((t) => (
            <li key={t.id} class={`tease${t.verified ? '' : ' tease--hearsay'}`} data-testid="tease" data-verified={String(t.verified)}>
              <span class="tease__icon" aria-hidden="true">
                {t.icon}
              </span>
              <span class="tease__dir">{t.actor === name ? 'gave' : 'got'}</span>
              <span class="tease__text">
                <Link href={profilePath(t.actor)}>{t.actor}</Link> teased <Link href={profilePath(t.target)}>{t.target}</Link>
                {t.reason && <span class="chip">{t.reason}</span>}
              </span>
              {!t.verified && (
                <span class="hearsay" title="Not verified: someone else told this node" data-testid="hearsay">
                  hearsay via {t.relayedBy}
                </span>
              )}
              <span class="tease__time">{t.ts ? <Ago ts={t.ts} /> : ''}</span>
            </li>
          ))}
        </ul>
      )}
      <BurstToggle />
    </section>
  );
}

/** Who teased this nara most, and whom it teased most (verified teases; /profile/{name}.json). */
function BestFriends({ friends }) {
  if (!friends) return null;
  const one = (f) => (f && f.name ? f : null);
  const from = one(friends.from);
  const to = one(friends.to);
  if (!from && !to) return null;
  return (
    <p class="best-friends" data-testid="best-friends">
      Best friends:{' '}
      {from && (
        <span data-testid="best-friend-from">
          teased most by <Link href={profilePath(from.name)}>{from.name}</Link> ({from.count})
        </span>
      )}
      {from && to && ' · '}
      {to && (
        <span data-testid="best-friend-to">
          teases <Link href={profilePath(to.name)}>{to.name}</Link> most ({to.count})
        </span>
      )}
    </p>
  );
}

function BurstToggle() {
  const [on, setOn] = useState(burstsWanted);
  const change = (e) => {
    const value = e.currentTarget.checked;
    setOn(value);
    try {
      localStorage.setItem(STORE_KEY, value ? 'on' : 'off');
    } catch {
      /* private mode: the choice lasts this page */
    }
    window.dispatchEvent(new Event('nara-bursts'));
  };
  return (
    <label class="toggle">
      <input type="checkbox" checked={on} onChange={change} data-testid="tease-bursts" /> Animate live teases
    </label>
  );
}

/** Mounted once: a short burst of the event's icon for each live social event. */
export function TeaseBursts() {
  const [bursts, setBursts] = useState([]);
  const [on, setOn] = useState(burstsWanted);
  useEffect(() => {
    const sync = () => setOn(burstsWanted());
    window.addEventListener('nara-bursts', sync);
    window.addEventListener('storage', sync);
    return () => {
      window.removeEventListener('nara-bursts', sync);
      window.removeEventListener('storage', sync);
    };
  }, []);
  useLive('event', (ev) => {
    if (ev.service !== 'social' || !on || reducedMotion()) return;
    const b = { id: ev.id, icon: ev.icon, left: 10 + (ev.id.charCodeAt(0) % 80) };
    setBursts((old) => [...old.slice(-4), b]);
    setTimeout(() => setBursts((old) => old.filter((x) => x !== b)), 1600);
  });
  if (!bursts.length) return null;
  return (
    <div class="bursts" aria-hidden="true">
      {bursts.map((b) => (
        <span key={b.id} class="burst" data-testid="tease-burst" style={{ left: `${b.left}%` }}>
          {b.icon}
        </span>
      ))}
    </div>
  );
}
