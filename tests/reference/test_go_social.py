"""Teases beside the real reference Go nara: it takes our signed social SyncEvent from the plaza,
and it reads our answer to its boot-time ledger request (legacy SocialEvents)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nara.core import wire
from nara.core.events import make_social
from nara.core.identity import native_soul_custom
from nara.core.personality import Personality, personality
from nara.core.protocol import NS
from nara.core.status import NaraObservation
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, Stranger, now_ns, start_naras, until
from tests.reference.conftest import GoNara

Spawn = Callable[..., NaraProcess]
SpawnGo = Callable[..., GoNara]
OURS = {"NARA_MISSING_AFTER": "300", "LOG_LEVEL": "debug"}


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def recent_ids(node: Any) -> set[str]:
    """The ids behind /social/recent (Go's items carry none: match actor/target/reason)."""
    return {
        f"{e['actor']}>{e['target']}:{e['reason']}"
        for e in node.json("/social/recent")["events"] or []
    }


@pytest.mark.timeout(240)
def test_go_nara_takes_our_teases_live_and_from_our_ledger_answer(
    mosquitto: Broker, spawn_nara: Spawn, spawn_go: SpawnGo, plaza: Plaza
) -> None:
    (alice,) = start_naras(spawn_nara, ["alice"], broker=mosquitto, env=OURS)
    plaza.wait("nara/plaza/hey_there", lambda m: m.json()["hey_there"]["From"] == "alice")
    # bob (signing with nara's own constructors) teases alice before any Go nara is up.
    bob = Stranger.new("bob")
    plaza.publish("nara/plaza/hey_there", bob.hey_there().to_json())
    until(lambda: any(n["Name"] == bob.name for n in alice.json("/api.json")["naras"]), 10, "bob")
    early = make_social(bob.key, bob.name, "tease", bob.name, "alice", "high-restarts", now_ns())
    plaza.publish("nara/plaza/social", early.to_json())
    until(lambda: f"{bob.name}>alice:high-restarts" in recent_ids(alice), 10, "alice keeps it")

    # gopher never saw it live; its boot recovery asks alice, and alice's answer carries it.
    gopher = spawn_go("gopher", mosquitto)
    plaza.wait("nara/ledger/alice/request", timeout=90, what="gopher's boot ledger request")
    plaza.wait("nara/ledger/gopher/response", timeout=10, what="alice's answer")
    until(
        lambda: f"{bob.name}>alice:high-restarts" in recent_ids(gopher),
        20,
        "gopher to merge alice's answer",
        0.2,
    )

    # Live: carol, known to gopher, teases; gopher's socialHandler verifies it with carol's key.
    carol = Stranger.new("carol")
    plaza.publish("nara/plaza/hey_there", carol.hey_there().to_json())
    until(lambda: carol.name in gopher.statuses(), 20, "gopher to know carol", 0.2)
    live = make_social(carol.key, carol.name, "tease", carol.name, "alice", "comeback", now_ns())
    plaza.publish("nara/plaza/social", live.to_json())
    until(lambda: f"{carol.name}>alice:comeback" in recent_ids(gopher), 20, "live tease", 0.2)
    # A forgery under carol's name is refused by the reference.
    forged = make_social(
        bob.key, carol.name, "tease", carol.name, "alice", "high-restarts", now_ns()
    )
    plaza.publish("nara/plaza/social", forged.to_json())
    until(lambda: gopher.log_lines("Invalid signature on social event"), 20, "gopher refuses")


# ---- a Go nara's own teases and trends, seen by ours ------------------------------------------

# A soul for "gopher" whose personality (seedPersonality, social_trend.go:17-33) is
# agreeableness=96, sociability=4, chill=90: it joins a trend it sees with chance 96/150 every
# 30 s (:57-96, 148-170), never starts one of its own (sociability/10 rounds to 0, :98-146; the
# contrarian boost is (100-96)*50/100/2 < 1), leaves one with chance 10/500 a step (:172-200),
# and still keeps high-restarts teases (sync_helpers.go:37-43).
TRENDY_SEED = hashlib.sha256(b"nara-go-trend-2488").digest()
TREND, TREND_EMOJI = "disco-style", "🪩"


@pytest.mark.timeout(600)
def test_a_go_nara_teases_and_trends_and_ours_sees_both(
    mosquitto: Broker, spawn_nara: Spawn, spawn_go: SpawnGo, plaza: Plaza
) -> None:
    """The reference never publishes its own teases on the plaza: Tease() keeps them in its
    ledger and DMs them over the mesh (social_network.go:61-96, gossip_dm.go:16-35), which a
    loopback Go nara runs without. Our nara gets them the way the reference shares history: it
    asks at boot (nara/ledger/gopher/request) and the answer carries them, unsigned
    (sync_event.go:996-1010), so ours keeps them as hearsay relayed by the Go nara.

    What makes it tease: a howdy to it whose Neighbors entry says bob restarted 10 times in two
    days; it merges that (presence_howdy.go:110-126, network.go:749-766), and bob's next newspaper
    after its 120 s boot (nara.go:222, observations.go:482-485) trips ShouldTeaseForRestarts
    (social.go:122-145: 5 a day is over every personality's threshold). What makes it trend:
    three naras whose signed newspapers carry a trend."""
    soul = native_soul_custom(TRENDY_SEED, "gopher")
    assert personality(soul) == Personality(agreeableness=96, sociability=4, chill=90)
    gopher = spawn_go("gopher", mosquitto, env_soul=soul.text)
    assert gopher.log_lines("agreeableness=96, sociability=4, chill=90"), "same personality"
    trendy = [Stranger.new(f"disco{i}") for i in range(3)]
    bob = Stranger.new("bob")
    for s in [*trendy, bob]:
        plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
    until(
        lambda: all(gopher.statuses().get(s.name) == "ONLINE" for s in [*trendy, bob]),
        30,
        "gopher to see the four strangers ONLINE",
        0.5,
    )
    now_s = now_ns() // NS
    rumour = NaraObservation(restarts=10, start_time=now_s - 2 * 86400, online="ONLINE")
    claim = wire.HowdyNeighbor(bob.name, bob.key.public_b64, "", bob.identity.nara_id, rumour)
    teller = trendy[0]
    howdy = wire.encode_howdy(
        teller.key, teller.name, gopher.name, 1, NaraObservation(), (claim,), teller.status()
    )
    plaza.publish("nara/plaza/howdy", howdy)

    def gopher_trend() -> str:
        for s in trendy:  # keep them ONLINE and trending for its 30 s trend steps
            plaza.publish(
                "nara/newspaper/" + s.name, s.newspaper(trend=TREND, trend_emoji=TREND_EMOJI)
            )
        return str(gopher.own().get("Trend") or "")

    until(lambda: gopher_trend() == TREND, 300, "gopher to follow the trend", 5.0)
    own = gopher.own()
    assert own["TrendEmoji"] == TREND_EMOJI, own

    def teased() -> bool:
        plaza.publish("nara/newspaper/" + bob.name, bob.newspaper())
        return bool(gopher.log_lines(f"teasing {bob.name}"))

    # Its boot is 120 s (nara.go:222) from its start; the tease waits 0-5 s of jitter.
    until(teased, 180, "gopher to tease bob for his restarts", 5.0)
    assert any(
        e["actor"] == gopher.name and e["target"] == bob.name and e["reason"] == "high-restarts"
        for e in gopher.json("/social/recent")["events"] or []
    )

    # The strangers fall silent, so gopher is the one neighbour our nara asks at boot.
    (alice,) = start_naras(spawn_nara, ["alice"], broker=mosquitto, env=OURS)
    plaza.wait("nara/ledger/gopher/request", timeout=90, what="alice asking gopher for history")
    plaza.wait("nara/ledger/alice/response", timeout=10, what="gopher's answer")

    def heard() -> dict[str, Any] | None:
        for e in alice.json("/social/recent")["events"] or []:
            if e["actor"] == gopher.name and e["target"] == bob.name:
                return e  # type: ignore[no-any-return]
        return None

    item = until(heard, 20, "alice to keep gopher's tease", 0.2)
    assert item["reason"] == "high-restarts" and item["type"] == "tease", item
    assert item["verified"] is False and item["relayed_by"] == gopher.name, item

    def trend_at_alice() -> dict[str, Any] | None:
        seen = {n["Name"]: n for n in alice.json("/api.json")["naras"]}.get(gopher.name)
        return seen if seen and seen.get("Trend") else None

    seen = until(trend_at_alice, 90, "alice to read gopher's trend in its newspaper", 0.5)
    assert (seen["Trend"], seen["TrendEmoji"]) == (TREND, TREND_EMOJI), seen
