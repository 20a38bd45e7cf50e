"""Barrios (spec §4.5; reference barrios.go): the 16 neighbourhoods a nara is placed in, and the
``LicensePlate`` emoji its newspaper carries.

Two ways to place a nara, as the reference does: by its Vivaldi coordinates (the grid cell it
falls in, barrios.go:113-160) when it has valid ones, else by its monthly "vibe", a hash of its
name and the current year and month (barrios.go:200-216), so barrios shift once a month but agree
across the network. This node measures no mesh pings, so the grid size is the reference's
default (barrios.go:16-23, 67-111 use the median ping RTT when there are pings).

Pure: the calendar month comes from the caller's clock (``year_month``). The reference takes
it in the host's local time zone; we take it in UTC, so a Go nara in another time zone may
place a nara in a different barrio for a few hours at the turn of a month.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime

CLUSTER_NAMES = (
    "martini",
    "sand",
    "ocean",
    "basil",
    "watermelon",
    "sorbet",
    "wizard",
    "bohemian",
    "pizza",
    "moai",
    "ufo",
    "gem",
    "fish",
    "surf",
    "peach",
    "sandwich",
)
BARRIO_EMOJI = (
    "🍸",
    "🏖",
    "🌊",
    "🌿",
    "🍉",
    "🍧",
    "🧙",
    "👽",
    "🍕",
    "🗿",
    "🛸",
    "💎",
    "🐠",
    "🏄",
    "🍑",
    "🥪",
)
DEFAULT_GRID = 50.0  # coordinate units (≈ ms of RTT) when there are no pings
MIN_GRID = 10.0
MAX_GRID = 200.0
# Coordinates beyond this are nobody's real network position (a ping RTT of ~3 hours): a peer
# claiming them is placed by its vibe instead, and Go's int64 conversion never overflows.
MAX_COORDINATE = 1e7


def year_month(now_ns: int) -> tuple[int, int]:
    """The UTC calendar year and month at ``now_ns``."""
    day = datetime.fromtimestamp(now_ns // 1_000_000_000, UTC)
    return day.year, day.month


def _u64(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def vibe(name: str, year: int, month: int) -> int:
    """``calculateVibe``: uint64_be(sha256(name ‖ utf8(rune(year)) ‖ utf8(rune(month)))[0:8])."""
    return _u64(name.encode() + chr(year).encode() + chr(month).encode())


def vibe_cluster(name: str, year: int, month: int) -> int:
    return vibe(name, year, month) % len(CLUSTER_NAMES)


def grid_cluster(x: float, y: float, grid: float = DEFAULT_GRID) -> int | None:
    """The cluster of the grid cell (floor(x/g), floor(y/g)), or None for unusable coordinates
    (NaN, infinite, or absurdly far: hostile or broken)."""
    if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in (x, y)):
        return None
    g = min(max(grid, MIN_GRID), MAX_GRID)
    cell_x, cell_y = math.floor(x / g), math.floor(y / g)
    raw = (cell_x % 2**64).to_bytes(8, "big") + (cell_y % 2**64).to_bytes(8, "big")
    return _u64(raw) % len(CLUSTER_NAMES)


def cluster(
    name: str,
    coordinates: tuple[float, float] | None,
    year: int,
    month: int,
    grid: float = DEFAULT_GRID,
) -> tuple[int, str]:
    """The cluster index of ``name`` and how it was found: ``"grid"`` from its coordinates,
    ``"vibe"`` from its name and the month (barrios.go:42-50)."""
    if coordinates is not None:
        index = grid_cluster(coordinates[0], coordinates[1], grid)
        if index is not None:
            return index, "grid"
    return vibe_cluster(name, year, month), "vibe"


def plate(
    name: str, coordinates: tuple[float, float] | None, year: int, month: int
) -> tuple[str, str]:
    """``(cluster name, emoji)`` of the barrio ``name`` lives in."""
    index, _ = cluster(name, coordinates, year, month)
    return CLUSTER_NAMES[index], BARRIO_EMOJI[index]


def same_barrio(
    a: str,
    a_coordinates: tuple[float, float] | None,
    b: str,
    b_coordinates: tuple[float, float] | None,
    year: int,
    month: int,
) -> bool:
    """``IsInMyBarrio`` (barrios.go:162-178): the same grid cell's cluster when both have usable
    coordinates, else the same vibe (used to boost random teases between neighbours)."""
    ca = grid_cluster(*a_coordinates) if a_coordinates is not None else None
    cb = grid_cluster(*b_coordinates) if b_coordinates is not None else None
    if ca is None or cb is None:
        return vibe_cluster(a, year, month) == vibe_cluster(b, year, month)
    return ca == cb
