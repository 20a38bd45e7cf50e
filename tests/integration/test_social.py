"""Teases and hearsay over a real mosquitto against a nara running as a real process."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator

import pytest

from nara.core import wire
from nara.core.events import make_social
from nara.core.identity import native_soul_custom
from nara.core.personality import personality
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
    # Clout: our opinion of bob moves (either way: whether the tease resonates is ours), in
    # /social/clout and in bob's /narae.json card; the stranger below never gets any.
    clout = until(lambda: node.json("/social/clout")["clout"], 30, "bob's clout")
    assert set(clout) == {bob.name} and clout[bob.name] != 0
    until(
        lambda: any(
            i["Name"] == bob.name and i["Clout"] == clout[bob.name]
            for i in node.json("/narae.json")["naras"]
        ),
        10,
        "bob's clout on his card",
    )

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
    assert set(node.json("/social/clout")["clout"]) == {bob.name}
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


def sociable_soul(name: str) -> str:
    """A soul for ``name`` whose personality teases comebacks (sociability > 40, social.go:147)."""
    for i in range(200):
        soul = native_soul_custom(hashlib.sha256(b"fp%d" % i).digest(), name)
        if personality(soul).sociability > 40:
            return soul.text
    raise AssertionError("no sociable soul")


@pytest.mark.timeout(300)
def test_a_python_nara_teases_a_comeback_and_another_keeps_it_verified(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """alice (MISSING after 4 s) sees carol go quiet and come back, teases her on the plaza,
    signed, once past her 120 s boot (nara.go:222); bob, who met alice, keeps the tease in his
    ledger as verified."""
    alice = spawn_nara("alice", broker=mosquitto, env={"NARA_SOUL": sociable_soul("alice")})
    bob = spawn_nara("bob", broker=mosquitto, env=STEADY)
    until(lambda: _known(bob, "alice"), 20, "bob to know alice")
    carol = Stranger.new("carol")
    plaza.publish("nara/plaza/hey_there", carol.hey_there().to_json())

    def teased() -> bool:
        for m in plaza.messages("nara/plaza/social"):
            s = m.json()["social"]
            if s["actor"] == "alice" and s["target"] == carol.name:
                return True
        statuses = {n["Name"]: n["Online"] for n in alice.json("/narae.json")["naras"]}
        if statuses.get(carol.name) == "MISSING":  # come back: a comeback once alice is past boot
            plaza.publish("nara/plaza/hey_there", carol.hey_there().to_json())
        return False

    until(teased, 200, "alice to tease carol's comeback", interval=0.5)
    kept = until(
        lambda: [
            e
            for e in bob.json("/social/recent")["events"] or []
            if e["actor"] == "alice" and e["target"] == carol.name
        ],
        10,
        "bob to keep alice's tease",
    )
    # A random jab (about 1 %) may come first and start the five-minute cooldown.
    assert kept[0]["verified"] is True and kept[0]["reason"] in ("comeback", "random")
