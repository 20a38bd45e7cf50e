"""When this nara teases whom (spec §2.3, §6): the reference's tease triggers, pure.

Each trigger mirrors a decision in the Go reference (``social.go``); all randomness is a
SHA-256 roll over stable inputs, so two naras with the same soul decide the same way.
``TeaseCooldown`` is the per-(actor, target) spam guard; it takes ``now`` from the caller
(the shell owns the clock) and is bounded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from nara.core.personality import Personality

REASON_HIGH_RESTARTS = "high-restarts"
REASON_COMEBACK = "comeback"
REASON_TREND_ABANDON = "trend-abandon"
REASON_NICE_NUMBER = "nice-number"
REASON_RANDOM = "random"

TEASE_COOLDOWN_S = 300  # social.go:381 — five minutes between teases of one target
MAX_COOLDOWN_ENTRIES = 1024  # bound on remembered (actor, target) pairs

_DAY_S = 86400
_MEME_NUMBERS = frozenset(
    {42, 67, 69, 100, 111, 123, 200, 222, 300, 333, 365, 404, 420, 444, 500, 555}
    | {666, 777, 888, 999, 1000, 1234, 1337}
)


def _roll(data: bytes, modulo: int) -> int:
    """uint64_be(sha256(data)[0:8]) % modulo, the reference's deterministic die."""
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big") % modulo


def should_tease_for_restarts(restarts: int, start_time: int, now: int, p: Personality) -> bool:
    """A high restart *rate* (social.go:122-144): naras under a day old get a break."""
    lifetime = now - start_time
    if lifetime < _DAY_S:
        return False
    per_day = restarts / (lifetime / _DAY_S)
    threshold = 2.0 - p.sociability / 200.0 + p.chill / 100.0 + p.agreeableness / 200.0
    return per_day >= max(threshold, 0.5)


def should_tease_for_comeback(previous_state: str, online: str, p: Personality) -> bool:
    """Back from MISSING (not merely OFFLINE) and now ONLINE (social.go:147-161)."""
    return previous_state == "MISSING" and online == "ONLINE" and p.sociability > 40


def should_tease_for_trend_abandon(
    previous_trend: str, current_trend: str, popularity: float, p: Personality
) -> bool:
    """Left a popular trend (social.go:164-191)."""
    if not previous_trend or current_trend == previous_trend:
        return False
    if popularity < 0.3 - p.sociability / 500.0:
        return False
    return p.agreeableness <= 70


def _is_palindrome(n: int) -> bool:
    s = str(n)
    return n >= 0 and s == s[::-1]


def is_nice_number(n: int) -> bool:
    """Meme numbers, multiples of 100, palindromes of two digits or more (social.go:194-250)."""
    return n in _MEME_NUMBERS or (n >= 100 and n % 100 == 0) or (n >= 10 and _is_palindrome(n))


def should_tease_for_nice_number(restarts: int, p: Personality) -> bool:
    """A nice restart count, acknowledged with 60-80 % odds (social.go:253-269)."""
    if not is_nice_number(restarts):
        return False
    return _roll(f"nice-{restarts}".encode(), 100) < 60 + p.sociability // 5


def should_random_tease(
    soul: str, target: str, timestamp: int, p: Personality, boost: float = 1.0
) -> bool:
    """About 1 % odds, sociability up, chill down, capped at 5 % (social.go:272-304)."""
    prob = _roll(soul.encode() + target.encode() + str(timestamp).encode(), 1000)
    threshold = (10.0 + p.sociability // 10 - p.chill // 20) * boost
    return prob < min(threshold, 50.0)


def tease_resonates(event_id: str, observer_soul: str, p: Personality) -> bool:
    """Whether a received tease is worth keeping to this observer (social.go:85-116)."""
    threshold = 50 + p.sociability // 5 - p.chill // 10 - p.agreeableness // 20
    threshold = min(max(threshold, 5), 95)
    return _roll(event_id.encode() + observer_soul.encode(), 100) < threshold


def partition_subjects(subjects: list[str], n: int) -> list[list[str]]:
    """Split subjects over n neighbours by the reference's string hash (social.go:456-481)."""
    n = min(max(n, 1), len(subjects))
    parts: list[list[str]] = [[] for _ in range(n)]
    for subject in subjects:
        h = 0
        for c in subject:
            h = ((h * 31 + ord(c)) % n + n) % n
        parts[h].append(subject)
    return parts


@dataclass
class TeaseCooldown:
    """Per-(actor, target) cooldown (social.go:370-440); ``now`` comes from the shell."""

    cooldown_s: int = TEASE_COOLDOWN_S
    max_entries: int = MAX_COOLDOWN_ENTRIES
    _last: dict[tuple[str, str], int] = field(default_factory=dict)

    def try_tease(self, actor: str, target: str, now: int) -> bool:
        """Check and record atomically; False while the pair is still cooling down."""
        key = (actor, target)
        last = self._last.get(key)
        if last is not None and now - last <= self.cooldown_s:
            return False
        if key not in self._last and len(self._last) >= self.max_entries:
            self.cleanup(now)
            if len(self._last) >= self.max_entries:
                return False  # bounded: refuse rather than grow
        self._last[key] = now
        return True

    def cleanup(self, now: int) -> None:
        """Forget pairs older than twice the cooldown."""
        for key in [k for k, t in self._last.items() if now - t > 2 * self.cooldown_s]:
            del self._last[key]

    def __len__(self) -> int:
        return len(self._last)
