// Postcards: every completed world journey this nara heard on the plaza ({base}/world/journeys),
// each a card with its message, its hop chain (nara, stamp, time) and each hop's signature mark
// (verified with the key we hold, bad, or unknown key).

import { Ago, Empty, ErrorPanel, Loading } from '../components/ui.jsx';
import { getJSON } from '../base.js';
import { usePolledJSON, useTitle } from '../hooks.js';
import { Link, profilePath } from '../router.jsx';
import { useNeighbourhood } from '../store.js';

const REFRESH_MS = 5000;
const MARK = {
  verified: { icon: '✓', text: 'signature verified' },
  bad: { icon: '✗', text: 'signature does not verify' },
  'unknown-key': { icon: '?', text: 'key unknown: not checked' },
};

function Postcard({ j }) {
  const verdict = j.verified ? 'verified' : j.bad_hops ? 'bad' : 'unknown-key';
  return (
    <li class="postcard" data-testid="postcard" data-id={j.id} data-verdict={verdict}>
      <p class="postcard__message">“{j.message || '(no message)'}”</p>
      <p class="postcard__meta">
        from <Link href={profilePath(j.originator)}>{j.originator}</Link> · {j.hop_count} hops{j.complete ? ' · home again' : ''} ·{' '}
        <span class={`verdict verdict--${verdict === 'verified' ? 'valid' : verdict === 'bad' ? 'bad' : 'unknown'}`}>
          {verdict === 'verified' ? 'every hop verified' : verdict === 'bad' ? `${j.bad_hops} bad hop${j.bad_hops > 1 ? 's' : ''}` : `${j.unknown_key_hops} hop${j.unknown_key_hops > 1 ? 's' : ''} unchecked`}
        </span>
      </p>
      <ol class="hops" aria-label="Hops, in order">
        {j.hops.map((h, i) => {
          const m = MARK[h.verification] || MARK['unknown-key'];
          return (
            <li key={i} class={`hop hop--${h.verification}`} data-testid="hop" data-nara={h.nara} data-mark={h.verification}>
              <span class="hop__stamp" aria-hidden="true">
                {h.stamp || '·'}
              </span>
              <Link href={profilePath(h.nara)}>{h.nara}</Link>
              <span class="hop__mark" title={m.text}>
                <span aria-hidden="true">{m.icon}</span>
                <span class="visually-hidden">{m.text}</span>
              </span>
              <span class="hop__time">{h.timestamp ? <Ago ts={h.timestamp} /> : ''}</span>
            </li>
          );
        })}
      </ol>
    </li>
  );
}

export function Postcards() {
  useTitle('Postcards');
  const snap = useNeighbourhood();
  const [state, retry] = usePolledJSON(getJSON, '/world/journeys?limit=200', snap.updatedAt, REFRESH_MS);

  let body;
  if (state.error) body = <ErrorPanel title="Could not read the postcards" message={state.error.message} onRetry={retry} />;
  else if (!state.data) body = <Loading label="Reading the postcards…" />;
  else if (!state.data.journeys || !state.data.journeys.length) body = <Empty>No journey has come home yet. Completed world journeys announced on the plaza appear here.</Empty>;
  else
    body = (
      <ul class="postcards" data-testid="postcards">
        {state.data.journeys.map((j) => (
          <Postcard key={j.id} j={j} />
        ))}
      </ul>
    );
  return (
    <section class="view" aria-labelledby="view-title">
      <header class="view__head">
        <div>
          <h1 id="view-title" tabIndex={-1}>
            Postcards
          </h1>
        </div>
      </header>
      <p class="lede">World journeys that came home: a message carried nara to nara, each adding a stamp and a signature. Each hop is checked with the key this nara holds for it.</p>
      {body}
    </section>
  );
}
