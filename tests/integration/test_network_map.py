"""/network/map over real sockets: strangers' signed newspapers on a real mosquitto carry
Vivaldi coordinates and barrio plates; plausible ones place the nara, absurd ones do not, and
this nara itself is unplaced (it runs no mesh pings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nara.core.status import Coordinates
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, Stranger, until


def test_map_places_naras_from_their_newspapers(
    spawn_nara: Callable[..., NaraProcess], mosquitto: Broker
) -> None:
    node = spawn_nara("keeper", broker=mosquitto)
    near, wild, bare = Stranger.new("near"), Stranger.new("wild"), Stranger.new("bare")
    plaza = Plaza(mosquitto.host, mosquitto.port)
    try:
        for s, coords in (
            (near, Coordinates(12.5, -40.0, 0.5, 0.2)),
            (wild, Coordinates(1e300, 0.0, 0.0, 0.1)),
            (bare, None),
        ):
            plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
            plaza.publish(
                f"nara/newspaper/{s.name}",
                s.newspaper(coordinates=coords, license_plate="🌵"),
            )

        def nodes() -> dict[str, Any]:
            return {n["name"]: n for n in node.json("/network/map")["nodes"]}

        until(
            lambda: all(nodes().get(s.name, {}).get("barrio") == "🌵" for s in (near, wild, bare)),
            15,
            "three newspapers on the map",
        )
    finally:
        plaza.close()
    doc = node.json("/network/map")
    assert doc["server"] == "keeper" and doc["placed"] == 1
    by = {n["name"]: n for n in doc["nodes"]}
    assert by[near.name]["placed"] and by[near.name]["online"] and not by[near.name]["is_self"]
    assert by[near.name]["coordinates"] == {"x": 12.5, "y": -40.0, "height": 0.5, "error": 0.2}
    assert not by[wild.name]["placed"] and by[wild.name]["coordinates"] is None
    assert by[wild.name]["unplaced_reason"] == "implausible coordinates"
    assert by[bare.name]["unplaced_reason"] == "no coordinates in its newspaper"
    me = by["keeper"]
    assert me["is_self"] and not me["placed"] and "no mesh pings" in me["unplaced_reason"]
