// One ledger event in full: what it says, who signed it, whether the signature verifies with the
// key this nara holds, and the exact string that was signed ({base}/api/inspector/event/{id}).

import { useEffect, useState } from 'preact/hooks';
import { Ago, CopyButton, ErrorPanel, Loading } from '../components/ui.jsx';
import { getJSON } from '../base.js';
import { eventSeconds } from '../format.js';
import { useTitle } from '../hooks.js';
import { Link, profilePath } from '../router.jsx';

function verdict(v) {
  if (!v.is_signed && !(v.voters && v.voters.length)) return { cls: 'unsigned', text: 'Not signed' };
  if (v.signature_valid) return { cls: 'valid', text: 'Signature verified' };
  if (!v.public_key_known) return { cls: 'unknown', text: 'Key unknown: cannot verify' };
  return { cls: 'bad', text: 'Signature does not verify' };
}

const KEY_SOURCE = {
  embedded: 'the key inside the event',
  roster: "the emitter's key from the roster",
  voters: "each voter's key from the roster",
};

function Voters({ voters }) {
  return (
    <table class="table" data-testid="event-voters">
      <caption>Voters</caption>
      <thead>
        <tr>
          <th scope="col">Voter ID</th>
          <th scope="col">Signature</th>
          <th scope="col">Signed content</th>
        </tr>
      </thead>
      <tbody>
        {voters.map((v) => (
          <tr key={v.voter_id}>
            <td>
              <code>{v.voter_id}</code>
            </td>
            <td>{v.signature_valid ? '✓ verified' : v.error || 'does not verify'}</td>
            <td>
              <code class="wrap">{v.signed_content}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EventDetail({ id }) {
  const [state, setState] = useState({ loading: true });
  const [tick, setTick] = useState(0);
  useTitle('Event ' + id.slice(0, 8));
  useEffect(() => {
    const ctl = new AbortController();
    setState({ loading: true });
    getJSON('/api/inspector/event/' + encodeURIComponent(id), { signal: ctl.signal })
      .then((data) => setState({ data }))
      .catch((e) => {
        if (e.name !== 'AbortError') setState({ error: e });
      });
    return () => ctl.abort();
  }, [id, tick]);

  let body;
  if (state.loading) body = <Loading label="Reading the event…" />;
  else if (state.error)
    body = <ErrorPanel title={state.error.status === 404 ? 'No such event here' : 'Could not read the event'} message={state.error.message} onRetry={() => setTick(tick + 1)} />;
  else {
    const { event: ev, verification: v, metadata: m } = state.data;
    const ui = m.ui_format || {};
    const vd = verdict(v);
    const json = JSON.stringify(ev, null, 2);
    body = (
      <>
        <p class="lede">{ui.text || ev.svc}</p>
        <p class={`verdict verdict--${vd.cls}`} data-testid="event-verdict" data-verdict={vd.cls}>
          <span aria-hidden="true">{vd.cls === 'valid' ? '✓' : vd.cls === 'bad' ? '✗' : '?'}</span> {vd.text}
          {v.verification_error && <span class="muted"> ({v.verification_error})</span>}
        </p>
        <dl class="facts" data-testid="event-facts">
          <dt>Service</dt>
          <dd>{ev.svc}</dd>
          <dt>Emitter</dt>
          <dd>{ev.emitter ? <Link href={profilePath(ev.emitter)}>{ev.emitter}</Link> : '—'}</dd>
          {ev.emitter_id && (
            <>
              <dt>Emitter ID</dt>
              <dd>
                <code>{ev.emitter_id}</code>
              </dd>
            </>
          )}
          <dt>When</dt>
          <dd>
            <Ago ts={eventSeconds(ev.ts)} />
          </dd>
          <dt>About</dt>
          <dd>
            {m.subjects.length
              ? m.subjects.map((s, i) => (
                  <span key={s}>
                    {i > 0 && ', '}
                    <Link href={profilePath(s)}>{s}</Link>
                  </span>
                ))
              : '—'}
          </dd>
          <dt>Signed</dt>
          <dd data-testid="event-signed">{v.is_signed ? 'yes' : 'no'}</dd>
          <dt>Key known</dt>
          <dd data-testid="event-key-known">{v.public_key_known ? `yes (${KEY_SOURCE[v.key_source] || v.key_source})` : 'no'}</dd>
          <dt>Ledger position</dt>
          <dd>
            {m.event_index + 1} of {m.total_events} (seq {m.seq})
          </dd>
        </dl>
        {v.signable_content && (
          <section aria-labelledby="signed-title">
            <h2 id="signed-title">Signed content</h2>
            <p class="muted">The signature is Ed25519 over the SHA-256 of this exact string (UTF-8).</p>
            <pre class="code wrap" data-testid="event-signable">{v.signable_content}</pre>
            <p>
              SHA-256: <code class="wrap" data-testid="event-digest">{v.signed_digest}</code>
            </p>
            <p>
              <CopyButton text={v.signable_content} label="Copy the signed string" />
            </p>
          </section>
        )}
        {v.voters && v.voters.length > 0 && <Voters voters={v.voters} />}
        <section aria-labelledby="json-title">
          <h2 id="json-title">As received</h2>
          <pre class="code" data-testid="event-json">{json}</pre>
        </section>
      </>
    );
  }
  return (
    <section class="view" aria-labelledby="view-title">
      <header class="view__head">
        <div>
          <h1 id="view-title" tabIndex={-1}>
            Event <code>{id.slice(0, 12)}</code>
          </h1>
        </div>
        <Link href="/timeline?view=ledger" class="btn">
          Raw ledger
        </Link>
      </header>
      {body}
    </section>
  );
}
