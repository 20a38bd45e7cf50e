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

    def published(self, peers: PeerBuzz) -> int:
        """What goes into the newspaper: a blend of own and online peers' buzz (social_buzz.go)."""
        top = max(self.value, peers.top)
        return min(BUZZ_MAX, int(0.5 * self.value) + int(0.2 * peers.average) + int(0.3 * top))


class PeerBuzz:
    """The buzz of every ONLINE peer, kept incrementally: average and maximum in O(1) per
    change and per read (values are clamped to 0..182, so the maximum is a short scan of a
    183-slot histogram), so a tick costs the same with 10 naras or 1,000."""

    def __init__(self) -> None:
        self._by_name: dict[str, int] = {}
        self._histogram = [0] * (BUZZ_MAX + 1)
        self._sum = 0

    def __len__(self) -> int:
        return len(self._by_name)

    def set(self, name: str, buzz: int | None) -> None:
        """``buzz`` of an ONLINE peer, or None when it is not (or no longer) counted."""
        old = self._by_name.pop(name, None)
        if old is not None:
            self._histogram[old] -= 1
            self._sum -= old
        if buzz is not None:
            value = max(0, min(BUZZ_MAX, buzz))
            self._by_name[name] = value
            self._histogram[value] += 1
            self._sum += value

    @property
    def average(self) -> float:
        return self._sum / len(self._by_name) if self._by_name else 0.0

    @property
    def top(self) -> int:
        for value in range(BUZZ_MAX, -1, -1):
            if self._histogram[value]:
                return value
        return 0


def chattiness(weighted_buzz: int, load: float, booting: bool) -> int:
    """0-100; 100 while booting; buzz plus up to 20 for an idle machine (sensors.go)."""
    if booting:
        return 100
    value = weighted_buzz + (int((1 - load) * 20) if load < 1 else 0)
    return max(0, min(100, value))


def newspaper_interval_s(chat: int) -> int:
    """``30 + 270*(100-chattiness)/100`` seconds, integer maths as in the reference."""
    return 30 + 270 * (100 - chat) // 100


MAX_VOTERS = 64
MIN_AGREEING_VOTES = 3
MAX_VOTE_WEIGHT = 365 * 24 * 3600  # a voter's claimed uptime counts for at most a year


@dataclass(slots=True)
class StartTimeVotes:
    """Votes for this nara's own start time from howdy ``You`` fields, weighted by voter uptime.

    Hardened against a few new identities (security.md): the node only passes votes of
    established neighbours, weights are capped, at most ``MAX_VOTERS`` are kept, and a value
    needs ``MIN_AGREEING_VOTES`` voters within 60 s of each other before it counts at all.
    """

    votes: dict[str, tuple[int, int]] = field(default_factory=dict)  # voter → (value, weight)

    def add(self, voter: str, value: int, weight: int) -> None:
        if value <= 0 or (voter not in self.votes and len(self.votes) >= MAX_VOTERS):
            return
        self.votes[voter] = (value, max(0, min(weight, MAX_VOTE_WEIGHT)))

    def consensus(self) -> int:
        """consensusByUptime: cluster values within 60 s; the heaviest cluster with at least
        ``MIN_AGREEING_VOTES`` values wins; 0 when no cluster is that large."""
        values = sorted(self.votes.values())
        clusters: list[list[tuple[int, int]]] = []
        for value, weight in values:
            if clusters and value - clusters[-1][0][0] <= CONSENSUS_TOLERANCE_S:
                clusters[-1].append((value, weight))
            else:
                clusters.append([(value, weight)])
        agreed = [c for c in clusters if len(c) >= MIN_AGREEING_VOTES]
        if not agreed:
            return 0
        chosen = max(agreed, key=lambda c: sum(w for _, w in c))
        return chosen[len(chosen) // 2][0]
