"""The presence core driven step by step: no event loop, no broker, no clock mocking.

Two Nodes exchange the bytes their commands publish, as a broker would, so these tests pin the
protocol's behaviour (announce, howdy, newspaper, MISSING, chau, restarts) deterministically.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from nara.core import wire
from nara.core.events import SVC_HEY_THERE, make_chau, make_hey_there
from nara.core.identity import Identity, determine_identity
from nara.core.protocol import (
    TOPIC_CHAU,
    TOPIC_HEY_THERE,
    TOPIC_HOWDY,
    Appended,
    Command,
    Dropped,
    Node,
    NodeSettings,
    Publish,
    StatusChanged,
    subscriptions,
)
from nara.core.selfstatus import Sensors

NS = 1_000_000_000
T0 = 1_700_000_000 * NS


def ident(name: str) -> Identity:
    fingerprint = hashlib.sha256(f"test-hardware-{name}".encode()).digest()
    return determine_identity(name, "", "host", fingerprint)


def node(name: str, seed: int = 1, **settings: object) -> Node:
    return Node(ident(name), NodeSettings(missing_after_s=300, **settings), random.Random(seed), T0)  # type: ignore[arg-type]


def publishes(commands: list[Command], topic: str | None = None) -> list[Publish]:
    return [c for c in commands if isinstance(c, Publish) and (topic is None or c.topic == topic)]


def deliver(commands: list[Command], to: Node, now: int) -> list[Command]:
    out: list[Command] = []
    for p in publishes(commands):
        out += to.on_message(p.topic, p.payload, now)
    return out


def connect_and_announce(n: Node, now: int) -> list[Command]:
    """Connect, then tick past the 0-5 s jitter: the first hey-there and newspaper go out."""
    n.on_connected(now)
    return n.tick(now + 6 * NS, Sensors())


def test_subscriptions_cover_the_must_topics() -> None:
    """Spec §8 Must 3: hey_there, chau, howdy, newspaper/#, our ledger request topic, and the
    three checkpoint topics (§2.3)."""
    assert subscriptions("jojo") == [
        "nara/plaza/hey_there",
        "nara/plaza/chau",
        "nara/plaza/howdy",
        "nara/newspaper/#",
        "nara/plaza/social",
        "nara/ledger/jojo/request",
        "nara/ledger/jojo/response",
        "nara/checkpoint/propose",
        "nara/checkpoint/vote",
        "nara/checkpoint/final",
        "nara/plaza/journey_complete",
    ]


def test_connect_announces_hey_there_then_newspaper_after_jitter() -> None:
    """Nothing is sent before the jitter elapses; then a signed hey-there and a newspaper."""
    a = node("alice")
    a.on_connected(T0)
    assert publishes(a.tick(T0, Sensors())) == []
    out = a.tick(T0 + 6 * NS, Sensors())
    topics = [p.topic for p in publishes(out)]
    assert topics == [TOPIC_HEY_THERE, "nara/newspaper/alice"]
    event = wire.decode_sync_event(publishes(out)[0].payload, SVC_HEY_THERE)
    assert not isinstance(event, wire.Dropped)
    assert event.emitter == "alice" and event.verify(a.identity.public_key)


def test_two_nodes_meet_and_see_each_other_online() -> None:
    """Hey-there from a stranger creates it ONLINE, logs first-seen, and arms a howdy reply."""
    a, b = node("alice"), node("bob", seed=2)
    connect_and_announce(a, T0)
    out_b = connect_and_announce(b, T0)
    got = deliver(out_b, a, T0 + 6 * NS)
    assert any(
        isinstance(c, StatusChanged) and c.name == "bob" and c.online == "ONLINE" for c in got
    )
    assert a.neighbourhood.get("bob") is not None
    assert a.neighbourhood.get("bob").online == "ONLINE"  # type: ignore[union-attr]
    # The howdy coordinator fires within 3 s and answers bob with Seq 1.
    replies = publishes(a.tick(T0 + 10 * NS, Sensors()), TOPIC_HOWDY)
    assert len(replies) == 1
    howdy = wire.decode_howdy(replies[0].payload)
    assert not isinstance(howdy, wire.Dropped)
    assert (howdy.from_, howdy.to, howdy.seq) == ("alice", "bob", 1)


def test_newspapers_keep_a_quiet_peer_online_past_the_threshold() -> None:
    """Spec §4.2: newspapers alone must not let a peer flap to MISSING (local seen events)."""
    a, b = node("alice"), node("bob", seed=2)
    connect_and_announce(a, T0)
    deliver(connect_and_announce(b, T0), a, T0 + 6 * NS)
    for minute in range(1, 12):
        now = T0 + minute * 60 * NS
        deliver(b._newspaper(now), a, now)
        a.tick(now, Sensors())
        assert a.neighbourhood.get("bob").online == "ONLINE"  # type: ignore[union-attr]


def test_silence_turns_missing_then_hey_there_counts_a_restart() -> None:
    """ONLINE → MISSING after the threshold (a status-change event); a hey-there is a restart."""
    a, b = node("alice"), node("bob", seed=2)
    connect_and_announce(a, T0)
    deliver(connect_and_announce(b, T0), a, T0 + 6 * NS)
    later = T0 + 400 * NS
    out = a.tick(later, Sensors())
    assert any(isinstance(c, StatusChanged) and c.online == "MISSING" for c in out)
    assert any(isinstance(c, Appended) and c.entry.event.svc == "observation" for c in out), (
        "the MISSING verdict is recorded in the ledger"
    )
    hello = make_hey_there(b.key, "bob", b.identity.nara_id, later + NS)
    a.on_message(TOPIC_HEY_THERE, hello.to_json(), later + NS)
    bob = a.neighbourhood.get("bob")
    assert bob is not None and bob.online == "ONLINE" and bob.restarts == 1


def test_chau_makes_offline_and_shutdown_publishes_signed_chau() -> None:
    a, b = node("alice"), node("bob", seed=2)
    connect_and_announce(a, T0)
    deliver(connect_and_announce(b, T0), a, T0 + 6 * NS)
    bye = b.shutdown(T0 + 20 * NS)
    chau = publishes(bye, TOPIC_CHAU)
    assert len(chau) == 1 and chau[0].qos == 1
    deliver(bye, a, T0 + 20 * NS)
    a.tick(T0 + 21 * NS, Sensors())
    assert a.neighbourhood.get("bob").online == "OFFLINE"  # type: ignore[union-attr]


def test_forged_hey_there_creates_nobody() -> None:
    """A hey-there signed by one key but claiming another's PublicKey is dropped, not imported."""
    a, mallory, victim = node("alice"), node("mallory", seed=3), node("victim", seed=4)
    forged = make_hey_there(mallory.key, "victim", victim.identity.nara_id, T0)
    raw = forged.to_json().replace(
        mallory.identity.public_key.encode(), victim.identity.public_key.encode()
    )
    out = a.on_message(TOPIC_HEY_THERE, raw, T0)
    assert [c.reason for c in out if isinstance(c, Dropped)] == ["bad_signature"]
    assert a.neighbourhood.get("victim") is None


@pytest.mark.parametrize(
    "topic",
    [
        "nara/plaza/hey_there",
        "nara/plaza/chau",
        "nara/plaza/howdy",
        "nara/newspaper/x",
        "nara/ledger/alice/request",
    ],
)
@pytest.mark.parametrize(
    "payload", [b"", b"\xff\xfe", b"[]", b"{}", b"null", b'{"ts":1.5}', b"x" * 300_000]
)
def test_garbage_is_dropped_with_a_reason(topic: str, payload: bytes) -> None:
    a = node("alice")
    out = a.on_message(topic, payload, T0)
    assert all(isinstance(c, Dropped) for c in out) and len(out) == 1
    assert len(a.neighbourhood) == 0


def test_own_echo_is_ignored() -> None:
    a = node("alice")
    out = connect_and_announce(a, T0)
    assert deliver(out, a, T0 + 6 * NS) == []


def test_ledger_request_gets_an_empty_response_on_the_requesters_topic() -> None:
    a = node("alice")
    out = a.on_message("nara/ledger/alice/request", b'{"From":"bob","Subjects":["x"]}', T0)
    assert [(p.topic, p.payload) for p in publishes(out)] == [
        ("nara/ledger/bob/response", b'{"From":"alice","Events":[]}')
    ]


def test_hey_there_is_rate_limited_and_repeated_within_the_missing_window() -> None:
    """§4.2 mitigation: a fresh hey-there every 120-240 s, never twice within 5 s."""
    a = node("alice")
    connect_and_announce(a, T0)
    times = []
    now = T0 + 6 * NS
    for second in range(1, 1000):
        now = T0 + (6 + second) * NS
        if publishes(a.tick(now, Sensors()), TOPIC_HEY_THERE):
            times.append(now)
    gaps = [(b - a_) / NS for a_, b in zip([T0 + 6 * NS, *times], times, strict=False)]
    assert gaps and all(120 <= g <= 241 for g in gaps)


def test_an_online_naras_name_cannot_be_taken_over_with_another_key() -> None:
    """Stricter than §3.7: a self-signed hey-there or chau under an ONLINE nara's name but with
    another key is an impostor's (key_mismatch); after it went OFFLINE a new key is accepted."""
    a, b, mallory = node("alice"), node("bob", seed=2), node("mallory", seed=3)
    connect_and_announce(a, T0)
    deliver(connect_and_announce(b, T0), a, T0 + 6 * NS)
    fake_hey = make_hey_there(mallory.key, "bob", "x", T0 + 7 * NS)
    out = a.on_message(TOPIC_HEY_THERE, fake_hey.to_json(), T0 + 7 * NS)
    assert [c.reason for c in out if isinstance(c, Dropped)] == ["key_mismatch"]
    fake_chau = make_chau(mallory.key, "bob", "x", T0 + 8 * NS)
    out = a.on_message(TOPIC_CHAU, fake_chau.to_json(), T0 + 8 * NS)
    assert [c.reason for c in out if isinstance(c, Dropped)] == ["key_mismatch"]
    assert a.neighbourhood.get("bob").online == "ONLINE"  # type: ignore[union-attr]
    assert a.neighbourhood.get("bob").public_key == b.identity.public_key  # type: ignore[union-attr]
    # bob leaves for real, then comes back with a new soul: accepted, with a warning.
    deliver(b.shutdown(T0 + 9 * NS), a, T0 + 9 * NS)
    reborn = make_hey_there(mallory.key, "bob", "x", T0 + 11 * NS)
    out = a.on_message(TOPIC_HEY_THERE, reborn.to_json(), T0 + 11 * NS)
    assert not [c for c in out if isinstance(c, Dropped)]
    assert a.neighbourhood.get("bob").public_key == mallory.identity.public_key  # type: ignore[union-attr]


def test_missing_threshold_has_a_grace_for_quiet_go_naras() -> None:
    """A Go nara at chattiness 0 posts every 300 s: 310 s of silence is not yet MISSING."""
    a, b = node("alice"), node("bob", seed=2)
    connect_and_announce(a, T0)
    deliver(connect_and_announce(b, T0), a, T0 + 6 * NS)
    a.tick(T0 + 316 * NS, Sensors())
    assert a.neighbourhood.get("bob").online == "ONLINE"  # type: ignore[union-attr]
    a.tick(T0 + 337 * NS, Sensors())
    assert a.neighbourhood.get("bob").online == "MISSING"  # type: ignore[union-attr]


def test_quick_reconnect_never_sends_two_hey_theres_within_5_s() -> None:
    """A reconnect right after an announcement waits out the 5 s minimum gap, then announces."""
    a = node("alice")
    a.on_connected(T0)
    first = T0 + 6 * NS
    assert publishes(a.tick(first, Sensors()), TOPIC_HEY_THERE)
    a.on_disconnected(first + NS)
    a.on_connected(first + NS)
    sent = []
    for tenth in range(1, 120):
        now = first + NS + tenth * NS // 10
        if publishes(a.tick(now, Sensors()), TOPIC_HEY_THERE):
            sent.append(now)
    assert sent and sent[0] - first >= 5 * NS
