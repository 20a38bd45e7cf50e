// Small building blocks shared by the views: status badge, relative time, copy button, the
// connection indicator, a logo mark and simple state panels (loading, error, empty).

import { useEffect, useRef, useState } from 'preact/hooks';
import { STATUS_LABEL, absoluteTime, isoTime, relativeTime, statusKey } from '../format.js';
import { useConnState, useNow } from '../hooks.js';
import { live } from '../live.js';

/** Status glyphs differ in shape, not only colour: filled dot, dashed ring with "?", hollow ring. */
export function StatusIcon({ status }) {
  const common = { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true', focusable: 'false' };
  switch (status) {
    case 'online':
      return (
        <svg {...common} class="status-icon">
          <circle cx="6" cy="6" r="5" fill="currentColor" />
        </svg>
      );
    case 'missing':
      return (
        <svg {...common} class="status-icon">
          <path d="M6 1 L11 10.5 H1 Z" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" />
          <path d="M6 4.6 V7.2" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" />
          <circle cx="6" cy="9" r=".8" fill="currentColor" />
        </svg>
      );
    case 'offline':
      return (
        <svg {...common} class="status-icon">
          <circle cx="6" cy="6" r="4.4" fill="none" stroke="currentColor" stroke-width="1.6" />
          <path d="M3 9 L9 3" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
        </svg>
      );
    default:
      return (
        <svg {...common} class="status-icon">
          <circle cx="6" cy="6" r="4.4" fill="none" stroke="currentColor" stroke-width="1.6" stroke-dasharray="2 2" />
        </svg>
      );
  }
}

export function StatusBadge({ online, size }) {
  const s = statusKey(online);
  return (
    <span class={`badge badge--${s}${size ? ' badge--' + size : ''}`}>
      <StatusIcon status={s} />
      <span>{STATUS_LABEL[s]}</span>
    </span>
  );
}

/** "12 s ago", re-rendered every second, with the absolute time as a tooltip. */
export function Ago({ ts }) {
  const now = useNow();
  return (
    <time dateTime={isoTime(ts)} title={absoluteTime(ts)}>
      {relativeTime(ts, now)}
    </time>
  );
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP origins have no async clipboard: fall back to a selected, off-screen textarea.
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.className = 'offscreen';
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('copy failed');
}

export function CopyButton({ text, label }) {
  const [done, setDone] = useState(null);
  const timer = useRef(null);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onClick = async () => {
    try {
      await copyText(text);
      setDone('ok');
    } catch {
      setDone('fail');
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setDone(null), 1800);
  };
  return (
    <button type="button" class={`btn btn--small copy${done ? ' copy--' + done : ''}`} onClick={onClick} aria-label={`Copy ${label}`} data-testid="copy-button">
      <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
        {done === 'ok' ? (
          <path d="M3 8.5 6.5 12 13 4.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
        ) : (
          <g fill="none" stroke="currentColor" stroke-width="1.5">
            <rect x="5" y="5" width="9" height="9" rx="2" />
            <path d="M11 5V3.5A1.5 1.5 0 0 0 9.5 2h-6A1.5 1.5 0 0 0 2 3.5v6A1.5 1.5 0 0 0 3.5 11H5" />
          </g>
        )}
      </svg>
      <span>{done === 'ok' ? 'Copied' : done === 'fail' ? 'Copy failed' : 'Copy'}</span>
      <span class="visually-hidden" aria-live="polite">
        {done === 'ok' ? `${label} copied to the clipboard` : done === 'fail' ? 'Copying failed' : ''}
      </span>
    </button>
  );
}

const CONN_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected',
};

const CONN_HINT = {
  connecting: 'Opening the live event stream',
  live: 'Receiving live updates from the node',
  reconnecting: 'Lost the live stream; reconnecting and catching up on missed events',
  disconnected: 'The node cannot be reached; retrying in the background',
};

export function ConnectionState() {
  const state = useConnState();
  return (
    <div class={`conn conn--${state}`} data-testid="connection-state" data-state={state} role="status" aria-live="polite" aria-atomic="true" title={CONN_HINT[state]}>
      <span class="conn__dot" aria-hidden="true" />
      <span class="conn__text">
        <span class="visually-hidden">Connection: </span>
        {CONN_TEXT[state]}
      </span>
      {state === 'disconnected' && (
        <button type="button" class="conn__retry" onClick={() => live.reconnectNow()}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Logo({ size = 28 }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false" class="logo">
      <defs>
        <linearGradient id="logo-g" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stop-color="#7C6CF2" />
          <stop offset="1" stop-color="#2BB39A" />
        </linearGradient>
      </defs>
      <path d="M16 2.5c6.6 0 12.6 4.4 12.6 12 0 7.9-5.7 15-13.3 15C8.3 29.5 3.4 23.6 3.4 16.4 3.4 8.6 9.3 2.5 16 2.5Z" fill="url(#logo-g)" />
      <circle cx="12" cy="15" r="2" fill="#fff" />
      <circle cx="20" cy="15" r="2" fill="#fff" />
      <path d="M11.5 20.5q4.5 4 9 0" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}

export function Loading({ label = 'Loading…' }) {
  return (
    <div class="state state--loading" role="status">
      <span class="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorPanel({ title = 'Something went wrong', message, onRetry }) {
  return (
    <div class="state state--error" role="alert">
      <strong>{title}</strong>
      {message && <span class="muted">{message}</span>}
      {onRetry && (
        <button type="button" class="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }) {
  return <div class="state state--empty">{children}</div>;
}

const PLAZA_TEXT = {
  connected: 'Plaza connected',
  connecting: 'Connecting to the plaza…',
  reconnecting: 'Plaza unreachable',
  silent: 'Plaza not answering',
  alone: 'Alone (no plaza)',
};

/**
 * The plaza's state, on every page: a quiet chip while connected, a banner saying what it means
 * for the figures when the broker is down, and a note when the node runs alone by choice.
 */
export function PlazaBanner({ plaza, streamState, updatedAt }) {
  const now = useNow();
  if (!plaza) return null;
  const state = plaza.state;
  const since = plaza.since ? ` since ${new Date(plaza.since * 1000).toLocaleTimeString()} (${relativeTime(plaza.since, now).replace(' ago', '')})` : '';
  const broker = plaza.broker ? <code>{plaza.broker}</code> : 'the broker';
  // Only once the page had news from the node and then lost it ("connecting" is the first load).
  const stale = streamState === 'reconnecting' || streamState === 'disconnected';
  if (state === 'connected' && !stale) return null;
  let body;
  let tone = 'warn';
  if (stale) {
    body = (
      <>
        <strong>This page lost the node.</strong> What you see is as of {updatedAt ? new Date(updatedAt).toLocaleTimeString() : 'the last update'}; it catches up when the node answers again.
      </>
    );
  } else if (state === 'reconnecting' || state === 'silent') {
    body = (
      <>
        <strong>
          {state === 'silent' ? 'The plaza stopped answering' : 'The plaza is unreachable'}
          {since}.
        </strong>{' '}
        This node is reconnecting to {broker}. Meanwhile it hears nobody: the statuses below are as they were when it lost the plaza, and naras will turn <em>missing</em> here although nothing happened to them.
      </>
    );
  } else if (state === 'connecting') {
    tone = 'info';
    body = <>Connecting to the plaza at {broker}… Until then this node knows nobody.</>;
  } else if (state === 'alone') {
    tone = 'info';
    body = (
      <>
        <strong>Alone by choice:</strong> no broker is configured (<code>-mqtt-host</code>), so this node meets nobody and shows only itself.
      </>
    );
  } else {
    return null;
  }
  return (
    <div class={`banner banner--${tone}`} role="status" data-testid="plaza-banner" data-state={stale ? 'stale' : state}>
      <div class="banner__inner">{body}</div>
    </div>
  );
}

/** A small chip in the header: the plaza's state in two words. */
export function PlazaChip({ plaza }) {
  if (!plaza) return null;
  return (
    <span class={`plaza-chip plaza-chip--${plaza.state}`} data-testid="plaza-state" data-state={plaza.state} title={plaza.broker || 'no broker configured'}>
      {PLAZA_TEXT[plaza.state] || plaza.state}
    </span>
  );
}
