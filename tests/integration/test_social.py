"""Teases and hearsay over a real mosquitto against a nara running as a real process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from nara.core import wire
from nara.core.events import make_social
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, Stranger, dropped, metric, now_ns, until

STEADY = {"NARA_MISSING_AFTER": "300"}
Spawn = Callable[..., NaraProcess]


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def _known(node: NaraProcess, name: str) -> bool:
    return any(item["Name"] == name for item in node.json("/api.json")["naras"])


def test_teases_are_verified_kept_answered_and_hearsay_is_marked(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("target", broker=mosquitto, env=STEADY)
    bob = Stranger.new("bob")
    plaza.publish("nara/plaza/hey_there", bob.hey_there().to_json())
    until(lambda: _known(node, bob.name), 10, "bob to be known")

    # A tease signed by bob, who is its actor: kept, verified.
    tease = make_social(bob.key, bob.name, "tease", bob.name, "target", "high-restarts", now_ns())
    plaza.publish("nara/plaza/social", tease.to_json())
    recent = until(
        lambda: [e for e in node.json("/social/recent")["events"] or [] if e["id"] == tease.id],
        10,
        "the tease in /social/recent",
    )
    assert recent[0]["verified"] is True and recent[0]["actor"] == bob.name
    assert recent[0]["message"]
    teases = node.json("/social/teases")
    assert teases["server"] == "target" and {"actor": bob.name, "count": 1} in teases["teases"]

    # A forgery under bob's name: dropped and counted.
    mallory = Stranger.new("mallory")
    before = dropped(node.metrics(), "bad_signature")
    forged = make_social(mallory.key, bob.name, "tease", bob.name, "target", "comeback", now_ns())
    plaza.publish("nara/plaza/social", forged.to_json())
    until(lambda: dropped(node.metrics(), "bad_signature") > before, 10, "forgery counted")

    # A stranger's claim: hearsay, marked, and no roster entry for anyone it names.
    claim = make_social(
        mallory.key, mallory.name, "tease", mallory.name, "dave", "comeback", now_ns()
    )
    plaza.publish("nara/plaza/social", claim.to_json())
    hearsay = until(
        lambda: node.json("/api/inspector/events?service=hearsay")["events"],
        10,
        "hearsay in the inspector",
    )
    assert hearsay[0]["verified"] is False and hearsay[0]["relayed_by"] == mallory.name
    assert not _known(node, mallory.name) and not _known(node, "dave")
    assert (metric(node.metrics(), "nara_hearsay_kept_total") or 0) >= 1
    inspector = node.json("/api/inspector/events?service=social")["events"]
    assert [e["verified"] for e in inspector if e["id"] == tease.id] == [True]

    # History: bob asks; the answer holds the verified tease in Go's legacy shape, no hearsay.
    plaza.publish(
        "nara/ledger/target/request", wire.encode_ledger_request(bob.name, [bob.name, "dave"])
    )
    answer = plaza.wait(f"nara/ledger/{bob.name}/response", what="a ledger response")
    body = json.loads(answer.payload)
    assert body["From"] == "target"
    assert [(e["ID"], e["Timestamp"], e["Signature"]) for e in body["Events"]] == [
        (tease.id, tease.ts, "")
    ]
