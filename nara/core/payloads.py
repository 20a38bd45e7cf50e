"""Payload kinds a SyncEvent carries: JSON shape, ContentString and validity (spec §3.3).

Key order and ``omitempty`` follow the Go struct tags: ``hey_there``/``chau`` payloads have no
tags (every Go-named key always present); in ``observation``/``social``/``seen``/``ping`` the name
and id fields and the optional data are omitempty, while ``type``, ``importance``, ``via`` and
``rtt`` are always written. Readers are exact about key casing and types and raise ``ValueError``;
only the keys a payload cannot do without are required (older Go peers may lack e.g. ``ID``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Final, Self

from nara.core.gojson import (
    INT64,
    UINT64,
    field_bool,
    field_float,
    field_int,
    field_list,
    field_obj,
    field_str,
)

SVC_HEY_THERE: Final = "hey-there"
SVC_CHAU: Final = "chau"
SVC_SOCIAL: Final = "social"
SVC_OBSERVATION: Final = "observation"
SVC_SEEN: Final = "seen"
SVC_PING: Final = "ping"
SVC_CHECKPOINT: Final = "checkpoint"

ONLINE: Final = "ONLINE"
OFFLINE: Final = "OFFLINE"
MISSING: Final = "MISSING"

OBS_RESTART: Final = "restart"
OBS_FIRST_SEEN: Final = "first-seen"
OBS_STATUS_CHANGE: Final = "status-change"
# restart and first-seen are critical (never pruned), status-change normal (spec §3.3)
IMPORTANCE: Final = {OBS_RESTART: 3, OBS_FIRST_SEEN: 3, OBS_STATUS_CHANGE: 2}
SOCIAL_TYPES: Final = frozenset({"tease", "observed", "gossip", "observation", "service"})

# Field kinds: s=string, i=int64, u=uint64, b=bool, f=float64; a trailing "?" is Go's
# omitempty ("", 0, 0.0, False are left out) and a trailing "!" marks a key we require.
# FIELDS pairs (JSON key, kind) with the dataclass fields, in order.


@dataclass(frozen=True)
class _Codec:
    """Table-driven JSON for the payload dataclasses: Go key order, omitempty, strict types."""

    FIELDS: ClassVar[tuple[tuple[str, str], ...]] = ()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for (key, kind), f in zip(self.FIELDS, fields(self), strict=True):
            value = getattr(self, f.name)
            if kind.endswith("?") and not value:
                continue
            out[key] = float(value) if kind[0] == "f" else value
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> Self:
        kwargs: dict[str, Any] = {}
        for (key, kind), f in zip(cls.FIELDS, fields(cls), strict=True):
            attr = f.name
            required = kind.endswith("!")
            if kind[0] == "s":
                kwargs[attr] = field_str(d, key, required=required)
            elif kind[0] == "i":
                kwargs[attr] = field_int(d, key, bounds=INT64, required=required)
            elif kind[0] == "u":
                kwargs[attr] = field_int(d, key, bounds=UINT64, required=required)
            elif kind[0] == "b":
                kwargs[attr] = field_bool(d, key)
            else:
                kwargs[attr] = field_float(d, key, required=required)
        return cls(**kwargs)


@dataclass(frozen=True)
class HeyThere(_Codec):
    """``hey_there`` payload; ContentString without ID (the ID variant is disabled, §10)."""

    SVC: ClassVar[str] = SVC_HEY_THERE
    KEY: ClassVar[str] = "hey_there"
    FIELDS = (("From", "s!"), ("PublicKey", "s!"), ("MeshIP", "s"), ("ID", "s"), ("Signature", "s"))
    from_: str
    public_key: str
    mesh_ip: str = ""
    id: str = ""
    signature: str = ""

    def content_string(self) -> str:
        return f"hey_there:{self.from_}:{self.public_key}:{self.mesh_ip}"

    def is_valid(self) -> bool:
        return bool(self.from_ and self.public_key)


@dataclass(frozen=True)
class Chau(_Codec):
    """``chau`` payload: a graceful goodbye."""

    SVC: ClassVar[str] = SVC_CHAU
    KEY: ClassVar[str] = "chau"
    FIELDS = (("From", "s!"), ("PublicKey", "s"), ("ID", "s"), ("Signature", "s"))
    from_: str
    public_key: str
    id: str = ""
    signature: str = ""

    def content_string(self) -> str:
        return f"chau:{self.from_}:{self.public_key}"

    def is_valid(self) -> bool:
        return bool(self.from_)


@dataclass(frozen=True)
class Observation(_Codec):
    """``observation`` payload; every time field is in seconds (§3.2)."""

    SVC: ClassVar[str] = SVC_OBSERVATION
    KEY: ClassVar[str] = "observation"
    FIELDS = (
        ("observer", "s?"),
        ("observer_id", "s?"),
        ("subject", "s?"),
        ("subject_id", "s?"),
        ("type", "s!"),
        ("importance", "i!"),
        ("is_backfill", "b?"),
        ("start_time", "i?"),
        ("restart_num", "i?"),
        ("last_restart", "i?"),
        ("online_state", "s?"),
        ("cluster_name", "s?"),
        ("observer_uptime", "u?"),
    )
    observer: str
    observer_id: str
    subject: str
    subject_id: str
    type: str
    importance: int
    is_backfill: bool = False
    start_time: int = 0
    restart_num: int = 0
    last_restart: int = 0
    online_state: str = ""
    cluster_name: str = ""
    observer_uptime: int = 0

    def content_string(self) -> str:
        if self.type == OBS_RESTART:  # same restart from many observers dedupes by content
            return f"{self.subject}:restart:{self.restart_num}:{self.start_time}"
        return (
            f"{self.observer}:{self.subject}:{self.type}:{self.online_state}:"
            f"{self.start_time}:{self.restart_num}"
        )

    def is_valid(self) -> bool:
        if not (self.observer and self.subject) or self.type not in IMPORTANCE:
            return False
        if not 1 <= self.importance <= 3:
            return False
        if self.type == OBS_RESTART:
            return self.start_time > 0 and self.restart_num >= 0
        if self.type == OBS_FIRST_SEEN:
            return self.start_time > 0
        return self.online_state in (ONLINE, OFFLINE, MISSING)


@dataclass(frozen=True)
class Social(_Codec):
    """``social`` payload: teases, observed/offline notes, gossip."""

    SVC: ClassVar[str] = SVC_SOCIAL
    KEY: ClassVar[str] = "social"
    FIELDS = (
        ("type", "s!"),
        ("actor", "s?"),
        ("actor_id", "s?"),
        ("target", "s?"),
        ("target_id", "s?"),
        ("reason", "s?"),
        ("witness", "s?"),
    )
    type: str
    actor: str
    actor_id: str
    target: str
    target_id: str
    reason: str
    witness: str = ""

    def content_string(self) -> str:
        return f"{self.type}:{self.actor}:{self.target}:{self.reason}:{self.witness}"

    def is_valid(self) -> bool:
        return self.type in SOCIAL_TYPES and bool(self.actor and self.target)


@dataclass(frozen=True)
class Seen(_Codec):
    """``seen`` payload: "I received something from this nara"."""

    SVC: ClassVar[str] = SVC_SEEN
    KEY: ClassVar[str] = "seen"
    FIELDS = (
        ("observer", "s?"),
        ("observer_id", "s?"),
        ("subject", "s?"),
        ("subject_id", "s?"),
        ("via", "s!"),
    )
    observer: str
    observer_id: str
    subject: str
    subject_id: str
    via: str

    def content_string(self) -> str:
        return f"seen:{self.observer}:{self.subject}:{self.via}"

    def is_valid(self) -> bool:
        return bool(self.observer and self.subject and self.via)


@dataclass(frozen=True)
class Ping(_Codec):
    """``ping`` payload; ``rtt`` in milliseconds, signed with one decimal (``%.1f``)."""

    SVC: ClassVar[str] = SVC_PING
    KEY: ClassVar[str] = "ping"
    FIELDS = (
        ("observer", "s?"),
        ("observer_id", "s?"),
        ("target", "s?"),
        ("target_id", "s?"),
        ("rtt", "f!"),
    )
    observer: str
    observer_id: str
    target: str
    target_id: str
    rtt: float

    def content_string(self) -> str:
        return f"{self.observer}:{self.target}:{self.rtt:.1f}"

    def is_valid(self) -> bool:
        return bool(self.observer and self.target) and self.rtt > 0


@dataclass(frozen=True)
class Checkpoint:
    """``checkpoint`` payload: a snapshot of a nara's Trinity that voters signed
    (checkpoint_types.go:26-47). Times in seconds. ``voter_ids[i]`` signed ``signatures[i]``, each
    over the attestation string the voter would have signed (nara.core.checkpoints.messages).

    Only the Trinity of ``observation`` is read: it is all that the id and the signatures cover.
    """

    SVC: ClassVar[str] = SVC_CHECKPOINT
    KEY: ClassVar[str] = "checkpoint"
    version: int
    subject: str
    subject_id: str
    previous_checkpoint_id: str
    restarts: int
    total_uptime: int
    start_time: int
    as_of_time: int
    round: int
    voter_ids: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()

    def content_string(self) -> str:
        """v1 ``checkpoint:{id}:...``; v2 adds the previous checkpoint id (``id`` is the subject's
        nara ID, or its name when the ID is empty)."""
        who = self.subject_id or self.subject
        trinity = f"{self.as_of_time}:{self.start_time}:{self.restarts}:{self.total_uptime}"
        if self.version in (0, 1):
            return f"checkpoint:{who}:{trinity}"
        return f"checkpoint:v2:{who}:{trinity}:{self.previous_checkpoint_id}"

    def is_valid(self) -> bool:
        return (
            bool(self.subject)
            and self.as_of_time > 0
            and self.restarts >= 0
            and self.total_uptime >= 0
            and len(self.voter_ids) == len(self.signatures)
        )

    def observation_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in (
            ("restarts", self.restarts),
            ("total_uptime", self.total_uptime),
            ("start_time", self.start_time),
        ):
            if value:  # NaraObservation is all omitempty
                out[key] = value
        return out

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "version": self.version,
            "subject": self.subject,
            "subject_id": self.subject_id,
        }
        if self.previous_checkpoint_id:
            out["previous_checkpoint_id"] = self.previous_checkpoint_id
        out["observation"] = self.observation_json()
        out["as_of_time"] = self.as_of_time
        out["round"] = self.round
        if self.voter_ids:
            out["voter_ids"] = list(self.voter_ids)
        if self.signatures:
            out["signatures"] = list(self.signatures)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> Checkpoint:
        obs = field_obj(d, "observation") or {}
        return cls(
            version=field_int(d, "version", bounds=INT64),
            subject=field_str(d, "subject", required=True),
            subject_id=field_str(d, "subject_id"),
            previous_checkpoint_id=field_str(d, "previous_checkpoint_id"),
            restarts=field_int(obs, "restarts", bounds=INT64),
            total_uptime=field_int(obs, "total_uptime", bounds=INT64),
            start_time=field_int(obs, "start_time", bounds=INT64),
            as_of_time=field_int(d, "as_of_time", bounds=INT64, required=True),
            round=field_int(d, "round", bounds=INT64),
            voter_ids=_strings(d, "voter_ids"),
            signatures=_strings(d, "signatures"),
        )


def _strings(d: Mapping[str, object], key: str) -> tuple[str, ...]:
    items = field_list(d, key) or []
    if not all(isinstance(v, str) for v in items):
        raise ValueError(f"{key}: expected an array of strings")
    return tuple(str(v) for v in items)


Payload = HeyThere | Chau | Observation | Social | Seen | Ping | Checkpoint
PAYLOAD_TYPES: Final[dict[str, type[Payload]]] = {
    p.SVC: p for p in (HeyThere, Chau, Observation, Social, Seen, Ping, Checkpoint)
}
