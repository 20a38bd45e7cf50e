"""The attacks of docs/security.md, tried as an attacker would: a raw MQTT client on a real
mosquitto against a nara running as a real process. Each test reproduces one finding and asserts
what the node does now (names, Sybils, fat peers, time, forged howdys, replays).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from nara.core import gojson, wire
from nara.core.names import valid_name
from nara.core.status import HostStats, NaraObservation
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import (
    Plaza,
    Stranger,
    dropped,
    make_identity,
    metric,
    now_ns,
    until,
)

STEADY = {"NARA_MISSING_AFTER": "300"}
Spawn = Callable[..., NaraProcess]
NS = 1_000_000_000
I64 = 2**63 - 1


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def names(nara: NaraProcess) -> dict[str, dict[str, Any]]:
    return {item["Name"]: item for item in nara.json("/api.json")["naras"]}


def strangers_with(name: str) -> Stranger:
    stranger = Stranger(make_identity("placeholder"))
    stranger.identity = replace(stranger.identity, name=name)
    return stranger


def test_hostile_names_never_become_naras_nor_log_lines(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("target", broker=mosquitto, env={**STEADY, "LOG_LEVEL": "debug"})
    bad = ["x" * 100_000, "evil\n12:00:00 INFO    nara: forged line", "<b>bold</b>", "a+b", "a b"]
    # A publish topic cannot hold a wildcard, and mosquitto disconnects a client whose topic
    # holds a control character, so only these reach us as newspaper topics.
    topic_safe = [n for n in bad if n.isprintable() and "+" not in n]
    for name in bad:
        plaza.publish("nara/plaza/hey_there", strangers_with(name).hey_there().to_json())
    for name in topic_safe:
        plaza.publish(f"nara/newspaper/{name[:200]}", Stranger.new().newspaper())
    honest = Stranger.new("honest")
    plaza.publish("nara/plaza/hey_there", honest.hey_there().to_json())
    until(lambda: honest.name in names(node), 10, "the honest nara to appear")
    expected = len(bad) + len(topic_safe)
    until(lambda: dropped(node.metrics(), "invalid_name") >= expected, 10, "drops counted")
    assert set(names(node)) == {"target", honest.name}
    assert all(valid_name(n) for n in names(node))
    lines = node.output().splitlines()
    assert not any(line.startswith("12:00:00 INFO    nara: forged") for line in lines)
    metrics = node.metrics()
    assert max(len(line) for line in metrics.splitlines()) < 1000


def test_a_burst_of_sybils_is_bounded_and_not_amplified(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("target", "-max-naras", "40", broker=mosquitto, env=STEADY)
    until(lambda: plaza.messages("nara/plaza/hey_there"), 10, "the node's first hey-there")
    count = 1000
    bodies = [Stranger.new("sybil").hey_there().to_json() for _ in range(count)]
    received = sum(len(b) for b in bodies)
    start = len(plaza.messages())
    for body in bodies:
        plaza.publish("nara/plaza/hey_there", body)

    def heard() -> float:
        value = metric(node.metrics(), "nara_messages_received_total", topic="nara/plaza/hey_there")
        return value or 0.0

    until(lambda: heard() >= count, 60, "every sybil's hey-there received")
    metrics = node.metrics()
    roster = len(names(node)) - 1
    assert roster <= 40
    evicted = metric(metrics, "nara_roster_evictions_total") or 0
    refused = dropped(metrics, "rate_limited")
    assert refused >= count / 2  # at most 5 new naras a second after a burst of 50
    assert refused + evicted + roster == count
    ours = [
        m
        for m in plaza.messages()[start:]
        if m.topic.startswith(("nara/plaza/howdy", "nara/newspaper/target"))
        and (m.topic != "nara/plaza/howdy" or m.json().get("From") == "target")
    ]
    published = sum(len(m.payload) for m in ours)
    assert published < received, (published, received)
    assert node.get("/livez")[0] == 200


def test_fat_newspapers_are_refused_and_responses_stay_small(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("target", broker=mosquitto, env=STEADY)
    fat = 250 * 1024
    for i in range(30):
        s = Stranger.new("fat")
        field = ("flair", "license_plate", "trend", "version", "public_url")[i % 5]
        plaza.publish(f"nara/newspaper/{s.name}", s.newspaper(**{field: "x" * fat}))
    until(
        lambda: (
            dropped(node.metrics(), "too_large") + dropped(node.metrics(), "oversized_field") >= 30
        ),
        20,
        "fat newspapers dropped",
    )
    assert set(names(node)) == {"target"}
    for path in ("/api.json", "/narae.json", "/metrics"):
        assert len(node.get(path)[1]) < 64 * 1024, path


def test_time_far_ahead_is_refused_and_a_fast_clock_still_leaves(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("target", broker=mosquitto, env=STEADY)
    forever = Stranger.new("forever")
    plaza.publish("nara/plaza/hey_there", forever.hey_there(ts=I64).to_json())
    decade = Stranger.new("decade")
    decade_ts = now_ns() + 10 * 365 * 86400 * NS
    plaza.publish("nara/plaza/hey_there", decade.hey_there(ts=decade_ts).to_json())
    until(lambda: dropped(node.metrics(), "clock_skew") >= 2, 10, "skewed hey-theres dropped")
    fast = Stranger.new("fast")
    plaza.publish("nara/plaza/hey_there", fast.hey_there(ts=now_ns() + 200 * NS).to_json())
    until(lambda: node.statuses().get(fast.name) == "ONLINE", 10, "the fast nara online")
    plaza.publish("nara/plaza/chau", fast.chau(ts=now_ns() + 210 * NS).to_json())
    until(lambda: node.statuses().get(fast.name) == "OFFLINE", 10, "the fast nara offline")
    assert forever.name not in names(node) and decade.name not in names(node)


def test_forged_howdys_change_neither_us_nor_a_peer(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("target", broker=mosquitto, env=STEADY)
    honest = Stranger.new("honest")
    plaza.publish("nara/plaza/hey_there", honest.hey_there().to_json())
    until(lambda: honest.name in names(node), 10, "the honest nara")
    before_me = names(node)["target"]
    before_peer = names(node)[honest.name]
    forged = NaraObservation(restarts=I64, start_time=2, last_seen=I64 // NS, last_restart=2)
    liars = [Stranger.new("liar") for _ in range(3)]
    for liar in liars:
        plaza.publish("nara/plaza/hey_there", liar.hey_there().to_json())
    until(lambda: all(liar.name in names(node) for liar in liars), 10, "the liars admitted")
    for liar in liars:
        claim = wire.HowdyNeighbor(honest.name, honest.key.public_b64, "", "", forged)
        me = liar.status(host_stats=HostStats(uptime=2**64 - 1))
        body = wire.encode_howdy(liar.key, liar.name, "target", 1, forged, (claim,), me)
        plaza.publish("nara/plaza/howdy", body)
    # A marker we can wait for: a howdy from someone unknown is refused and counted.
    nobody = Stranger.new("nobody")
    marker = wire.encode_howdy(nobody.key, nobody.name, "target", 1, forged, (), nobody.status())
    plaza.publish("nara/plaza/howdy", marker)
    until(lambda: dropped(node.metrics(), "unknown_sender") >= 1, 10, "the marker howdy")
    after_me = names(node)["target"]
    after_peer = names(node)[honest.name]
    for key in ("Restarts", "StartTime"):
        assert after_me[key] == before_me[key], key
    for key in ("Restarts", "LastRestart", "StartTime"):
        assert after_peer[key] == before_peer[key], key
    assert after_peer["LastSeen"] < now_ns() // NS + 5
    # What we say about ourselves afterwards: the howdy we send a newcomer carries our own view.
    newcomer = Stranger.new("newcomer")
    plaza.publish("nara/plaza/hey_there", newcomer.hey_there().to_json())
    reply = plaza.wait(
        "nara/plaza/howdy",
        lambda m: m.json().get("From") == "target" and m.json().get("To") == newcomer.name,
        10,
    )
    own = reply.json()["Me"]["Observations"]["target"]
    assert own.get("restarts", 0) == before_me["Restarts"]
    assert own.get("start_time") == before_me["StartTime"]
    ours = [
        m
        for m in plaza.messages()
        if m.topic == "nara/newspaper/target" or m.payload.startswith(b'{"From":"target"')
    ]
    assert not [m for m in ours if str(I64).encode() in m.payload or b"18446744073" in m.payload]


def test_replays_after_a_chau_do_not_bring_a_nara_back(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("target", broker=mosquitto, env=STEADY)
    leaver = Stranger.new("leaver")
    hey = leaver.hey_there().to_json()
    plaza.publish("nara/plaza/hey_there", hey)
    paper = leaver.newspaper(host_stats=HostStats(uptime=5000))
    plaza.publish(f"nara/newspaper/{leaver.name}", paper)
    until(lambda: node.statuses().get(leaver.name) == "ONLINE", 10, "the leaver online")
    plaza.publish("nara/plaza/chau", leaver.chau().to_json())
    until(lambda: node.statuses().get(leaver.name) == "OFFLINE", 10, "the leaver offline")
    older = leaver.newspaper(host_stats=HostStats(uptime=4000))
    plaza.publish("nara/plaza/hey_there", hey)
    plaza.publish(f"nara/newspaper/{leaver.name}", paper)
    plaza.publish(f"nara/newspaper/{leaver.name}", older)
    # Each is refused as a replay, or (a newspaper within 5 s of the last) rate-limited first.
    until(
        lambda: dropped(node.metrics(), "replay") + dropped(node.metrics(), "rate_limited") >= 3,
        10,
        "three replays refused",
    )
    assert node.statuses().get(leaver.name) == "OFFLINE"


def test_ledger_requests_from_hostile_names_get_no_answer(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("target", broker=mosquitto, env=STEADY)
    until(lambda: plaza.messages("nara/plaza/hey_there"), 10, "the node's first hey-there")
    bad = ["a+b", "#", "x" * 70_000, "a\x00b", "a\nb", "\x1b[31m", "a/b"]
    for name in bad:
        plaza.publish("nara/ledger/target/request", gojson.dumps({"From": name, "Subjects": []}))
    plaza.publish("nara/ledger/target/request", json.dumps({"From": "fine", "Subjects": []}))
    until(lambda: plaza.messages("nara/ledger/fine/response"), 10, "the good request answered")
    assert dropped(node.metrics(), "invalid_name") == len(bad)
    assert [m.topic for m in plaza.messages() if m.topic.endswith("/response")] == [
        "nara/ledger/fine/response"
    ]
    assert "Traceback" not in node.output()
