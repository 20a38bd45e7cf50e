"""/world/journeys over real sockets: journey_complete messages published on a real mosquitto by
a test client with real keys are kept and each hop verified with the keys the nara learned from
hey-theres; a tampered chain shows bad hops, a stranger's hop unknown-key, garbage is counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from nara.core import gojson
from nara.core.journeys import TOPIC_JOURNEY_COMPLETE
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, Stranger, until
from tests.unit.test_journeys import chain


def test_journeys_are_kept_and_verified(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker
) -> None:
    node = spawn_nara("keeper", broker=mosquitto)
    alice, bob, ghost = Stranger.new("alice"), Stranger.new("bob"), Stranger.new("ghost")
    keys = {s.name: s.key for s in (alice, bob, ghost)}
    good = chain(keys, [bob.name, alice.name], message="hello world", journey_id="good")
    signed = chain(keys, [bob.name, alice.name], message="x", journey_id="tampered")
    tampered = replace(signed, message="y")  # the message is signed by every hop
    unknown = chain(keys, [ghost.name, alice.name], message="boo", journey_id="unknown")
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        for s in (alice, bob):
            plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
        until(
            lambda: {alice.name, bob.name} <= {n["Name"] for n in node.json("/api.json")["naras"]},
            15,
            "alice and bob known",
        )
        for c in (good, tampered, unknown):
            plaza.publish(TOPIC_JOURNEY_COMPLETE, gojson.dumps(c.to_json()))
        plaza.publish(TOPIC_JOURNEY_COMPLETE, b'{"originator": 5}')
        plaza.publish(TOPIC_JOURNEY_COMPLETE, gojson.dumps(good.to_json()))  # a duplicate

        def journeys() -> dict[str, Any]:
            return {j["id"]: j for j in node.json("/world/journeys")["journeys"]}

        until(lambda: len(journeys()) == 3, 15, "three journeys kept")
        until(lambda: "duplicate" in node.get("/metrics")[1].decode(), 15, "the duplicate")
    finally:
        plaza.close()
    by = journeys()
    g = by[good.journey_id]
    assert g["verified"] and g["complete"] and g["message"] == "hello world"
    assert [h["verification"] for h in g["hops"]] == ["verified", "verified"]
    assert [h["nara"] for h in g["hops"]] == [bob.name, alice.name]
    assert g["rewards"] == {alice.name: 10.0, bob.name: 2.0}
    assert [h["verification"] for h in by["tampered"]["hops"]] == ["bad", "bad"]
    assert [h["verification"] for h in by["unknown"]["hops"]] == ["unknown-key", "verified"]
    metrics = node.get("/metrics")[1].decode()
    assert "invalid_schema" in metrics
