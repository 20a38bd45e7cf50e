"""SyncEvent: the envelope every ledger event travels in — id, signing, JSON (spec §3.2).

The payload kinds live in ``nara.core.payloads`` and are re-exported here. The envelope's key
order is Go's: ``id, ts, svc, emitter, emitter_id, sig`` (the last three omitempty), then the one
payload under its key (``hey_there``, ``chau``, ``social``, ``observation``, ``seen``, ``ping``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from nara.core import gojson
from nara.core.crypto import SigningKey, verify_b64
from nara.core.gojson import INT64, field_int, field_str
from nara.core.payloads import (
    IMPORTANCE,
    MISSING,
    OBS_FIRST_SEEN,
    OBS_RESTART,
    OBS_STATUS_CHANGE,
    OFFLINE,
    ONLINE,
    PAYLOAD_TYPES,
    SOCIAL_TYPES,
    SVC_CHAU,
    SVC_CHECKPOINT,
    SVC_HEY_THERE,
    SVC_OBSERVATION,
    SVC_PING,
    SVC_SEEN,
    SVC_SOCIAL,
    Chau,
    Checkpoint,
    HeyThere,
    Observation,
    Payload,
    Ping,
    Seen,
    Social,
)

__all__ = [
    "IMPORTANCE",
    "MISSING",
    "OBS_FIRST_SEEN",
    "OBS_RESTART",
    "OBS_STATUS_CHANGE",
    "OFFLINE",
    "ONLINE",
    "PAYLOAD_TYPES",
    "SOCIAL_TYPES",
    "SVC_CHAU",
    "SVC_CHECKPOINT",
    "SVC_HEY_THERE",
    "SVC_OBSERVATION",
    "SVC_PING",
    "SVC_SEEN",
    "SVC_SOCIAL",
    "Chau",
    "Checkpoint",
    "HeyThere",
    "Observation",
    "Payload",
    "Ping",
    "Seen",
    "Social",
    "SyncEvent",
    "compute_id",
    "make_chau",
    "make_hey_there",
    "make_observation",
    "make_social",
    "new_event",
]

UI = dict[str, str]


def compute_id(ts: int, svc: str, content: str) -> str:
    """Event id: hex of the first 16 bytes of sha256("{ts}:{svc}:" + content) (§3.2)."""
    return hashlib.sha256(f"{ts}:{svc}:{content}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SyncEvent:
    """The signed/unsigned envelope every ledger event travels in; ``ts`` in nanoseconds."""

    id: str
    ts: int
    svc: str
    emitter: str
    emitter_id: str
    sig: str
    payload: Payload

    def content_string(self) -> str:
        return self.payload.content_string()

    def expected_id(self) -> str:
        return compute_id(self.ts, self.svc, self.content_string())

    def signed_digest(self) -> bytes:
        """sha256("{id}:{ts}:{svc}:{emitter}:" + content); the id is used as received."""
        data = f"{self.id}:{self.ts}:{self.svc}:{self.emitter}:{self.content_string()}"
        return hashlib.sha256(data.encode()).digest()

    def is_signed(self) -> bool:
        return bool(self.emitter and self.sig)

    def verify(self, public_key_b64: str) -> bool:
        return self.is_signed() and verify_b64(public_key_b64, self.signed_digest(), self.sig)

    def is_valid(self) -> bool:
        """Go's ledger rule (svc and ts set, payload valid) plus: payload kind matches svc."""
        return (
            bool(self.svc)
            and self.ts != 0
            and PAYLOAD_TYPES.get(self.svc) is type(self.payload)
            and self.payload.is_valid()
        )

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "ts": self.ts, "svc": self.svc}
        for key, value in (("emitter", self.emitter), ("emitter_id", self.emitter_id)):
            if value:  # omitempty
                out[key] = value
        if self.sig:
            out["sig"] = self.sig
        out[self.payload.KEY] = self.payload.to_json()
        return out

    def to_json(self) -> bytes:
        return gojson.dumps(self.to_dict())

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> SyncEvent:
        """Read an envelope; unknown svc, wrong types or a missing payload raise ValueError."""
        svc = field_str(d, "svc", required=True)
        kind = PAYLOAD_TYPES.get(svc)
        if kind is None:
            raise ValueError(f"unsupported svc {svc[:40]!r}")
        body = gojson.field_obj(d, kind.KEY, required=True)
        assert body is not None
        return cls(
            id=field_str(d, "id", required=True),
            ts=field_int(d, "ts", bounds=INT64, required=True),
            svc=svc,
            emitter=field_str(d, "emitter"),
            emitter_id=field_str(d, "emitter_id"),
            sig=field_str(d, "sig"),
            payload=kind.from_json(body),
        )

    def subjects(self) -> tuple[str, ...]:
        """Who the event is about (§4.1 table); social gives (actor, target)."""
        p = self.payload
        if isinstance(p, HeyThere | Chau):
            names: tuple[str, ...] = (p.from_,)
        elif isinstance(p, Seen | Observation | Checkpoint):
            names = (p.subject,)
        elif isinstance(p, Social):
            names = (p.actor, p.target)
        else:
            names = (p.observer, p.target)
        return tuple(dict.fromkeys(n for n in names if n))

    def status_effects(self) -> tuple[tuple[str, str], ...]:
        """(name, status) pairs this event sets in the online projection (§4.1).

        Unlike ``subjects()``, a social event is evidence of life for its actor only.
        """
        p = self.payload
        if isinstance(p, HeyThere):
            pairs: tuple[tuple[str, str], ...] = ((p.from_, ONLINE),)
        elif isinstance(p, Chau):
            pairs = ((p.from_, OFFLINE),)
        elif isinstance(p, Seen):
            pairs = ((p.subject, ONLINE),)
        elif isinstance(p, Observation):
            state = p.online_state if p.type == OBS_STATUS_CHANGE else ONLINE
            pairs = ((p.subject, state),)
        elif isinstance(p, Social):
            pairs = ((p.actor, ONLINE),)
        elif isinstance(p, Checkpoint):
            pairs = ()  # a snapshot of the past says nothing about now
        else:
            pairs = ((p.observer, ONLINE), (p.target, ONLINE))
        return tuple((n, s) for n, s in pairs if n and s)

    def ui_format(self) -> UI | None:
        """Timeline line {icon, text, detail}, worded like the Go UIFormat methods."""
        return _ui(self.payload)


def _ui(p: Payload) -> UI | None:
    if isinstance(p, HeyThere):
        return {"icon": "👋", "text": f"{p.from_} joined the network", "detail": "hey there!"}
    if isinstance(p, Chau):
        return {"icon": "👋", "text": f"{p.from_} left the network", "detail": "chau!"}
    if isinstance(p, Social):
        icon = {"tease": "😈", "observed": "👀", "gossip": "🗣️"}.get(p.type, "💬")
        return {"icon": icon, "text": f"{p.actor} → {p.target}", "detail": p.reason}
    if isinstance(p, Seen):
        return {"icon": "👀", "text": f"{p.observer} spotted {p.subject}", "detail": f"via {p.via}"}
    if isinstance(p, Checkpoint):
        detail = f"restarts: {p.restarts}, {len(p.voter_ids)} voters"
        return {"icon": "📸", "text": f"checkpoint for {p.subject}", "detail": detail}
    if isinstance(p, Ping):
        return {"icon": "🏓", "text": f"{p.observer} pinged {p.target}", "detail": f"{p.rtt:.1f}ms"}
    if p.type == OBS_RESTART:
        detail = f"restart #{p.restart_num}" if p.restart_num > 1 else "first restart"
        return {"icon": "🔄", "text": f"{p.subject} restarted", "detail": detail}
    if p.type == OBS_FIRST_SEEN:
        return {"icon": "✨", "text": f"{p.subject} appeared", "detail": "new nara spotted"}
    if p.type == OBS_STATUS_CHANGE:
        if p.online_state == ONLINE:
            return {"icon": "🟢", "text": f"{p.subject} came online", "detail": "back!"}
        if p.online_state == MISSING:
            return {"icon": "❓", "text": f"{p.subject} went missing", "detail": "where'd they go?"}
        return {"icon": "🔴", "text": f"{p.subject} went offline", "detail": "see you later"}
    return {"icon": "👁️", "text": f"{p.observer} observed {p.subject}", "detail": p.online_state}


def new_event(
    svc: str,
    payload: Payload,
    ts_ns: int,
    key: SigningKey | None = None,
    emitter: str = "",
) -> SyncEvent:
    """Build an event with its id computed; signed (and ``emitter`` set) only when ``key`` is given.

    Unsigned events carry no emitter, as Go's constructors leave it empty until ``Sign``.
    """
    if PAYLOAD_TYPES.get(svc) is not type(payload):
        raise ValueError(f"payload {type(payload).__name__} does not belong to svc {svc!r}")
    event_id = compute_id(ts_ns, svc, payload.content_string())
    event = SyncEvent(event_id, ts_ns, svc, "", "", "", payload)
    if key is None:
        return event
    if not emitter:
        raise ValueError("a signed event needs an emitter")
    event = replace(event, emitter=emitter)
    return replace(event, sig=key.sign_b64(event.signed_digest()))


def make_hey_there(
    key: SigningKey, name: str, nara_id: str, ts_ns: int, mesh_ip: str = ""
) -> SyncEvent:
    """The signed announcement Go sends on connect (§2.3); inner Signature stays empty."""
    payload = HeyThere(from_=name, public_key=key.public_b64, mesh_ip=mesh_ip, id=nara_id)
    return new_event(SVC_HEY_THERE, payload, ts_ns, key, name)


def make_chau(key: SigningKey, name: str, nara_id: str, ts_ns: int) -> SyncEvent:
    """The signed goodbye sent on graceful shutdown (§2.3)."""
    payload = Chau(from_=name, public_key=key.public_b64, id=nara_id)
    return new_event(SVC_CHAU, payload, ts_ns, key, name)


def make_observation(
    observer: str,
    subject: str,
    obs_type: str,
    ts_ns: int,
    *,
    start_time: int = 0,
    restart_num: int = 0,
    last_restart: int = 0,
    online_state: str = "",
    observer_id: str = "",
    subject_id: str = "",
    cluster_name: str = "",
    observer_uptime: int = 0,
    is_backfill: bool = False,
) -> SyncEvent:
    """An unsigned first-seen / restart / status-change observation (§3.3); times in seconds."""
    if obs_type not in IMPORTANCE:
        raise ValueError(f"unknown observation type {obs_type!r}")
    payload = Observation(
        observer=observer,
        observer_id=observer_id,
        subject=subject,
        subject_id=subject_id,
        type=obs_type,
        importance=IMPORTANCE[obs_type],
        is_backfill=is_backfill,
        start_time=start_time,
        restart_num=restart_num,
        last_restart=last_restart,
        online_state=online_state,
        cluster_name=cluster_name,
        observer_uptime=observer_uptime,
    )
    return new_event(SVC_OBSERVATION, payload, ts_ns)


def make_social(
    key: SigningKey | None,
    emitter: str,
    social_type: str,
    actor: str,
    target: str,
    reason: str,
    ts_ns: int,
    *,
    witness: str = "",
    actor_id: str = "",
    target_id: str = "",
) -> SyncEvent:
    """A social event, signed by ``emitter`` when a key is given (e.g. observation/offline)."""
    payload = Social(social_type, actor, actor_id, target, target_id, reason, witness)
    return new_event(SVC_SOCIAL, payload, ts_ns, key, emitter)
