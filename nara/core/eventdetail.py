"""One ledger event in full, with its signature checked (``/api/inspector/event/{id}``).

The reference's handler (http_inspector.go:652-764) answers ``event``, ``verification``
(``is_signed``, ``signature_valid``, ``public_key_known``, ``signable_content``,
``verification_error``) and ``metadata`` (``event_index``, ``total_events``, ``age_seconds``).
Its ``signable_content`` is always ""; ours carries the exact string whose sha256 was signed
(sync_event.go: ``"{id}:{ts}:{svc}:{emitter}:" + content``) and ``signed_digest`` its hex, so a
reader can check the signature by hand. A checkpoint is signed by its voters, not its emitter:
``voters`` lists each voter's attestation string and whether its signature verifies.

Which key: hey_there and chau carry their own; a checkpoint's voters are looked up by nara ID;
every other event by the emitter's ID, then by its name in the roster (the reference's lookup).
"""

from __future__ import annotations

import base64
import binascii

from nara.core.checkpoints.book import check_voters
from nara.core.checkpoints.messages import final_attestation
from nara.core.crypto import verify_b64
from nara.core.events import Chau, Checkpoint, HeyThere, SyncEvent
from nara.core.ledger import Entry
from nara.core.protocol import Node

NS = 1_000_000_000


def find(node: Node, event_id: str) -> tuple[int, Entry] | None:
    """The ledger entry with this id and its index (oldest first), or None."""
    for i, entry in enumerate(node.ledger):
        if entry.event.id == event_id:
            return i, entry
    return None


def emitter_key(node: Node, event: SyncEvent) -> str | None:
    """The key we hold for an event's emitter: by its nara ID, else by its name in the roster."""
    key = node.key_for_id(event.emitter_id)
    if key:
        return key
    if not event.emitter:
        return None
    if event.emitter == node.name:
        return node.identity.public_key
    entry = node.neighbourhood.get(event.emitter)
    return entry.public_key if entry is not None and entry.public_key else None


def signable_content(event: SyncEvent) -> str:
    """The string whose sha256 the emitter signs (events.py ``signed_digest``)."""
    return f"{event.id}:{event.ts}:{event.svc}:{event.emitter}:{event.content_string()}"


def _voters(node: Node, cp: Checkpoint) -> list[dict[str, object]]:
    checks = check_voters(cp, node.key_for_id)
    return [
        {
            "voter_id": c.voter_id,
            "signed_content": final_attestation(cp, c.voter_id).signable().decode(),
            "signature_valid": c.verified,
            "public_key_known": bool(c.voter_id and node.key_for_id(c.voter_id)),
            "error": c.error or None,
        }
        for c in checks
    ]


def verification(node: Node, event: SyncEvent) -> dict[str, object]:
    """Whether ``event`` is signed, by a key we know, and whether its signature verifies."""
    signed = event.is_signed()
    p = event.payload
    out: dict[str, object] = {
        "is_signed": signed,
        "signature_valid": False,
        "public_key_known": False,
        "signable_content": "",
        "signed_digest": "",
        "key_source": "",
        "verification_error": None,
    }
    if isinstance(p, Checkpoint):
        voters = _voters(node, p)
        out["voters"] = voters
        out["key_source"] = "voters"
        out["public_key_known"] = any(v["public_key_known"] for v in voters)
        out["signature_valid"] = sum(1 for v in voters if v["signature_valid"]) >= 2
        if signed:
            out["signable_content"] = signable_content(event)
            out["signed_digest"] = event.signed_digest().hex()
        if not out["signature_valid"]:
            out["verification_error"] = (
                "fewer than two voter signatures verify"
                if out["public_key_known"]
                else "public key not found for any voter"
            )
        return out
    if not signed:
        return out
    out["signable_content"] = signable_content(event)
    out["signed_digest"] = event.signed_digest().hex()
    key: str | None
    if isinstance(p, HeyThere | Chau):
        key = p.public_key or None
        out["key_source"] = "embedded"
    else:
        key = emitter_key(node, event)
        out["key_source"] = "roster" if key else ""
    if key:
        ok = verify_b64(key, event.signed_digest(), event.sig)
        out["public_key_known"] = ok or _parses(key)
        out["signature_valid"] = ok
    if not out["signature_valid"]:
        out["verification_error"] = (
            "signature verification failed"
            if out["public_key_known"]
            else "public key not found for emitter"
        )
    return out


def _parses(key_b64: str) -> bool:
    """Whether a Base64 key decodes to 32 bytes (a key we could verify with)."""
    try:
        return len(base64.b64decode(key_b64, validate=True)) == 32
    except (ValueError, binascii.Error):
        return False


def event_detail(node: Node, event_id: str, now: int) -> dict[str, object] | None:
    """The reference's detail shape for one held event, or None when we hold no such event."""
    found = find(node, event_id)
    if found is None:
        return None
    index, entry = found
    event = entry.event
    return {
        "event": event.to_dict(),
        "verification": verification(node, event),
        "metadata": {
            "event_index": index,
            "total_events": len(node.ledger),
            "age_seconds": (now - event.ts) // NS,
            "seq": entry.seq,
            "subjects": list(entry.subjects),
            "ui_format": event.ui_format(),
        },
    }
