"""Barrios (nara/core/barrio.py): the vibe and grid-cell hashes match the reference's Go
(values produced by the reference's calculateVibe / gridCellToClusterIndex, barrios.go)."""

from __future__ import annotations

import math

import pytest

from nara.core import barrio

NS = 1_000_000_000


@pytest.mark.parametrize(
    ("name", "year", "month", "vibe", "cluster"),
    [
        ("jojo", 2026, 12, 15526341803127540370, 2),
        ("jojo", 2027, 1, 7605688337384514128, 0),
        ("alice", 2026, 12, 6459673875887580547, 3),
        ("alice", 2027, 1, 16912805253715383839, 15),
        ("bob", 2026, 12, 16618628479889088254, 14),
        ("nara-ü", 2026, 12, 1987589239971936369, 1),
        ("nara-ü", 2027, 1, 14064567023200785414, 6),
    ],
)
def test_vibe_matches_go(name: str, year: int, month: int, vibe: int, cluster: int) -> None:
    assert barrio.vibe(name, year, month) == vibe
    assert barrio.vibe_cluster(name, year, month) == cluster


@pytest.mark.parametrize(
    ("x", "y", "cluster"),
    [(0.0004, -0.0002, 10), (120.5, -75.2, 12), (-0.0001, -50.0, 9), (999.9, 1e6, 15)],
)
def test_grid_cluster_matches_go(x: float, y: float, cluster: int) -> None:
    assert barrio.grid_cluster(x, y) == cluster


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 1e300])
def test_unusable_coordinates_fall_back_to_the_vibe(bad: float) -> None:
    assert barrio.grid_cluster(bad, 0.0) is None
    assert barrio.cluster("jojo", (bad, 1.0), 2026, 12) == (2, "vibe")


def test_plate_and_month() -> None:
    assert barrio.year_month(1_796_256_000 * NS) == (2026, 12)  # 2026-12-03 UTC
    name, emoji = barrio.plate("jojo", None, 2026, 12)
    assert (name, emoji) == ("ocean", "🌊")
    assert barrio.plate("jojo", (0.0004, -0.0002), 2026, 12) == ("ufo", "🛸")
    assert len(barrio.CLUSTER_NAMES) == len(barrio.BARRIO_EMOJI) == 16


def test_same_barrio_by_grid_when_both_are_placed_else_by_vibe() -> None:
    # (0.0004, -0.0002) and (120.5, -75.2) fall in different cells (clusters 10 and 12)
    assert not barrio.same_barrio("a", (0.0004, -0.0002), "b", (120.5, -75.2), 2026, 12)
    assert barrio.same_barrio("a", (0.0004, -0.0002), "b", (0.0009, -0.0001), 2026, 12)
    # unplaced: the vibes decide (jojo 2, alice 3, bob 14 in 2026-12)
    assert not barrio.same_barrio("jojo", None, "alice", (1.0, 1.0), 2026, 12)
    assert barrio.same_barrio("jojo", (math.nan, 0.0), "jojo", None, 2026, 12)
