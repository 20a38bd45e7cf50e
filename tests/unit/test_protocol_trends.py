"""Trends and barrios driven through the Node (no broker): a trend a neighbour's signed
newspaper carries is joined at the 30 s step and rides in our own newspaper and flair."""

from __future__ import annotations

import json
import random

from nara.core import barrio, trends
from nara.core.protocol import TOPIC_NEWSPAPER_PREFIX, Node, NodeSettings, Note
from nara.core.selfstatus import Sensors
from tests.unit.test_protocol import NS, T0, connect_and_announce, deliver, ident, publishes


class Eager(random.Random):
    """Every dice roll comes up 0: whatever may happen, does."""

    def randrange(self, stop: int) -> int:  # type: ignore[override]
        return 0


def newspaper_status(commands: list[object], name: str) -> dict[str, object]:
    papers = publishes(commands, TOPIC_NEWSPAPER_PREFIX + name)  # type: ignore[arg-type]
    assert papers, f"no newspaper from {name}"
    doc = json.loads(papers[-1].payload)
    status: dict[str, object] = doc["Status"]
    return status


def test_a_neighbours_trend_is_joined_and_published() -> None:
    alice = Node(ident("alice"), NodeSettings(missing_after_s=300), random.Random(1), T0)
    bob = Node(ident("bob"), NodeSettings(missing_after_s=300), Eager(2), T0)
    alice.me.trend, alice.me.trend_emoji = "alice-style", "🔥"
    out_alice = connect_and_announce(alice, T0)
    connect_and_announce(bob, T0)
    deliver(out_alice, bob, T0 + 6 * NS)  # alice's hey-there and signed newspaper
    assert bob.neighbourhood.get("alice").status.trend == "alice-style"  # type: ignore[union-attr]

    got = bob.tick(T0 + (trends.INTERVAL_S + 1) * NS, Sensors())
    assert any(isinstance(c, Note) and "alice-style" in c.message for c in got)
    assert (bob.me.trend, bob.me.trend_emoji) == ("alice-style", "🔥")
    status = bob.me.status(
        T0 + 40 * NS,
        observations=None,
        ledger_total=0,
        ledger_by_service={},
        memory_mode="short",
        ledger_capacity=1000,
    )
    assert (status.trend, status.trend_emoji) == ("alice-style", "🔥")
    assert "🔥" in status.flair
    # Our plate: the barrio of our own coordinates' grid cell (never empty).
    c = bob.me.coordinates
    year, month = barrio.year_month(T0 + 40 * NS)
    assert status.license_plate == barrio.plate("bob", (c.x, c.y), year, month)[1]


def test_the_newspaper_carries_trend_and_plate() -> None:
    alice = Node(ident("alice"), NodeSettings(missing_after_s=300), Eager(1), T0)
    out = connect_and_announce(alice, T0)
    first = newspaper_status(out, "alice")
    assert first["Trend"] == "" and first["LicensePlate"] in barrio.BARRIO_EMOJI
    # Alone and eager: at the 30 s step alice starts her own trend.
    alice.tick(T0 + (trends.INTERVAL_S + 1) * NS, Sensors())
    assert alice.me.trend == "alice-style"
    assert alice.me.trend_emoji == trends.TREND_EMOJIS[0]
    # The next newspaper (every 30 s while booting: chattiness 100) carries it.
    later: list[object] = []
    for second in range(trends.INTERVAL_S + 2, 100):
        later += alice.tick(T0 + second * NS, Sensors())
    status = newspaper_status(later, "alice")
    assert (status["Trend"], status["TrendEmoji"]) == ("alice-style", trends.TREND_EMOJIS[0])
