"""Social events kept from the plaza (spec §2.3, §3.3): what is meaningful, what is hearsay.

A social event we can verify (signed by a known neighbour who is its own actor) goes into the
ledger like any other event. Anything else, an unsigned event from a ledger response or one from
a stranger, is *hearsay*: attributed to whoever relayed it, kept here and not in the ledger,
bounded per relayer and in total, and never published or answered onward (the ledger answer
reads the ledger only). Pure: the caller passes ``now``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from nara.core.events import Social, SyncEvent
from nara.core.ledger import Ledger
from nara.core.names import valid_name
from nara.core.personality import Personality
from nara.core.teases import (
    REASON_COMEBACK,
    REASON_HIGH_RESTARTS,
    REASON_RANDOM,
    REASON_TREND_ABANDON,
)

MAX_HEARSAY = 512  # hearsay events kept in total
MAX_HEARSAY_PER_RELAYER = 32  # one relayer cannot fill the book
MAX_ANSWER_EVENTS = 200  # social events in one ledger response (Go sends all it has)
MAX_REQUEST_SUBJECTS = 64  # subjects of one ledger request we look at

MAX_REASON_CHARS = 64

_ONLINE_OFFLINE = frozenset({"online", "offline"})
_JOURNEY_PASS_COMPLETE = frozenset({"journey-pass", "journey-complete"})


def plausible(s: Social) -> bool:
    """Names that follow the name rule and short reasons: what we are willing to keep at all."""
    return (
        valid_name(s.actor)
        and valid_name(s.target)
        and len(s.reason) <= MAX_REASON_CHARS
        and (not s.witness or valid_name(s.witness))
    )


def is_meaningful(s: Social, p: Personality) -> bool:
    """Whether this personality keeps a social event (sync_helpers.go:3-59)."""
    if p.chill > 70 and s.reason == REASON_RANDOM:
        return False
    if s.type == "observation":
        if s.reason == "journey-timeout":
            return True
        if p.chill > 85 and s.reason in _ONLINE_OFFLINE:
            return False
        return not (p.sociability < 30 and s.reason in _JOURNEY_PASS_COMPLETE)
    if p.chill > 85 and s.reason not in (REASON_COMEBACK, REASON_HIGH_RESTARTS):
        return False
    if p.agreeableness > 80 and s.reason == REASON_TREND_ABANDON:
        return False
    return not (p.sociability < 20 and s.reason == REASON_RANDOM)


@dataclass(frozen=True, slots=True)
class Hearsay:
    """A social event nobody vouched for: ``relayed_by`` told us, at ``heard_ns``."""

    event: SyncEvent
    relayed_by: str
    heard_ns: int


@dataclass
class HearsayBook:
    """Bounded hearsay, oldest dropped first; per-relayer cap; deduplicated by event id."""

    max_total: int = MAX_HEARSAY
    max_per_relayer: int = MAX_HEARSAY_PER_RELAYER
    _items: OrderedDict[str, Hearsay] = field(default_factory=OrderedDict)
    _per_relayer: dict[str, int] = field(default_factory=dict)
    refused: int = 0

    def add(self, event: SyncEvent, relayed_by: str, now: int) -> Hearsay | None:
        """Keep ``event`` as hearsay; None when already held or the relayer is at its cap."""
        if event.id in self._items:
            return None
        if self._per_relayer.get(relayed_by, 0) >= self.max_per_relayer:
            self.refused += 1
            return None
        if len(self._items) >= self.max_total:
            _, old = self._items.popitem(last=False)
            self._release(old.relayed_by)
        item = Hearsay(event, relayed_by, now)
        self._items[event.id] = item
        self._per_relayer[relayed_by] = self._per_relayer.get(relayed_by, 0) + 1
        return item

    def _release(self, relayer: str) -> None:
        left = self._per_relayer.get(relayer, 0) - 1
        if left > 0:
            self._per_relayer[relayer] = left
        else:
            self._per_relayer.pop(relayer, None)

    def forget_relayer(self, relayer: str) -> None:
        for key in [k for k, h in self._items.items() if h.relayed_by == relayer]:
            del self._items[key]
        self._per_relayer.pop(relayer, None)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def newest(self, limit: int, subject: str = "") -> list[Hearsay]:
        out: list[Hearsay] = []
        for item in reversed(self._items.values()):
            if subject and subject not in item.event.subjects():
                continue
            out.append(item)
            if len(out) >= limit:
                break
        return out


def verified_social(ledger: Ledger, subjects: tuple[str, ...]) -> list[SyncEvent]:
    """Our ledger's social events whose actor or target is a subject, oldest first, at most
    ``MAX_ANSWER_EVENTS`` (the newest kept): the answer to a ledger request
    (sync_ledger.go:353-373).
    Hearsay is not in the ledger, so it is never answered onward."""
    wanted = set(subjects[:MAX_REQUEST_SUBJECTS])
    out: list[SyncEvent] = []
    for entry in reversed(list(iter(ledger))):
        p = entry.event.payload
        if isinstance(p, Social) and (p.actor in wanted or p.target in wanted):
            out.append(entry.event)
            if len(out) >= MAX_ANSWER_EVENTS:
                break
    out.reverse()
    return out
