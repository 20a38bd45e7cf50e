"""Plaza message codecs: bytes in → typed message or a ``Dropped`` reason; typed message → bytes.

Covers hey-there/chau SyncEvents, newspapers, howdys and ledger requests/responses (spec §2.3,
§3). Decoders never raise on any input. Where Go is lenient this side is stricter, on purpose:
unsigned or badly signed hey-there/chau/newspaper/howdy messages are dropped, because a forged
one must never create or rename a nara (Go accepts unsigned hey-there and merely warns on a bad
newspaper signature, §3.1). NaraStatus lives in ``nara.core.status`` and is re-exported here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import wraps
from typing import Final, ParamSpec, TypeVar

from nara.core import gojson
from nara.core.bounds import MAX_HOWDY_NEIGHBOURS, MAX_NEWSPAPER_BYTES, status_problem
from nara.core.crypto import SigningKey, verify_b64
from nara.core.events import SVC_SOCIAL, Chau, HeyThere, Social, SyncEvent, new_event
from nara.core.gojson import INT64, RawJSON, field_int, field_list, field_obj, field_str
from nara.core.status import (
    Aura,
    Coordinates,
    HostStats,
    NaraObservation,
    NaraStatus,
    Personality,
    encode_status,
    status_from_json,
    status_to_dict,
)

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "Aura",
    "Coordinates",
    "DropReason",
    "Dropped",
    "HostStats",
    "Howdy",
    "HowdyNeighbor",
    "LedgerRequest",
    "NaraObservation",
    "NaraStatus",
    "Newspaper",
    "Personality",
    "decode_howdy",
    "decode_ledger_request",
    "decode_newspaper",
    "decode_sync_event",
    "encode_howdy",
    "encode_ledger_request",
    "encode_ledger_response",
    "encode_newspaper",
    "encode_status",
    "howdy_message",
    "status_from_json",
    "status_to_dict",
]

MAX_PAYLOAD_BYTES: Final = 256 * 1024


class DropReason(enum.StrEnum):
    """Why an inbound message was dropped; values are Prometheus label values."""

    TOO_LARGE = "too_large"
    INVALID_JSON = "invalid_json"
    INVALID_SCHEMA = "invalid_schema"  # wrong types, missing fields, unexpected svc
    BAD_SIGNATURE = "bad_signature"
    UNSIGNED = "unsigned"
    INVALID_EVENT = "invalid_event"  # well-formed but fails validity rules
    KEY_MISMATCH = "key_mismatch"  # an ONLINE nara's name with another key (set by the node)
    INVALID_NAME = "invalid_name"  # a sender or reply-to name outside nara.core.names' rule
    OVERSIZED_FIELD = "oversized_field"  # a status field beyond nara.core.bounds
    CLOCK_SKEW = "clock_skew"  # a timestamp outside the skew window of our clock
    REPLAY = "replay"  # older than (or identical to) what we already hold from that key
    DUPLICATE = "duplicate"  # an event id already in the ledger
    UNKNOWN_SENDER = "unknown_sender"  # a chau or howdy from a nara we never heard announce
    NOT_ONLINE = "not_online"  # a howdy from a nara that said chau or went missing
    RATE_LIMITED = "rate_limited"  # over the budget for new naras or ledger requests
    ROSTER_FULL = "roster_full"  # no room for a new nara and nobody evictable
    IMPERSONATION = "impersonation"  # a message in our own name that we did not send
    CHECKPOINT_SHORT = "checkpoint_short"  # a final with fewer signatures than a quorum (5)
    CHECKPOINT_UNVERIFIED = "checkpoint_unverified"  # fewer than 2 verify against keys we know
    UNKNOWN_SUBJECT = "unknown_subject"  # a checkpoint about a nara not in our roster


@dataclass(frozen=True)
class Dropped:
    reason: DropReason
    detail: str


def _drop(reason: DropReason, detail: object) -> Dropped:
    text = " ".join(str(detail).split())  # one line, never a payload dump
    return Dropped(reason, text[:100])


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _never_raises(fn: Callable[_P, _T | Dropped]) -> Callable[_P, _T | Dropped]:
    """Safety net: a decoder bug becomes a drop (detail starts with "unexpected"), not a crash."""

    @wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T | Dropped:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            return _drop(DropReason.INVALID_SCHEMA, f"unexpected {type(e).__name__}")

    return wrapper


def _parse(raw: bytes) -> tuple[dict[str, object], dict[str, bytes]] | Dropped:
    if not isinstance(raw, bytes | bytearray | memoryview):
        return _drop(DropReason.INVALID_JSON, f"not bytes: {type(raw).__name__}")
    if len(raw) > MAX_PAYLOAD_BYTES:
        return _drop(DropReason.TOO_LARGE, f"{len(raw)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        return gojson.parse_object_spans(bytes(raw))
    except gojson.JSONError as e:
        return _drop(DropReason.INVALID_JSON, e)
    except TypeError as e:
        return _drop(DropReason.INVALID_SCHEMA, e)


def _parse_values(raw: bytes) -> dict[str, object] | Dropped:
    """``_parse`` for messages that need no member's source bytes: one pass of the C parser."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        return _drop(DropReason.INVALID_JSON, f"not bytes: {type(raw).__name__}")
    if len(raw) > MAX_PAYLOAD_BYTES:
        return _drop(DropReason.TOO_LARGE, f"{len(raw)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        return gojson.parse_object(bytes(raw))
    except gojson.JSONError as e:
        return _drop(DropReason.INVALID_JSON, e)
    except TypeError as e:
        return _drop(DropReason.INVALID_SCHEMA, e)


# --- hey-there / chau (and other SyncEvents) ------------------------------------------------

KeyLookup = Callable[[str, str], str | None]  # (emitter_id, emitter) -> b64 public key


@_never_raises
def decode_sync_event(
    raw: bytes,
    expected_svc: str,
    *,
    key_lookup: KeyLookup | None = None,
    precheck: Callable[[SyncEvent], Dropped | None] | None = None,
) -> SyncEvent | Dropped:
    """Decode a SyncEvent published on the plaza, e.g. ``nara/plaza/hey_there`` or ``/chau``.

    hey-there/chau must be signed by the key they carry and ``emitter`` must equal ``From``.
    For other services a signature is checked when ``key_lookup`` knows the emitter's key
    (Go's social rule, §2.3). The id must match the content (stricter than Go): a signer
    choosing its own id could otherwise evict someone else's event from an id-deduped ledger.

    ``precheck`` sees the well-formed, not yet verified event and may drop it before the costly
    signature check (a name, time or rate rule that no signature could change).
    """
    parsed = _parse_values(raw)
    if isinstance(parsed, Dropped):
        return parsed
    try:
        event = SyncEvent.from_json(parsed)
    except ValueError as e:
        return _drop(DropReason.INVALID_SCHEMA, e)
    if event.svc != expected_svc:
        return _drop(DropReason.INVALID_SCHEMA, f"svc {event.svc!r} on {expected_svc!r} topic")
    if not event.is_valid():
        return _drop(DropReason.INVALID_EVENT, f"invalid {event.svc} event")
    p = event.payload
    if isinstance(p, HeyThere | Chau):
        if not event.is_signed():
            return _drop(DropReason.UNSIGNED, f"unsigned {event.svc} from {p.from_[:40]!r}")
        early = precheck(event) if precheck is not None else None
        if early is not None:
            return early
        if not event.verify(p.public_key):
            return _drop(DropReason.BAD_SIGNATURE, f"{event.svc} from {p.from_[:40]!r}")
        if event.emitter != p.from_:
            return _drop(DropReason.INVALID_EVENT, "emitter differs from From")
    elif event.is_signed() and key_lookup is not None:
        key = key_lookup(event.emitter_id, event.emitter)
        if key and not event.verify(key):
            return _drop(DropReason.BAD_SIGNATURE, f"{event.svc} from {event.emitter[:40]!r}")
    # After the signature check, so tampering reads as BAD_SIGNATURE; this catches a signer
    # who picked its own id.
    if event.id != event.expected_id():
        return _drop(DropReason.INVALID_EVENT, "id does not match content")
    return event


# --- newspaper ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Newspaper:
    """A verified newspaper; ``sender`` comes from the topic, ``status_raw`` is what was signed."""

    sender: str
    status: NaraStatus
    status_raw: bytes
    signature: str


@_never_raises
def decode_newspaper(topic_sender: str, raw: bytes) -> Newspaper | Dropped:
    """Decode ``nara/newspaper/{topic_sender}``; the signature covers the raw Status bytes (§3.4).

    ``From`` is type-checked but ignored: Go names the sender from the topic.
    """
    if len(raw) > MAX_NEWSPAPER_BYTES:
        return _drop(DropReason.TOO_LARGE, f"newspaper of {len(raw)} bytes > {MAX_NEWSPAPER_BYTES}")
    parsed = _parse(raw)
    if isinstance(parsed, Dropped):
        return parsed
    values, spans = parsed
    try:
        field_str(values, "From")
        signature = field_str(values, "Signature")
        status_obj = field_obj(values, "Status", required=True)
        assert status_obj is not None
        status = status_from_json(status_obj)
    except ValueError as e:
        return _drop(DropReason.INVALID_SCHEMA, e)
    if not topic_sender:
        return _drop(DropReason.INVALID_EVENT, "empty sender topic")
    if not signature:
        return _drop(DropReason.UNSIGNED, f"newspaper from {topic_sender[:40]!r}")
    if not verify_b64(status.public_key, spans["Status"], signature):
        return _drop(DropReason.BAD_SIGNATURE, f"newspaper from {topic_sender[:40]!r}")
    problem = status_problem(status)
    if problem:
        return _drop(DropReason.OVERSIZED_FIELD, problem)
    return Newspaper(topic_sender, status, spans["Status"], signature)


def _check_key(key: SigningKey, status: NaraStatus) -> None:
    if status.public_key != key.public_b64:
        raise ValueError("status.public_key must be the signing key's public key")


def encode_newspaper(key: SigningKey, name: str, status: NaraStatus) -> bytes:
    """``{"From":…,"Status":…,"Signature":…}`` with the signed Status bytes spliced verbatim.

    Newspapers are "slim": ``Observations`` is forced to null, as Go does.
    """
    _check_key(key, status)
    status_bytes = encode_status(replace(status, observations=None))
    signature = key.sign_b64(status_bytes)
    return gojson.dumps({"From": name, "Status": RawJSON(status_bytes), "Signature": signature})


# --- howdy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HowdyNeighbor:
    name: str
    public_key: str
    mesh_ip: str
    id: str
    observation: NaraObservation

    def to_json(self) -> dict[str, object]:
        return {
            "Name": self.name,
            "PublicKey": self.public_key,
            "MeshIP": self.mesh_ip,
            "ID": self.id,
            "Observation": self.observation.to_json(),
        }

    @classmethod
    def from_json(cls, d: object) -> HowdyNeighbor:
        if not isinstance(d, dict):
            raise ValueError("Neighbors: expected objects")
        return cls(
            name=field_str(d, "Name"),
            public_key=field_str(d, "PublicKey"),
            mesh_ip=field_str(d, "MeshIP"),
            id=field_str(d, "ID"),
            observation=NaraObservation.from_json(field_obj(d, "Observation")),
        )


@dataclass(frozen=True)
class Howdy:
    """A verified howdy. Only From/To/Seq are signed (§3.5); ``me``/``you`` are unauthenticated."""

    from_: str
    to: str
    seq: int
    you: NaraObservation
    neighbors: tuple[HowdyNeighbor, ...]
    me: NaraStatus
    signature: str


def howdy_message(from_: str, to: str, seq: int) -> bytes:
    """The plain bytes a howdy signature covers: ``howdy:{From}:{To}:{Seq}``."""
    return f"howdy:{from_}:{to}:{seq}".encode()


@_never_raises
def decode_howdy(
    raw: bytes, *, precheck: Callable[[Howdy], Dropped | None] | None = None
) -> Howdy | Dropped:
    """Decode ``nara/plaza/howdy``; verified with ``Me.PublicKey``. ``Neighbors`` may be null."""
    parsed = _parse_values(raw)
    if isinstance(parsed, Dropped):
        return parsed
    d = parsed
    try:
        me_obj = field_obj(d, "Me", required=True)
        assert me_obj is not None
        listed = field_list(d, "Neighbors") or ()
        if len(listed) > MAX_HOWDY_NEIGHBOURS:
            return _drop(
                DropReason.OVERSIZED_FIELD, f"{len(listed)} neighbours > {MAX_HOWDY_NEIGHBOURS}"
            )
        howdy = Howdy(
            from_=field_str(d, "From", required=True),
            to=field_str(d, "To"),
            seq=field_int(d, "Seq", bounds=INT64),
            you=NaraObservation.from_json(field_obj(d, "You")),
            neighbors=tuple(HowdyNeighbor.from_json(n) for n in listed),
            me=status_from_json(me_obj),
            signature=field_str(d, "Signature"),
        )
    except ValueError as e:
        return _drop(DropReason.INVALID_SCHEMA, e)
    if not howdy.from_:
        return _drop(DropReason.INVALID_EVENT, "howdy without From")
    if not howdy.signature:
        return _drop(DropReason.UNSIGNED, f"howdy from {howdy.from_[:40]!r}")
    early = precheck(howdy) if precheck is not None else None
    if early is not None:
        return early
    message = howdy_message(howdy.from_, howdy.to, howdy.seq)
    if not verify_b64(howdy.me.public_key, message, howdy.signature):
        return _drop(DropReason.BAD_SIGNATURE, f"howdy from {howdy.from_[:40]!r}")
    problem = status_problem(howdy.me)
    if problem:
        return _drop(DropReason.OVERSIZED_FIELD, problem)
    return howdy


def encode_howdy(
    key: SigningKey,
    from_: str,
    to: str,
    seq: int,
    you: NaraObservation,
    neighbors: Sequence[HowdyNeighbor],
    me: NaraStatus,
) -> bytes:
    """A signed howdy; ``me`` keeps its Observations map. No neighbours → ``null`` like Go's nil."""
    _check_key(key, me)
    return gojson.dumps(
        {
            "From": from_,
            "To": to,
            "Seq": seq,
            "You": you.to_json(),
            "Neighbors": [n.to_json() for n in neighbors] or None,
            "Me": status_to_dict(me),
            "Signature": key.sign_b64(howdy_message(from_, to, seq)),
        }
    )


# --- ledger request / response --------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRequest:
    from_: str
    subjects: tuple[str, ...]


@_never_raises
def decode_ledger_request(raw: bytes) -> LedgerRequest | Dropped:
    """Decode ``nara/ledger/{me}/request``: ``{"From":…,"Subjects":[…]|null}`` (unsigned)."""
    parsed = _parse_values(raw)
    if isinstance(parsed, Dropped):
        return parsed
    d = parsed
    try:
        from_ = field_str(d, "From", required=True)
        items = field_list(d, "Subjects") or []
        if not all(isinstance(s, str) for s in items):
            raise ValueError("Subjects: expected strings")
        subjects = tuple(gojson.clean_str(s) for s in items if isinstance(s, str))
    except ValueError as e:
        return _drop(DropReason.INVALID_SCHEMA, e)
    if not from_:
        return _drop(DropReason.INVALID_EVENT, "ledger request without From")
    return LedgerRequest(from_, subjects)


def encode_ledger_request(from_: str, subjects: Sequence[str]) -> bytes:
    return gojson.dumps({"From": from_, "Subjects": list(subjects)})


def _legacy_social(event: SyncEvent | Mapping[str, object]) -> Mapping[str, object]:
    """A social SyncEvent as Go's legacy SocialEvent; signatures are not carried (§2.3)."""
    if not isinstance(event, SyncEvent):
        return event
    p = event.payload
    if not isinstance(p, Social):
        raise ValueError("ledger responses carry social events only")
    return {
        "ID": event.id,
        "Timestamp": event.ts,
        "Type": p.type,
        "Actor": p.actor,
        "Target": p.target,
        "Reason": p.reason,
        "Witness": p.witness,
        "Signature": "",
    }


def encode_ledger_response(from_: str, events: Sequence[SyncEvent | Mapping[str, object]]) -> bytes:
    """``{"From":…,"Events":[…]}``; always a list (``[]`` when empty), which Go reads fine."""
    return gojson.dumps({"From": from_, "Events": [_legacy_social(e) for e in events]})


@dataclass(frozen=True)
class LedgerResponse:
    """A decoded ledger response: the relayer and its (unsigned, re-identified) social events;
    ``skipped`` counts the entries that were malformed or not social."""

    from_: str
    events: tuple[SyncEvent, ...]
    skipped: int


MAX_RESPONSE_EVENTS = 500  # entries of one response we look at


@_never_raises
def decode_ledger_response(raw: bytes) -> LedgerResponse | Dropped:
    """``{"From":…,"Events":[SocialEvent…]|null}``. Each legacy SocialEvent becomes an unsigned
    social SyncEvent with its id recomputed and its signature dropped, as Go does
    (sync_event.go:979-993): nothing in a response is verifiable, so it is all hearsay."""
    parsed = _parse(raw)
    if isinstance(parsed, Dropped):
        return parsed
    d = parsed[0]
    try:
        from_ = field_str(d, "From", required=True)
        items = field_list(d, "Events") or []
    except ValueError as e:
        return _drop(DropReason.INVALID_SCHEMA, e)
    if not from_:
        return _drop(DropReason.INVALID_EVENT, "ledger response without From")
    events: list[SyncEvent] = []
    skipped = 0
    for item in items[:MAX_RESPONSE_EVENTS]:
        try:
            if not isinstance(item, dict):
                raise ValueError("not an object")
            ts = field_int(item, "Timestamp", required=True)
            payload = Social(
                field_str(item, "Type", required=True),
                field_str(item, "Actor"),
                "",
                field_str(item, "Target"),
                "",
                field_str(item, "Reason"),
                field_str(item, "Witness"),
            )
        except ValueError:
            skipped += 1
            continue
        if ts <= 0 or not payload.is_valid():
            skipped += 1
            continue
        events.append(new_event(SVC_SOCIAL, payload, ts))
    skipped += max(0, len(items) - MAX_RESPONSE_EVENTS)
    return LedgerResponse(from_, tuple(events), skipped)
