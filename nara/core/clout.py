"""Clout (spec §4.5; reference projection_clout.go, vivaldi.go:162-191): each nara's subjective
opinion of the others' reputation, from the social events in its ledger.

Clout is per observer: whether a tease "resonates" depends on the observer's soul and
personality (``resonates``, social.go:85-116), and every event's weight on the observer's
personality and the event's age (hyperbolic decay, half-life 24 h scaled by chill and
sociability). Then proximity: peers near us in Vivaldi space weigh a little more.

Only verified social events feed clout: hearsay (unsigned events relayed in ledger responses)
is left out, so a relayer cannot buy anyone reputation here. Clout is never sent on the plaza:
it is shown in ``/narae.json`` and ``/social/clout``.

Pure: the caller passes the records, its personality, a resonance test and ``now`` (s).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from nara.core.personality import Personality

DAY_S = 86_400
FUTURE_AGE_S = 7 * DAY_S  # an event stamped in the future counts as a week old
MIN_WEIGHT = 0.1
PROXIMITY_SCALE = 100.0  # ≈ ms: at this distance a peer's proximity weight is 1/e

# Reasons (social.go:16-28).
HIGH_RESTARTS = "high-restarts"
COMEBACK = "comeback"
TREND_ABANDON = "trend-abandon"
RANDOM = "random"
NICE_NUMBER = "nice-number"
ONLINE = "online"
OFFLINE = "offline"
JOURNEY_PASS = "journey-pass"
JOURNEY_COMPLETE = "journey-complete"
JOURNEY_TIMEOUT = "journey-timeout"
STASH_STORED = "stash-stored"

# What an observation says about its *target* (projection_clout.go:125-144).
_OBSERVATION_CLOUT = {
    ONLINE: 0.1,
    OFFLINE: -0.05,
    JOURNEY_PASS: 0.2,
    JOURNEY_COMPLETE: 0.5,
    JOURNEY_TIMEOUT: -0.3,
}
# Fixed weight factors by reason (projection_clout.go:178-190).
_REASON_FACTOR = {
    NICE_NUMBER: 1.1,
    ONLINE: 0.5,
    OFFLINE: 0.5,
    JOURNEY_PASS: 0.8,
    JOURNEY_COMPLETE: 1.3,
    JOURNEY_TIMEOUT: 1.2,
    STASH_STORED: 1.5,
}
_TYPE_FACTOR = {"observed": 0.7, "gossip": 0.4}


@dataclass(frozen=True, slots=True)
class Record:
    """What clout needs of one social event (projection_clout.go:13-22)."""

    id: str
    timestamp_ns: int
    type: str
    actor: str
    target: str
    reason: str


def weight(record: Record, p: Personality, now_s: int) -> float:
    """The personality- and age-adjusted weight of one event (projection_clout.go:146-221)."""
    w = 1.0 + p.sociability / 200.0 - p.chill / 400.0
    reason = record.reason
    if reason == HIGH_RESTARTS:
        if p.sociability > 70:
            w *= 0.7
    elif reason == COMEBACK:
        if p.sociability > 60:
            w *= 1.4
    elif reason == TREND_ABANDON:
        if p.agreeableness > 70:
            w *= 0.5
        if p.sociability > 60:
            w *= 1.2
    elif reason == RANDOM:
        if p.chill > 60:
            w *= 0.3
        if p.agreeableness > 70:
            w *= 0.6
    else:
        w *= _REASON_FACTOR.get(reason, 1.0)
    w *= _TYPE_FACTOR.get(record.type, 1.0)
    # Go divides the int64 nanoseconds by 1e9 in integers: truncated toward zero.
    ts = record.timestamp_ns
    age = now_s - (ts // 1_000_000_000 if ts >= 0 else -(-ts // 1_000_000_000))
    if age < 0:
        age = FUTURE_AGE_S
    if age > 0:
        half_life = DAY_S * (1.0 + (50 - p.chill) / 100.0) * (1.0 + p.sociability / 333.0)
        w *= 1.0 / (1.0 + age / half_life)
    return max(w, MIN_WEIGHT)


def derive(
    records: Iterable[Record],
    p: Personality,
    now_s: int,
    resonates: Callable[[str], bool],
) -> dict[str, float]:
    """Clout by nara name, as this observer sees it (projection_clout.go:78-123);
    ``resonates(event_id)`` is the observer's tease test."""
    clout: dict[str, float] = {}

    def add(name: str, amount: float) -> None:
        clout[name] = clout.get(name, 0.0) + amount

    for r in records:
        w = weight(r, p, now_s)
        if r.type == "tease":
            add(r.actor, w if resonates(r.id) else -0.3 * w)
        elif r.type == "observed":
            if resonates(r.id):
                add(r.actor, 0.5 * w)
        elif r.type == "gossip":
            add(r.actor, 0.1 * w)
        elif r.type == "observation":
            factor = _OBSERVATION_CLOUT.get(r.reason)
            if factor is not None:
                add(r.target, factor * w)
        elif r.type == "service":
            add(r.actor, (2.0 if r.reason == STASH_STORED else 0.5) * w)
    clout.pop("", None)  # an event without an actor or target gives nobody clout
    return clout


Point = tuple[float, float, float]  # x, y, height


def distance(a: Point, b: Point) -> float:
    """Vivaldi distance (vivaldi.go:57-68): the plane distance plus both heights."""
    return math.hypot(a[0] - b[0], a[1] - b[1]) + a[2] + b[2]


def with_proximity(
    clout: Mapping[str, float], mine: Point | None, coordinates_of: Callable[[str], Point | None]
) -> dict[str, float]:
    """Nearby naras weigh more: 70 % of the clout plus 30 % scaled by e^(−distance/100)
    (vivaldi.go:162-191). Peers without valid coordinates keep their clout."""
    if mine is None or not all(math.isfinite(v) for v in mine):
        return dict(clout)
    out: dict[str, float] = {}
    for name, value in clout.items():
        theirs = coordinates_of(name)
        if theirs is None or not all(math.isfinite(v) for v in theirs):
            out[name] = value
            continue
        near = math.exp(-distance(mine, theirs) / PROXIMITY_SCALE)
        out[name] = value * 0.7 + value * near * 0.3
    return out
