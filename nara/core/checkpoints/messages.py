"""Checkpoint messages on ``nara/checkpoint/propose|vote|final`` (spec §2.3, §3.6).

A proposal is a self-attestation plus ``round``; a vote is a third party's attestation plus
``proposal_ts``, ``round`` and ``approved``; a final is a SyncEvent of svc ``checkpoint``
(``nara.core.payloads.Checkpoint``), unsigned as an envelope, carrying every voter's signature.
Every signature is Ed25519 over the plain attestation string (identity_attestation.go:49-77):

    v1  attestation:v1:{attester_id}:{subject_id}:{as_of}:{restarts}:{total_uptime}:{first_seen}
    v2  the same with ``v2`` and ``:{last_seen_checkpoint_id}`` appended (possibly empty)

JSON follows Go's structs: ``Attestation`` fields in declaration order (``last_seen_checkpoint_id``
omitempty), the embedded struct flattened, then the wrapper's own fields. Decoders never raise:
bytes in, a message or a ``wire.Dropped`` out, and every string kept is bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from nara.core import gojson
from nara.core.crypto import SigningKey, verify_b64
from nara.core.events import SVC_CHECKPOINT, SyncEvent
from nara.core.gojson import INT64, field_bool, field_int, field_obj, field_str
from nara.core.names import valid_name
from nara.core.payloads import Checkpoint
from nara.core.wire import Dropped, DropReason

TOPIC_PROPOSE = "nara/checkpoint/propose"
TOPIC_VOTE = "nara/checkpoint/vote"
TOPIC_FINAL = "nara/checkpoint/final"
TOPICS = (TOPIC_PROPOSE, TOPIC_VOTE, TOPIC_FINAL)
MAX_ID_CHARS = 64  # a nara ID is the Base58 of 32 bytes: 43-44 characters
MAX_SIGNATURE_CHARS = 128  # a Base64 Ed25519 signature is 88
MAX_CHECKPOINT_ID_CHARS = 64  # an event id is 32 hex digits
MAX_VOTERS = 10  # MaxCheckpointSignatures: a Go final carries at most 10 (checkpoint_service.go:31)
MAX_MESSAGE_BYTES = 16 * 1024  # a Go proposal or vote is ~500 bytes, a final ~2 KiB


@dataclass(frozen=True)
class Trinity:
    """The checkpointed core of an observation (spec §4.3): restarts, total uptime (s), first
    seen (s)."""

    restarts: int = 0
    total_uptime: int = 0
    start_time: int = 0

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in (
            ("restarts", self.restarts),
            ("total_uptime", self.total_uptime),
            ("start_time", self.start_time),
        ):
            if value:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> Trinity:
        return cls(
            restarts=field_int(d, "restarts", bounds=INT64),
            total_uptime=field_int(d, "total_uptime", bounds=INT64),
            start_time=field_int(d, "start_time", bounds=INT64),
        )


@dataclass(frozen=True)
class Attestation:
    """ "I (attester) claim that subject has these values as of ``as_of_time``"."""

    version: int
    subject: str
    subject_id: str
    values: Trinity
    attester: str
    attester_id: str
    last_seen_checkpoint_id: str
    as_of_time: int
    signature: str = ""

    def signable(self) -> bytes:
        version = self.version or 1
        v = self.values
        base = (
            f"attestation:v{version}:{self.attester_id}:{self.subject_id}:{self.as_of_time}:"
            f"{v.restarts}:{v.total_uptime}:{v.start_time}"
        )
        if version == 1:
            return base.encode()
        return f"{base}:{self.last_seen_checkpoint_id}".encode()

    def signed(self, key: SigningKey) -> Attestation:
        return replace(self, signature=key.sign_b64(self.signable()))

    def verify(self, public_key_b64: str) -> bool:
        return bool(self.signature) and verify_b64(public_key_b64, self.signable(), self.signature)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "version": self.version,
            "subject": self.subject,
            "subject_id": self.subject_id,
            "observation": self.values.to_json(),
            "attester": self.attester,
            "attester_id": self.attester_id,
        }
        if self.last_seen_checkpoint_id:
            out["last_seen_checkpoint_id"] = self.last_seen_checkpoint_id
        out["as_of_time"] = self.as_of_time
        out["signature"] = self.signature
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> Attestation:
        return cls(
            version=field_int(d, "version", bounds=INT64),
            subject=field_str(d, "subject", required=True),
            subject_id=field_str(d, "subject_id"),
            values=Trinity.from_json(field_obj(d, "observation") or {}),
            attester=field_str(d, "attester"),
            attester_id=field_str(d, "attester_id"),
            last_seen_checkpoint_id=field_str(d, "last_seen_checkpoint_id"),
            as_of_time=field_int(d, "as_of_time", bounds=INT64, required=True),
            signature=field_str(d, "signature"),
        )

    def problem(self) -> str:
        """Why this attestation is malformed or oversized, or "" (bounds of nara.core.bounds)."""
        if not valid_name(self.subject):
            return "subject breaks the name rule"
        if self.attester and not valid_name(self.attester):
            return "attester breaks the name rule"
        if len(self.subject_id) > MAX_ID_CHARS or len(self.attester_id) > MAX_ID_CHARS:
            return "nara id too long"
        if len(self.signature) > MAX_SIGNATURE_CHARS:
            return "signature too long"
        if len(self.last_seen_checkpoint_id) > MAX_CHECKPOINT_ID_CHARS:
            return "last_seen_checkpoint_id too long"
        v = self.values
        if v.restarts < 0 or v.total_uptime < 0 or v.start_time < 0 or self.as_of_time <= 0:
            return "negative values or no as_of_time"
        return ""


@dataclass(frozen=True)
class Proposal:
    """A nara's claim about itself, put to the vote (checkpoint_service.go:37-40)."""

    attestation: Attestation
    round: int

    def to_json(self) -> bytes:
        return gojson.dumps({**self.attestation.to_json(), "round": self.round})


@dataclass(frozen=True)
class Vote:
    """A voter's attestation about a proposal's subject (checkpoint_service.go:44-49)."""

    attestation: Attestation
    proposal_ts: int
    round: int
    approved: bool

    def to_json(self) -> bytes:
        return gojson.dumps(
            {
                **self.attestation.to_json(),
                "proposal_ts": self.proposal_ts,
                "round": self.round,
                "approved": self.approved,
            }
        )


def final_attestation(cp: Checkpoint, voter_id: str) -> Attestation:
    """The attestation ``voter_id`` signed for a final (checkpoint_types.go:136-155): v2 signs
    ``previous_checkpoint_id`` as the reference point."""
    version = cp.version or 1
    return Attestation(
        version=version,
        subject=cp.subject,
        subject_id=cp.subject_id,
        values=Trinity(cp.restarts, cp.total_uptime, cp.start_time),
        attester="",
        attester_id=voter_id,
        last_seen_checkpoint_id=cp.previous_checkpoint_id if version >= 2 else "",
        as_of_time=cp.as_of_time,
    )


def _load(raw: bytes) -> Mapping[str, object] | Dropped:
    if not isinstance(raw, bytes | bytearray | memoryview):
        return _dropped(DropReason.INVALID_JSON, "not bytes")
    if len(raw) > MAX_MESSAGE_BYTES:
        return _dropped(DropReason.TOO_LARGE, f"{len(raw)} bytes > {MAX_MESSAGE_BYTES}")
    try:
        value = gojson.loads(bytes(raw))
    except (gojson.JSONError, TypeError, ValueError) as e:
        return _dropped(DropReason.INVALID_JSON, e)
    if not isinstance(value, dict):
        return _dropped(DropReason.INVALID_SCHEMA, "not a JSON object")
    return value


def _dropped(reason: DropReason, detail: object) -> Dropped:
    return Dropped(reason, " ".join(str(detail).split())[:100])


def _attestation(d: Mapping[str, object]) -> Attestation | Dropped:
    try:
        att = Attestation.from_json(d)
    except ValueError as e:
        return _dropped(DropReason.INVALID_SCHEMA, e)
    problem = att.problem()
    if problem:
        return _dropped(
            DropReason.OVERSIZED_FIELD if "long" in problem else DropReason.INVALID_EVENT, problem
        )
    if not att.signature:
        return _dropped(DropReason.UNSIGNED, f"attestation about {att.subject}")
    return att


def decode_proposal(raw: bytes) -> Proposal | Dropped:
    """A proposal: well-formed, bounded, signed, and a self-attestation (attester = subject)."""
    try:
        d = _load(raw)
        if isinstance(d, Dropped):
            return d
        att = _attestation(d)
        if isinstance(att, Dropped):
            return att
        if att.attester_id != att.subject_id or (att.attester and att.attester != att.subject):
            return _dropped(DropReason.INVALID_EVENT, "a proposal is about its own attester")
        return Proposal(att, field_int(d, "round", bounds=INT64))
    except (ValueError, TypeError) as e:
        return _dropped(DropReason.INVALID_SCHEMA, e)


def decode_vote(raw: bytes) -> Vote | Dropped:
    """A vote: well-formed, bounded and signed; whose vote it is is checked by the node."""
    try:
        d = _load(raw)
        if isinstance(d, Dropped):
            return d
        att = _attestation(d)
        if isinstance(att, Dropped):
            return att
        return Vote(
            att,
            proposal_ts=field_int(d, "proposal_ts", bounds=INT64),
            round=field_int(d, "round", bounds=INT64),
            approved=field_bool(d, "approved"),
        )
    except (ValueError, TypeError) as e:
        return _dropped(DropReason.INVALID_SCHEMA, e)


def decode_final(raw: bytes) -> SyncEvent | Dropped:
    """A final: a SyncEvent of svc ``checkpoint`` whose id matches its content and whose fields
    are bounded. Signatures are checked by ``CheckpointBook.verify``, which knows the keys."""
    try:
        d = _load(raw)
        if isinstance(d, Dropped):
            return d
        try:
            event = SyncEvent.from_json(d)
        except ValueError as e:
            return _dropped(DropReason.INVALID_SCHEMA, e)
        cp = event.payload
        if event.svc != SVC_CHECKPOINT or not isinstance(cp, Checkpoint):
            return _dropped(DropReason.INVALID_SCHEMA, f"svc {event.svc[:40]!r} on the final topic")
        if not event.is_valid():
            return _dropped(DropReason.INVALID_EVENT, "invalid checkpoint")
        if not valid_name(cp.subject):
            return _dropped(DropReason.INVALID_NAME, "checkpoint subject")
        if (
            len(cp.voter_ids) > MAX_VOTERS
            or len(cp.subject_id) > MAX_ID_CHARS
            or len(cp.previous_checkpoint_id) > MAX_CHECKPOINT_ID_CHARS
            or any(len(v) > MAX_ID_CHARS for v in cp.voter_ids)
            or any(len(s) > MAX_SIGNATURE_CHARS for s in cp.signatures)
        ):
            return _dropped(DropReason.OVERSIZED_FIELD, f"checkpoint for {cp.subject}")
        if cp.start_time < 0:
            return _dropped(DropReason.INVALID_EVENT, "negative start_time")
        if event.id != event.expected_id():
            return _dropped(DropReason.INVALID_EVENT, "id does not match content")
        return event
    except (ValueError, TypeError) as e:
        return _dropped(DropReason.INVALID_SCHEMA, e)
