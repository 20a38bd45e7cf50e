"""Trends (spec §4.5; reference social_trend.go:35-200): every 30 s a nara without a trend may
join one its ONLINE neighbours follow, or start its own ``{name}-style``; a nara with a trend
may get over it. Purely cosmetic: the trend and its emoji ride in the newspaper
(``Trend``/``TrendEmoji``) and the flair, and each change bumps buzz.

Pure: the caller passes the neighbours' trends as verified newspapers carry them, the vibe of
each (nara/core/barrio.py), and a random source; ``step`` returns what changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from nara.core.personality import Personality

INTERVAL_S = 30
TREND_EMOJIS = (
    "✨",
    "🌈",
    "🔥",
    "💎",
    "🍄",
    "☄️",
    "🎨",
    "🎭",
    "🧶",
    "🎬",
    "🎤",
    "🎧",
    "🎹",
    "🎷",
    "🎸",
    "🎻",
    "🎺",
    "🥁",
)
DEFAULT_EMOJI = "🕶️"  # a trend nobody shows an emoji for (social_trend.go:75)
BUZZ_JOIN, BUZZ_START, BUZZ_LEAVE = 3, 5, 2
MAX_TREND_BYTES = 64  # the bound on a peer's Trend (nara/core/bounds.py); ours stays within it


class Rand(Protocol):
    def randrange(self, stop: int) -> int: ...
    def shuffle(self, x: list[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class Peer:
    """A neighbour's trend as its latest verified newspaper says, and whether it is ONLINE."""

    name: str
    trend: str
    emoji: str
    online: bool
    vibe: int


@dataclass(frozen=True, slots=True)
class Change:
    """What ``step`` decided: the new trend ("" = none), its emoji, the buzz bump, and which of
    ``"joined"``, ``"started"`` or ``"left"`` happened (for the log)."""

    trend: str
    emoji: str
    buzz: int
    what: str


def step(
    me: str,
    my_vibe: int,
    trend: str,
    personality: Personality,
    peers: Sequence[Peer],
    rand: Rand,
) -> Change | None:
    """One maintenance step (social_trend.go:49-55); None when nothing changes."""
    if trend:
        return _consider_leaving(trend, personality, peers, rand)
    return _consider_joining(me, my_vibe, personality, peers, rand)


def _consider_joining(
    me: str, my_vibe: int, p: Personality, peers: Sequence[Peer], rand: Rand
) -> Change | None:
    counts: dict[str, int] = {}
    online = 0
    for peer in peers:
        if not peer.online:
            continue
        online += 1
        if peer.trend:
            counts[peer.trend] = counts.get(peer.trend, 0) + 1
    names = sorted(counts)
    rand.shuffle(names)  # Go ranges over a map: no order
    for name in names:
        same_vibe = sum(1 for x in peers if x.trend == name and x.vibe == my_vibe)
        chance = p.agreeableness + 20 * same_vibe
        if rand.randrange(150) < chance:
            emoji = next((x.emoji for x in peers if x.trend == name), DEFAULT_EMOJI)
            return Change(name, emoji, BUZZ_JOIN, "joined")
    return _consider_starting(me, p, counts, online, rand)


def _consider_starting(
    me: str, p: Personality, counts: dict[str, int], online: int, rand: Rand
) -> Change | None:
    n = len(counts)
    chance = (p.sociability / 10.0) / (1 + n)
    if n and online:
        mainstream = max(counts.values()) * 100 // online
        if mainstream > 50:  # contrarians get restless (social_trend.go:109-130)
            chance += ((100 - p.agreeableness) * (mainstream - 50) / 100.0) / (1 + n)
    if rand.randrange(100) < int(chance):
        name = f"{me}-style"
        if len(name.encode()) > MAX_TREND_BYTES:
            return None  # a name too long for a trend others would keep
        emoji = TREND_EMOJIS[rand.randrange(len(TREND_EMOJIS))]
        return Change(name, emoji, BUZZ_START, "started")
    return None


def _consider_leaving(
    trend: str, p: Personality, peers: Sequence[Peer], rand: Rand
) -> Change | None:
    chance = 100 - p.chill
    if not any(x.online and x.trend == trend for x in peers):
        chance += 30
    if rand.randrange(500) < chance:
        return Change("", "", BUZZ_LEAVE, "left")
    return None
