"""Checkpoint finals over a real broker: a nara verifies every attestation of a final on
``nara/checkpoint/final`` against the keys it knows, stores a good one as the subject's baseline
(visible in /api/inspector/*), and drops forged or short-signed ones, counted by reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from nara.core.checkpoints import TOPIC_FINAL, final_attestation
from nara.core.events import SVC_CHECKPOINT, new_event
from nara.core.payloads import Checkpoint
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, Stranger, now_ns, parse_metrics, until

Spawn = Callable[..., NaraProcess]
NS = 1_000_000_000


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def dropped(metrics: str, reason: str) -> float:
    for name, labels, value in parse_metrics(metrics):
        if name == "nara_messages_dropped_total" and labels.get("reason") == reason:
            return value
    return 0.0


def signed_final(subject: Stranger, voters: list[Stranger], **changes: object) -> bytes:
    now = now_ns()
    cp = Checkpoint(
        version=2,
        subject=subject.name,
        subject_id=subject.identity.nara_id,
        previous_checkpoint_id="",
        restarts=7,
        total_uptime=123_456,
        start_time=1_690_000_000,
        as_of_time=now // NS - 60,
        round=1,
    )
    cp = replace(cp, **changes)  # type: ignore[arg-type]
    sigs = tuple(
        v.key.sign_b64(final_attestation(cp, v.identity.nara_id).signable()) for v in voters
    )
    signed = replace(cp, voter_ids=tuple(v.identity.nara_id for v in voters), signatures=sigs)
    return new_event(SVC_CHECKPOINT, signed, now).to_json()


def test_a_final_is_verified_stored_and_forgeries_are_dropped(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    node = spawn_nara("keeper", broker=mosquitto)
    naras = [Stranger.new("voter") for _ in range(6)]
    for s in naras:
        plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
    known = lambda: {n["Name"] for n in node.json("/api.json")["naras"]}  # noqa: E731
    until(lambda: {s.name for s in naras} <= known(), 15, "the voters to be known")
    subject, voters = naras[0], naras[1:]

    forged = bytearray(signed_final(subject, voters))
    forged = forged.replace(b'"restarts":7', b'"restarts":0')  # values changed after signing
    plaza.publish(TOPIC_FINAL, bytes(forged))
    plaza.publish(TOPIC_FINAL, signed_final(subject, voters[:4]))
    until(lambda: dropped(node.metrics(), "checkpoint_short") >= 1, 10, "short final counted")
    # The forged one has a stale id too: whichever check sees it first, it is dropped.
    until(
        lambda: (
            dropped(node.metrics(), "checkpoint_unverified")
            + dropped(node.metrics(), "invalid_event")
            >= 1
        ),
        10,
        "forged final counted",
    )
    assert node.get(f"/api/inspector/checkpoint/{subject.name}")[0] == 404

    plaza.publish(TOPIC_FINAL, signed_final(subject, voters))
    until(lambda: node.get(f"/api/inspector/checkpoint/{subject.name}")[0] == 200, 10, "stored")
    detail = node.json(f"/api/inspector/checkpoint/{subject.name}")
    assert detail["summary"]["verified_voters"] == 5
    assert {v["voter_name"] for v in detail["voters"]} == {v.name for v in voters}
    listing = node.json("/api/inspector/checkpoints")["checkpoints"]
    assert [c["subject"] for c in listing] == [subject.name]
    uptime = node.json(f"/api/inspector/uptime/{subject.name}")
    assert uptime["baseline_source"] == "checkpoint"
    assert uptime["restarts"] == 7 and uptime["start_time"] == 1_690_000_000
    assert uptime["total_uptime"] >= 123_456


def test_seven_naras_as_processes_reach_a_final_that_every_one_stores(
    mosquitto: Broker, spawn_nara: Spawn
) -> None:
    """Seven real naras on one broker (a proposal needs 6 others ONLINE and a final 5 valid
    signatures, as in the reference), with the checkpoint timers compressed: one of them proposes,
    the others vote, and every one verifies and stores the same final."""
    fast = [
        "-checkpoint-interval",
        "60",
        "-checkpoint-check",
        "2",
        "-checkpoint-vote-window",
        "8",
        "-checkpoint-vote-after",
        "1",
    ]
    names = [f"cp-{i}" for i in range(7)]
    steady = {"NARA_MISSING_AFTER": "300"}
    naras = [spawn_nara(name, *fast, broker=mosquitto, env=steady) for name in names]

    def everyone_online() -> bool:
        for nara in naras:
            seen = nara.statuses()
            if any(seen.get(n) != "ONLINE" for n in names if n != nara.name):
                return False
        return True

    until(everyone_online, 60, "all seven naras ONLINE at each other")

    def finals(nara: NaraProcess) -> dict[str, tuple[int, int, int, int]]:
        listing = nara.json("/api/inspector/checkpoints")["checkpoints"]
        return {
            c["subject"]: (c["as_of_time"], c["round"], c["restarts"], c["start_time"])
            for c in listing
        }

    def a_final_everywhere() -> set[str]:
        common = set(finals(naras[0]))
        for nara in naras[1:]:
            common &= set(finals(nara))
        return common

    subjects = until(a_final_everywhere, 90, "a final stored by all seven", interval=0.5)
    subject = sorted(subjects)[0]
    ids = {finals(nara)[subject] for nara in naras}
    assert len(ids) == 1, ids  # the same final everywhere
    detail = naras[1].json(f"/api/inspector/checkpoint/{subject}")
    assert detail["summary"]["verified_voters"] >= 5
    for nara in naras:
        metrics = nara.metrics()
        for reason in ("checkpoint_short", "checkpoint_unverified", "unknown_subject"):
            assert dropped(metrics, reason) == 0, (nara.name, reason)
