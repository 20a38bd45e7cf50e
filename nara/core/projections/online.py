"""Online-status projection: who is ONLINE, OFFLINE or MISSING, folded from the ledger (spec §4.1a).

"Most recent event wins" per subject, by the envelope ``ts``: hey-there, seen, restart/first-seen
observations, social and ping events say ONLINE; chau says OFFLINE; a status-change observation says
what it carries. A subject whose latest word is ONLINE but older than the threshold is MISSING.
"""

from __future__ import annotations

from dataclasses import dataclass

from nara.core.events import MISSING, OFFLINE, ONLINE, SyncEvent

__all__ = ["MISSING", "OFFLINE", "ONLINE", "OnlineStatusProjection"]
NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Word:
    """The latest thing the ledger says about a subject."""

    status: str
    ts: int  # nanoseconds


class OnlineStatusProjection:
    """Folds ledger events into the latest status word per subject."""

    def __init__(self) -> None:
        self._words: dict[str, Word] = {}

    def apply(self, event: SyncEvent, at: int | None = None) -> None:
        """Fold one event in. ``at`` (ns) replaces the event's own ts for live plaza messages:
        what counts is when *we* heard it, so a peer's clock can neither keep it ONLINE past its
        chau nor make it MISSING early (security.md, "Time")."""
        ts = event.ts if at is None else at
        for subject, status in event.status_effects():
            current = self._words.get(subject)
            if current is None or ts >= current.ts:
                self._words[subject] = Word(status, ts)

    def forget(self, subject: str) -> None:
        self._words.pop(subject, None)

    def __len__(self) -> int:
        return len(self._words)

    def word(self, subject: str) -> Word | None:
        return self._words.get(subject)

    def status(self, subject: str, now_ns: int, threshold_s: float) -> str:
        """ONLINE / OFFLINE / MISSING, or "" for a subject the ledger never mentioned."""
        word = self._words.get(subject)
        if word is None:
            return ""
        if word.status == ONLINE and now_ns - word.ts > threshold_s * NS:
            return MISSING
        return word.status
