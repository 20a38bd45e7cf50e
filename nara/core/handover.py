"""Soul handover (``-takeover``): the pure parts. Proof format, its verification, the one-use
challenges the old instance hands out, and the state bundle it passes on (shape and checks).

The flow (docs/deployment.md, "Canary deploys"; the shell is ``nara/handover.py``):

1. the new instance asks the old one for a challenge: a random nonce, valid ``CHALLENGE_TTL_S``;
2. it signs ``proof_message(name, nara_id, nonce)`` with the soul's Ed25519 key; the old one
   verifies the signature against its *own* public key. Only the holder of the same soul (and
   name: the key is the soul's, the message names the nara) can answer. The soul never travels;
3. the old one answers with the bundle (its JSON text) and a signature over
   ``bundle_message(nonce, text)``, made with the same key: the new one checks it against its own
   public key, so a URL that is not the old instance cannot feed it a made-up past;
4. the old one stops announcing, without a chau, and exits 0; the new one boots with the
   bundle's start time, restart count (not bumped) and last restart, and the bundle's ledger.

Everything here takes its randomness and time as arguments: no I/O.
"""

from __future__ import annotations

import base64
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from nara.core.crypto import SigningKey, decode_b64, verify
from nara.core.events import SyncEvent
from nara.core.selfstatus import Remembered

PROOF_CONTEXT = "nara-takeover-v1"
BUNDLE_CONTEXT = "nara-handover-bundle-v1"
BUNDLE_VERSION = 1
NONCE_BYTES = 32
CHALLENGE_TTL_S = 30
MAX_OPEN_CHALLENGES = 8  # more callers than this at once are not a handover
MAX_PROOF_BYTES = 4096  # the POST body of a proof: a nonce and a signature
# The bundle: ~1 KiB per ledger event at most, times the largest ledger (memory mode "hog").
MAX_EVENT_BYTES = 8 * 1024
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
# Sanity bounds, the same as the state file's (nara/state.py).
MIN_START_TIME_S = 1_000_000_000
MAX_START_TIME_S = 2**40
MAX_RESTARTS = 2**31 - 1
NS = 1_000_000_000


class HandoverError(ValueError):
    """A proof or bundle that cannot be used; the message is a short phrase (safe to log)."""


def proof_message(name: str, nara_id: str, nonce_b64: str) -> bytes:
    """What the new instance signs: the purpose, who it claims to be, and the old one's nonce."""
    return f"{PROOF_CONTEXT}\n{name}\n{nara_id}\n{nonce_b64}\n".encode()


def bundle_message(nonce_b64: str, bundle_text: str) -> bytes:
    """What the old instance signs: the bundle, bound to this one handover's nonce."""
    return f"{BUNDLE_CONTEXT}\n{nonce_b64}\n".encode() + bundle_text.encode()


def sign_proof(key: SigningKey, name: str, nara_id: str, nonce_b64: str) -> str:
    return key.sign_b64(proof_message(name, nara_id, nonce_b64))


def _verify_b64(public_raw: bytes, message: bytes, signature_b64: object) -> bool:
    if not isinstance(signature_b64, str) or len(signature_b64) > 200:
        return False
    sig = decode_b64(signature_b64)
    return sig is not None and verify(public_raw, message, sig)


class Challenges:
    """The nonces an old instance has handed out: few, short-lived, each good for one proof."""

    def __init__(self, capacity: int = MAX_OPEN_CHALLENGES) -> None:
        self.capacity = capacity
        self._open: OrderedDict[str, int] = OrderedDict()  # nonce (Base64) → expiry (ns)

    def issue(self, nonce: bytes, now_ns: int) -> tuple[str, int]:
        """Remember ``nonce`` (from the shell's CSPRNG); returns it as Base64 and its expiry."""
        if len(nonce) != NONCE_BYTES:
            raise ValueError(f"a takeover nonce is {NONCE_BYTES} bytes")
        self._expire(now_ns)
        while len(self._open) >= self.capacity:
            self._open.popitem(last=False)  # the oldest goes first
        text = base64.b64encode(nonce).decode("ascii")
        expires = now_ns + CHALLENGE_TTL_S * NS
        self._open[text] = expires
        return text, expires

    def take(self, nonce_b64: object, now_ns: int) -> bool:
        """Spend a nonce: True once, for an open, unexpired one."""
        self._expire(now_ns)
        if not isinstance(nonce_b64, str):
            return False
        return self._open.pop(nonce_b64, None) is not None

    def __len__(self) -> int:
        return len(self._open)

    def _expire(self, now_ns: int) -> None:
        for nonce in [n for n, at in self._open.items() if at <= now_ns]:
            del self._open[nonce]


def check_proof(
    challenges: Challenges,
    public_raw: bytes,
    name: str,
    nara_id: str,
    body: object,
    now_ns: int,
) -> str:
    """Check a proof body (the decoded JSON of the POST). Returns its nonce, or raises.

    The nonce is spent whatever the outcome: a wrong signature cannot be retried on it."""
    if not isinstance(body, dict):
        raise HandoverError("the proof is not a JSON object")
    nonce, signature = body.get("nonce"), body.get("signature")
    if not challenges.take(nonce, now_ns):
        raise HandoverError("unknown or expired challenge")
    assert isinstance(nonce, str)
    if body.get("name") != name or body.get("nara_id") != nara_id:
        raise HandoverError("the proof names another nara")
    if not _verify_b64(public_raw, proof_message(name, nara_id, nonce), signature):
        raise HandoverError("bad signature")
    return nonce


# ---- the bundle -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """What the old instance passes on: what its state directory holds for this nara (the
    start time and restart count, ``nara/state.py``), when its run began (its last restart:
    the new instance goes on with that run) and its ledger."""

    name: str
    nara_id: str
    remembered: Remembered
    events: tuple[SyncEvent, ...]


def encode_bundle(bundle: Bundle) -> str:
    doc = {
        "version": BUNDLE_VERSION,
        "name": bundle.name,
        "nara_id": bundle.nara_id,
        "start_time_s": bundle.remembered.start_time_s,
        "restarts": bundle.remembered.restarts,
        "last_restart_s": bundle.remembered.last_restart_s,
        "ledger": [json.loads(e.to_json()) for e in bundle.events],
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def seal(key: SigningKey, nonce_b64: str, bundle: Bundle) -> dict[str, str]:
    """The old instance's answer to a good proof."""
    text = encode_bundle(bundle)
    return {"bundle": text, "signature": key.sign_b64(bundle_message(nonce_b64, text))}


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def open_bundle(
    answer: object,
    public_raw: bytes,
    name: str,
    nara_id: str,
    nonce_b64: str,
    max_events: int,
) -> Bundle:
    """Check the old instance's answer and read the bundle, or raise ``HandoverError``.

    The signature comes first (nothing unsigned is parsed); then every field is bounded: a
    bundle for another nara, a start time or count out of range, more events than our ledger
    holds, or an event that is not a valid sync event is refused as a whole."""
    if not isinstance(answer, dict):
        raise HandoverError("the answer is not a JSON object")
    text, signature = answer.get("bundle"), answer.get("signature")
    if not isinstance(text, str) or len(text) > MAX_BUNDLE_BYTES:
        raise HandoverError("no bundle, or one too large")
    if not _verify_b64(public_raw, bundle_message(nonce_b64, text), signature):
        raise HandoverError("the bundle is not signed with this soul")
    try:
        doc: Any = json.loads(text)
    except ValueError:
        raise HandoverError("the bundle is not JSON") from None
    if not isinstance(doc, dict) or doc.get("version") != BUNDLE_VERSION:
        raise HandoverError(f"the bundle is not version {BUNDLE_VERSION}")
    if doc.get("name") != name or doc.get("nara_id") != nara_id:
        raise HandoverError("the bundle belongs to another nara")
    start, restarts = doc.get("start_time_s"), doc.get("restarts")
    if not _int_in(start, MIN_START_TIME_S, MAX_START_TIME_S):
        raise HandoverError("the bundle has no valid start_time_s")
    if not _int_in(restarts, 0, MAX_RESTARTS):
        raise HandoverError("the bundle has no valid restarts")
    assert isinstance(start, int) and isinstance(restarts, int)
    # When the old instance's run began (its ``last_restart``); optional: 0 when absent.
    last_restart = doc.get("last_restart_s", 0)
    if last_restart != 0 and not _int_in(last_restart, start, MAX_START_TIME_S):
        raise HandoverError("the bundle has an invalid last_restart_s")
    ledger = doc.get("ledger")
    if not isinstance(ledger, list) or len(ledger) > max_events:
        raise HandoverError(f"the bundle's ledger is not a list of at most {max_events} events")
    events: list[SyncEvent] = []
    for item in ledger:
        if not isinstance(item, dict):
            raise HandoverError("a ledger entry is not an object")
        try:
            event = SyncEvent.from_json(item)
        except (ValueError, TypeError):
            raise HandoverError("a ledger entry is not a sync event") from None
        if not event.is_valid() or len(event.to_json()) > MAX_EVENT_BYTES:
            raise HandoverError("a ledger entry is not a valid sync event")
        events.append(event)
    assert isinstance(last_restart, int)
    return Bundle(name, nara_id, Remembered(start, restarts, last_restart), tuple(events))


# ---- what `nara identity` says ------------------------------------------------------------------


def forecast(name: str, nara_id: str, public_key: str, old: object) -> dict[str, Any]:
    """Whether the instance that answered ``GET /api/takeover`` (``old``, its decoded JSON, or
    None when there was no answer) would accept a takeover by this identity, and what the
    network would then see (``nara identity -takeover URL``)."""
    sees = {"name": name, "nara_id": nara_id, "restart": False, "chau": False, "second_nara": False}
    if not isinstance(old, dict):
        return {"accepted": False, "reason": "the old instance did not answer"}
    if old.get("name") != name or old.get("nara_id") != nara_id:
        return {"accepted": False, "reason": "the old instance is another nara (name or soul)"}
    if old.get("public_key") != public_key:
        return {"accepted": False, "reason": "the old instance has another key"}
    if old.get("accepting") is not True:
        return {
            "accepted": False,
            "reason": "the old instance was not started with -accept-takeover",
        }
    start = old.get("start_time_s")
    restarts = old.get("restarts")
    sees["start_time_s"] = start if _int_in(start, 0, MAX_START_TIME_S) else None
    sees["restarts"] = restarts if _int_in(restarts, 0, MAX_RESTARTS) else None
    return {"accepted": True, "network_sees": sees}
