// One ledger event as a feed row: icon, one-line text, service, emitter, relative time.

import { Ago } from './ui.jsx';
import { impliedStatus } from '../format.js';
import { Link, eventPath, profilePath } from '../router.jsx';

export function EventRow({ ev, testid, fresh, about }) {
  const s = impliedStatus(ev, about);
  return (
    <li class={`event${fresh ? ' event--fresh' : ''}${s ? ' event--' + s : ''}`} data-testid={testid} data-id={ev.id} data-service={ev.service}>
      <span class="event__icon" aria-hidden="true">
        {ev.icon}
      </span>
      <div class="event__body">
        <p class="event__text">{ev.text}</p>
        <p class="event__meta">
          <span class="chip chip--svc">{ev.service || 'event'}</span>
          {ev.emitter && (
            <span>
              by <Link href={profilePath(ev.emitter)}>{ev.emitter}</Link>
            </span>
          )}
          {ev.detail && ev.detail !== ev.text && <span class="event__detail">“{ev.detail}”</span>}
          {ev.signed && (
            <span class="signed" title="Signed by its emitter">
              <span aria-hidden="true">✓</span> signed
            </span>
          )}
          {ev.id && (
            <Link href={eventPath(ev.id)} class="event__more" data-testid="event-link" aria-label={`Details and signature of this ${ev.service || ''} event`}>
              details
            </Link>
          )}
        </p>
      </div>
      <span class="event__time">{ev.ts ? <Ago ts={ev.ts} /> : ''}</span>
    </li>
  );
}
