"""/api/inspector/event/{id} over real sockets: a stranger's signed hey_there published on a real
mosquitto is shown verified with its embedded key and the exact string it signed; an event we do
not hold is a JSON 404."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from nara.core.crypto import verify_b64
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, Stranger, until


def test_event_detail_verifies_a_plaza_hey_there(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker
) -> None:
    node = spawn_nara("keeper", broker=mosquitto)
    stranger = Stranger.new("peer")
    event = stranger.hey_there()
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        plaza.publish("nara/plaza/hey_there", event.to_json())
        until(
            lambda: any(e["id"] == event.id for e in node.json("/api/inspector/events")["events"]),
            15,
            "the hey_there in the ledger",
        )
    finally:
        plaza.close()
    d = node.json(f"/api/inspector/event/{event.id}")
    v = d["verification"]
    assert v["is_signed"] and v["signature_valid"] and v["public_key_known"]
    assert v["key_source"] == "embedded" and v["verification_error"] is None
    assert d["event"] == json.loads(event.to_json())
    content = v["signable_content"]
    assert content == f"{event.id}:{event.ts}:{event.svc}:{event.emitter}:{event.content_string()}"
    digest = hashlib.sha256(content.encode()).digest()
    assert v["signed_digest"] == digest.hex()
    assert verify_b64(stranger.identity.public_key, digest, d["event"]["sig"])
    assert d["metadata"]["total_events"] >= 1 and d["metadata"]["subjects"] == [stranger.name]

    status, body, _ = node.get("/api/inspector/event/" + "0" * 32)
    assert status == 404 and "error" in json.loads(body)


def test_projections_summary_in_the_reference_shape(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker
) -> None:
    node = spawn_nara("keeper", broker=mosquitto)
    stranger = Stranger.new("peer")
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        plaza.publish("nara/plaza/hey_there", stranger.hey_there().to_json())
        until(
            lambda: stranger.name in node.json("/api/inspector/projections")["online_status"],
            15,
            "the peer in the projections",
        )
    finally:
        plaza.close()
    d = node.json("/api/inspector/projections")
    assert set(d) == {"online_status", "clout", "opinions"} and d["clout"] == {}
    peer = d["online_status"][stranger.name]
    assert peer["status"] == "ONLINE" and peer["observer"] == "keeper"
    assert set(peer) == {"status", "last_event_time", "last_event_type", "observer", "total_uptime"}
    op = d["opinions"][stranger.name]
    assert set(op) == {
        "start_time",
        "restart_num",
        "last_restart",
        "observation_count",
        "consensus",
    }
    assert op["consensus"] in {"none", "weak", "moderate", "strong"}
    assert "keeper" in d["opinions"]
