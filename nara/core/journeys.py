"""World journeys ("postcards"): ``nara/plaza/journey_complete`` decoded, kept and verified.

A journey is a message carried nara to nara over the mesh; each nara it reaches adds a hop
(``nara``, ``timestamp``, ``signature``, ``stamp``; world.go:18-23). When it comes home its
originator announces a JourneyCompletion on the plaza (network.go:140-146, world_network.go:45-54).
We carry no journeys (no mesh), but we keep every completion we hear, ours or not: bounded,
deduplicated by ``journey_id``.

What hop *i* signs (world.go:61-104): Ed25519 over the SHA-256 of Go's ``json.Marshal`` of
``{"id", "message", "originator", "previous_hops": hops[:i], "current_nara": hops[i].nara}``,
the previous hops with all four fields (signatures included). A completion carries the
journey's id as ``journey_id``. Each hop is marked ``verified``, ``bad`` (the key we hold does
not verify it) or ``unknown-key`` (we hold no key for that nara).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from nara.core import gojson
from nara.core.crypto import verify
from nara.core.gojson import INT64, field_int, field_list, field_str
from nara.core.names import valid_name
from nara.core.wire import MAX_PAYLOAD_BYTES, Dropped, DropReason

TOPIC_JOURNEY_COMPLETE: Final = "nara/plaza/journey_complete"
MAX_JOURNEYS: Final = 200  # completions kept, oldest forgotten first
MAX_HOPS: Final = 64
MAX_MESSAGE_CHARS: Final = 1024
MAX_STAMP_CHARS: Final = 32
MAX_ID_CHARS: Final = 128
MAX_SIG_CHARS: Final = 128

VERIFIED: Final = "verified"
BAD: Final = "bad"
UNKNOWN_KEY: Final = "unknown-key"

KeyForName = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Hop:
    nara: str
    timestamp: int
    signature: str
    stamp: str

    def to_json(self) -> dict[str, object]:
        return {
            "nara": self.nara,
            "timestamp": self.timestamp,
            "signature": self.signature,
            "stamp": self.stamp,
        }


@dataclass(frozen=True, slots=True)
class Completion:
    journey_id: str
    originator: str
    reported_by: str
    message: str
    hops: tuple[Hop, ...]

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "journey_id": self.journey_id,
            "originator": self.originator,
            "reported_by": self.reported_by,
        }
        if self.message:
            out["message"] = self.message
        if self.hops:
            out["hops"] = [h.to_json() for h in self.hops]
        return out


def _drop(reason: DropReason, detail: str) -> Dropped:
    return Dropped(reason, " ".join(detail.split())[:100])


def _hop(v: object) -> Hop:
    if not isinstance(v, dict):
        raise ValueError("hop: expected object")
    hop = Hop(
        nara=field_str(v, "nara"),
        timestamp=field_int(v, "timestamp", bounds=INT64),
        signature=field_str(v, "signature"),
        stamp=field_str(v, "stamp"),
    )
    if len(hop.signature) > MAX_SIG_CHARS or len(hop.stamp) > MAX_STAMP_CHARS:
        raise OverflowError("hop field too long")
    return hop


def decode_completion(raw: bytes) -> Completion | Dropped:
    """A JourneyCompletion, bounded; anything else is a drop with its reason."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        return _drop(DropReason.TOO_LARGE, f"{len(raw)} bytes")
    try:
        d = gojson.loads(bytes(raw))
    except (gojson.JSONError, TypeError) as e:
        return _drop(DropReason.INVALID_JSON, str(e))
    if not isinstance(d, dict):
        return _drop(DropReason.INVALID_SCHEMA, "journey_complete: expected object")
    try:
        hops_raw = field_list(d, "hops") or []
        if len(hops_raw) > MAX_HOPS:
            return _drop(DropReason.OVERSIZED_FIELD, f"{len(hops_raw)} hops > {MAX_HOPS}")
        c = Completion(
            journey_id=field_str(d, "journey_id"),
            originator=field_str(d, "originator"),
            reported_by=field_str(d, "reported_by"),
            message=field_str(d, "message"),
            hops=tuple(_hop(h) for h in hops_raw),
        )
    except OverflowError as e:
        return _drop(DropReason.OVERSIZED_FIELD, str(e))
    except ValueError as e:
        return _drop(DropReason.INVALID_SCHEMA, str(e))
    if not c.journey_id or not c.originator:  # world_network.go:108-111
        return _drop(DropReason.INVALID_EVENT, "journey_id and originator are required")
    if len(c.journey_id) > MAX_ID_CHARS or len(c.message) > MAX_MESSAGE_CHARS:
        return _drop(DropReason.OVERSIZED_FIELD, "journey_id or message")
    names = [c.originator, *([c.reported_by] if c.reported_by else []), *(h.nara for h in c.hops)]
    if not all(valid_name(n) for n in names):
        return _drop(DropReason.INVALID_NAME, "originator, reporter or hop")
    return c


def signed_json(c: Completion, index: int) -> bytes:
    """The JSON whose SHA-256 hop ``index`` signed (world.go:83-104), byte for byte."""
    return gojson.dumps(
        {
            "id": c.journey_id,
            "message": c.message,
            "originator": c.originator,
            "previous_hops": [h.to_json() for h in c.hops[:index]],
            "current_nara": c.hops[index].nara,
        }
    )


def check_hop(c: Completion, index: int, key_for_name: KeyForName) -> tuple[str, str]:
    """(mark, key) for hop ``index``: verified, bad or unknown-key, and the key used."""
    hop = c.hops[index]
    key = key_for_name(hop.nara)
    if not key:
        return UNKNOWN_KEY, ""
    try:
        pub = base64.b64decode(key, validate=True)
        sig = base64.b64decode(hop.signature, validate=True)
    except (ValueError, binascii.Error):
        return BAD, key
    digest = hashlib.sha256(signed_json(c, index)).digest()
    return (VERIFIED if verify(pub, digest, sig) else BAD), key


def view(c: Completion, received_s: int, key_for_name: KeyForName) -> dict[str, object]:
    """The reference's journey fields plus each hop's verification."""
    hops: list[dict[str, object]] = []
    for i, h in enumerate(c.hops):
        mark, _ = check_hop(c, i, key_for_name)
        hops.append({**h.to_json(), "verification": mark})
    marks = [h["verification"] for h in hops]
    complete = bool(c.hops) and c.hops[-1].nara == c.originator
    rewards: dict[str, float] = {}
    if complete:  # world.go:196-216
        rewards[c.originator] = 10.0
        for h in c.hops:
            if h.nara != c.originator:
                rewards[h.nara] = 2.0
    return {
        "id": c.journey_id,
        "message": c.message,
        "originator": c.originator,
        "reported_by": c.reported_by,
        "hops": hops,
        "hop_count": len(hops),
        "complete": complete,
        "rewards": rewards,
        "received_at": received_s,
        "verified": bool(marks) and all(m == VERIFIED for m in marks),
        "bad_hops": marks.count(BAD),
        "unknown_key_hops": marks.count(UNKNOWN_KEY),
    }


class JourneyBook:
    """Every completed journey heard, deduplicated by journey_id, the oldest forgotten first."""

    def __init__(self, capacity: int = MAX_JOURNEYS) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[str, tuple[Completion, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def add(self, c: Completion, received_s: int) -> bool:
        """Keep ``c``; False when that journey_id is already held."""
        if c.journey_id in self._kept:
            return False
        self._kept[c.journey_id] = (c, received_s)
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)
        return True

    def newest_first(self) -> list[tuple[Completion, int]]:
        return list(reversed(self._kept.values()))
