"""Teases beside the real reference Go nara: it takes our signed social SyncEvent from the plaza,
and it reads our answer to its boot-time ledger request (legacy SocialEvents)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nara.core.events import make_social
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
