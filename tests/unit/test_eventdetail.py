"""/api/inspector/event/{id} in the core: which key, whether the signature verifies, and the
exact string signed. Two Nodes exchange real bytes; no broker, no clock."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from nara.core import eventdetail
from nara.core.crypto import verify_b64
from nara.core.events import SVC_HEY_THERE, Social, make_social
from nara.core.protocol import Node
from tests.unit.test_protocol import NS, T0, connect_and_announce, deliver, node


def _pair() -> tuple[Node, Node]:
    a, b = node("alice"), node("bob")
    deliver(connect_and_announce(a, T0), b, T0 + 7 * NS)
    return a, b


def _hey_there_id(b: Node, name: str) -> str:
    for entry in b.ledger:
        if entry.event.svc == SVC_HEY_THERE and entry.event.emitter == name:
            return entry.event.id
    raise AssertionError(f"no hey_there from {name}")


def test_hey_there_verifies_with_its_embedded_key() -> None:
    a, b = _pair()
    event_id = _hey_there_id(b, "alice")
    d = eventdetail.event_detail(b, event_id, T0 + 67 * NS)
    assert d is not None
    v = d["verification"]
    assert isinstance(v, dict)
    assert v["is_signed"] and v["signature_valid"] and v["public_key_known"]
    assert v["key_source"] == "embedded"
    assert v["verification_error"] is None
    ev = d["event"]
    assert isinstance(ev, dict)
    content = v["signable_content"]
    assert isinstance(content, str)
    assert content.startswith(f"{event_id}:{ev['ts']}:hey-there:alice:")
    # The digest shown is the sha256 of the string shown, and the signature is over it.
    digest = hashlib.sha256(content.encode()).digest()
    assert v["signed_digest"] == digest.hex()
    assert verify_b64(a.identity.public_key, digest, str(ev["sig"]))
    meta = d["metadata"]
    assert isinstance(meta, dict)
    assert meta["total_events"] == len(b.ledger)
    assert meta["age_seconds"] == (T0 + 67 * NS - int(ev["ts"])) // NS


def test_unknown_event_is_none() -> None:
    _, b = _pair()
    assert eventdetail.event_detail(b, "0" * 32, T0) is None


def test_social_event_uses_the_rostered_key_and_catches_tampering() -> None:
    a, b = _pair()
    good = make_social(a.key, "alice", "tease", "alice", "bob", "high-restarts", T0 + 8 * NS)
    assert b.ledger.append(good) is not None
    v = eventdetail.verification(b, good)
    assert v["signature_valid"] and v["key_source"] == "roster"
    # Same signature, a different reason: the key is known, the signature fails.
    assert isinstance(good.payload, Social)
    bad = replace(good, payload=replace(good.payload, reason="comeback"))
    v = eventdetail.verification(b, bad)
    assert v["public_key_known"] and not v["signature_valid"]
    assert v["verification_error"] == "signature verification failed"


def test_signed_by_a_stranger_is_unknown_key() -> None:
    stranger = node("carol")
    _, b = _pair()
    ev = make_social(stranger.key, "carol", "tease", "carol", "bob", "high-restarts", T0)
    v = eventdetail.verification(b, ev)
    assert v["is_signed"] and not v["public_key_known"] and not v["signature_valid"]
    assert v["verification_error"] == "public key not found for emitter"


def test_unsigned_event_has_no_content() -> None:
    _, b = _pair()
    ev = make_social(None, "", "tease", "alice", "bob", "high-restarts", T0)
    v = eventdetail.verification(b, ev)
    assert not v["is_signed"] and v["signable_content"] == "" and v["verification_error"] is None
