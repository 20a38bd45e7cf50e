"""nara/core/handover.py: the proof, the one-use challenges, the sealed bundle and its checks."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from nara.core import handover as h
from nara.core.events import make_hey_there
from nara.core.selfstatus import Remembered, SelfState
from tests.integration.helpers import make_identity

NS = 1_000_000_000
T = 1_800_000_000 * NS
ME = make_identity("mover", b"me")
OTHER = make_identity("mover", b"someone else")  # same name, another soul


def nonce(n: int = 1) -> bytes:
    return bytes([n]) * h.NONCE_BYTES


def proof(identity: Any, text: str) -> dict[str, str]:
    return {
        "name": identity.name,
        "nara_id": identity.nara_id,
        "nonce": text,
        "signature": h.sign_proof(identity.signing_key(), identity.name, identity.nara_id, text),
    }


def check(challenges: h.Challenges, body: object, now: int = T) -> str:
    key = ME.signing_key().public_raw
    return h.check_proof(challenges, key, ME.name, ME.nara_id, body, now)


def test_a_good_proof_is_accepted_once() -> None:
    challenges = h.Challenges()
    text, expires = challenges.issue(nonce(), T)
    assert expires == T + h.CHALLENGE_TTL_S * NS
    assert check(challenges, proof(ME, text)) == text
    with pytest.raises(h.HandoverError, match="unknown or expired"):
        check(challenges, proof(ME, text))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: (
            p | {"signature": h.sign_proof(OTHER.signing_key(), ME.name, ME.nara_id, p["nonce"])}
        ),
        lambda p: p | {"signature": "not base64!"},
        lambda p: p | {"signature": 42},
        lambda p: p | {"name": "someone"},
        lambda p: p | {"nara_id": OTHER.nara_id},
        lambda p: {k: v for k, v in p.items() if k != "signature"},
    ],
    ids=["other-soul", "bad-b64", "not-a-string", "other-name", "other-id", "no-signature"],
)
def test_a_bad_proof_is_refused_and_spends_its_nonce(mutate: Any) -> None:
    challenges = h.Challenges()
    text, _ = challenges.issue(nonce(), T)
    with pytest.raises(h.HandoverError):
        check(challenges, mutate(proof(ME, text)))
    assert len(challenges) == 0
    with pytest.raises(h.HandoverError, match="unknown or expired"):
        check(challenges, proof(ME, text))  # no second try on the same nonce


@pytest.mark.parametrize("body", [None, [], "x", {}, {"nonce": 5}, {"nonce": "nope"}])
def test_garbage_is_refused(body: object) -> None:
    challenges = h.Challenges()
    challenges.issue(nonce(), T)
    with pytest.raises(h.HandoverError):
        check(challenges, body)


def test_challenges_expire_and_are_bounded() -> None:
    challenges = h.Challenges(capacity=3)
    texts = [challenges.issue(nonce(i), T)[0] for i in range(5)]
    assert len(challenges) == 3
    with pytest.raises(h.HandoverError):
        check(challenges, proof(ME, texts[0]))  # the oldest were pushed out
    assert check(challenges, proof(ME, texts[3]), now=T + NS) == texts[3]
    with pytest.raises(h.HandoverError):
        check(challenges, proof(ME, texts[4]), now=T + h.CHALLENGE_TTL_S * NS)  # expired
    with pytest.raises(ValueError):
        challenges.issue(b"short", T)


def test_the_proof_never_carries_the_soul() -> None:
    text = h.Challenges().issue(nonce(), T)[0]
    wire = json.dumps(proof(ME, text))
    assert ME.soul.text not in wire
    assert h.proof_message(ME.name, ME.nara_id, text).startswith(b"nara-takeover-v1\n")


# ---- the bundle -------------------------------------------------------------------------------


def bundle(**changes: Any) -> h.Bundle:
    events = (make_hey_there(ME.signing_key(), ME.name, ME.nara_id, T),)
    base = h.Bundle(ME.name, ME.nara_id, Remembered(1_700_000_000, 7, 1_750_000_000), events)
    return h.Bundle(**(base.__dict__ | changes))


def open_(answer: object, max_events: int = 100, text: str = "n") -> h.Bundle:
    return h.open_bundle(answer, ME.signing_key().public_raw, ME.name, ME.nara_id, text, max_events)


def test_a_sealed_bundle_opens_to_the_same_bundle() -> None:
    original = bundle()
    assert open_(h.seal(ME.signing_key(), "n", original)) == original


def test_a_bundle_signed_by_another_soul_or_for_another_nonce_is_refused() -> None:
    with pytest.raises(h.HandoverError, match="not signed"):
        open_(h.seal(OTHER.signing_key(), "n", bundle()))
    with pytest.raises(h.HandoverError, match="not signed"):
        open_(h.seal(ME.signing_key(), "other nonce", bundle()))
    answer = h.seal(ME.signing_key(), "n", bundle())
    with pytest.raises(h.HandoverError, match="not signed"):
        open_(answer | {"bundle": answer["bundle"].replace('"restarts":7', '"restarts":0')})


def sealed_doc(**changes: Any) -> dict[str, str]:
    doc = json.loads(h.encode_bundle(bundle())) | changes
    text = json.dumps(doc)
    return {"bundle": text, "signature": ME.signing_key().sign_b64(h.bundle_message("n", text))}


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 2},
        {"name": "someone"},
        {"nara_id": OTHER.nara_id},
        {"start_time_s": 5},
        {"start_time_s": True},
        {"restarts": -1},
        {"restarts": 2**40},
        {"last_restart_s": 1_600_000_000},  # before the first start
        {"last_restart_s": "1750000000"},
        {"last_restart_s": -1},
        {"ledger": {}},
        {"ledger": [1]},
        {"ledger": [{"svc": "no-such"}]},
        {"ledger": [{"id": "x", "ts": 0, "svc": "hey-there", "hey_there": {}}]},
    ],
)
def test_a_bundle_out_of_bounds_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(h.HandoverError):
        open_(sealed_doc(**changes))


def test_a_bundle_without_a_last_restart_opens_with_none() -> None:
    """A bundle from a build that did not pass ``last_restart_s`` on: the new instance then
    says its own start (its state carries on all the same)."""
    doc = json.loads(h.encode_bundle(bundle()))
    del doc["last_restart_s"]
    text = json.dumps(doc)
    answer = {"bundle": text, "signature": ME.signing_key().sign_b64(h.bundle_message("n", text))}
    assert open_(answer).remembered == Remembered(1_700_000_000, 7, 0)


def test_the_new_instance_says_the_old_ones_last_restart() -> None:
    """The new instance goes on with the old one's run: its observation of itself (what its
    newspapers carry) has the old ``last_restart``, start time and restart count; a restart
    (no inherited run, or one said to begin after this process) is this process's start."""
    rand = random.Random(1)
    start_ns = 1_760_000_000 * NS
    inherited = SelfState(ME, "h", "", start_ns, rand, Remembered(1_700_000_000, 7, 1_750_000_000))
    seen = inherited.observation(start_ns)
    assert (seen.start_time, seen.restarts, seen.last_restart) == (1_700_000_000, 7, 1_750_000_000)
    assert inherited.remembered() == Remembered(1_700_000_000, 7, 1_750_000_000)
    for remembered in (Remembered(1_700_000_000, 8), Remembered(1_700_000_000, 8, 1_770_000_000)):
        own = SelfState(ME, "h", "", start_ns, rand, remembered).observation(start_ns)
        assert own.last_restart == 1_760_000_000


def test_a_bundle_with_more_events_than_our_ledger_is_refused() -> None:
    with pytest.raises(h.HandoverError, match="at most 0"):
        open_(h.seal(ME.signing_key(), "n", bundle()), max_events=0)


@pytest.mark.parametrize("answer", [None, [], {"bundle": 1}, {"bundle": "x" * 10}])
def test_a_malformed_answer_is_refused(answer: object) -> None:
    with pytest.raises(h.HandoverError):
        open_(answer)


def test_forecast() -> None:
    old = {
        "accepting": True,
        "name": ME.name,
        "nara_id": ME.nara_id,
        "public_key": ME.public_key,
        "start_time_s": 1_700_000_000,
        "restarts": 3,
    }
    yes = h.forecast(ME.name, ME.nara_id, ME.public_key, old)
    assert yes["accepted"] is True
    assert yes["network_sees"] | {} == {
        "name": ME.name,
        "nara_id": ME.nara_id,
        "start_time_s": 1_700_000_000,
        "restarts": 3,
        "restart": False,
        "chau": False,
        "second_nara": False,
    }
    assert h.forecast(OTHER.name, OTHER.nara_id, OTHER.public_key, old)["accepted"] is False
    assert h.forecast(ME.name, ME.nara_id, ME.public_key, None)["accepted"] is False
    off = old | {"accepting": False}
    assert "accept-takeover" in h.forecast(ME.name, ME.nara_id, ME.public_key, off)["reason"]
