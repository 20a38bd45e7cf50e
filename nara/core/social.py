"""Buzz, chattiness and start-time consensus: the small numbers a newspaper carries (§4.3, §4.5)."""

from __future__ import annotations

from dataclasses import dataclass, field

BUZZ_MAX = 182
BUZZ_DECAY = 30  # per 10 s
BOOTING_S = 120
CONSENSUS_TOLERANCE_S = 60


@dataclass(slots=True)
class Buzz:
    """Local buzz counter: bumped by events, decays by 30 every 10 s, clamped to [0, 182]."""

    value: int = 100
    _decay_due_ns: int = 0

    def bump(self, amount: int) -> None:
        self.value = max(0, min(BUZZ_MAX, self.value + amount))

    def decay(self, now_ns: int) -> None:
        if self._decay_due_ns == 0:
            self._decay_due_ns = now_ns + 10 * 1_000_000_000
            return
        while now_ns >= self._decay_due_ns:
            self.bump(-BUZZ_DECAY)
            self._decay_due_ns += 10 * 1_000_000_000

    def published(self, peers: list[int]) -> int:
        """What goes into the newspaper: a blend of own and online peers' buzz (social_buzz.go)."""
        avg = sum(peers) / len(peers) if peers else 0
        top = max([self.value, *peers])
        return min(BUZZ_MAX, int(0.5 * self.value) + int(0.2 * avg) + int(0.3 * top))


def chattiness(weighted_buzz: int, load: float, booting: bool) -> int:
    """0-100; 100 while booting; buzz plus up to 20 for an idle machine (sensors.go)."""
    if booting:
        return 100
    value = weighted_buzz + (int((1 - load) * 20) if load < 1 else 0)
    return max(0, min(100, value))


def newspaper_interval_s(chat: int) -> int:
    """``30 + 270*(100-chattiness)/100`` seconds, integer maths as in the reference."""
    return 30 + 270 * (100 - chat) // 100


@dataclass(slots=True)
class StartTimeVotes:
    """Votes for this nara's own start time from howdy ``You`` fields, weighted by voter uptime."""

    votes: dict[str, tuple[int, int]] = field(default_factory=dict)  # voter → (value, weight)

    def add(self, voter: str, value: int, weight: int) -> None:
        if value > 0:
            self.votes[voter] = (value, max(0, weight))

    def consensus(self) -> int:
        """consensusByUptime: cluster values within 60 s, heaviest cluster with ≥2 values wins."""
        if not self.votes:
            return 0
        values = sorted(self.votes.values())
        clusters: list[list[tuple[int, int]]] = []
        for value, weight in values:
            if clusters and value - clusters[-1][0][0] <= CONSENSUS_TOLERANCE_S:
                clusters[-1].append((value, weight))
            else:
                clusters.append([(value, weight)])
        clusters.sort(key=lambda c: sum(w for _, w in c), reverse=True)
        chosen = next((c for c in clusters if len(c) >= 2), clusters[0])
        return chosen[len(chosen) // 2][0]
