"""The ledger: a bounded, in-memory, append-only log of SyncEvents, deduplicated by event id.

Every accepted event gets a sequence number (1, 2, 3 ...) that never repeats within a process; the
live feed and ``/events`` resume from it (Last-Event-ID), like Syncthing's event IDs. When the
ledger is full the oldest entries are evicted first, so memory stays bounded whatever peers send.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass

from nara.core.events import SyncEvent


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger entry: the event and the sequence number it was appended under."""

    seq: int
    event: SyncEvent
    subjects: tuple[str, ...]


class Ledger:
    """Bounded ledger. Not thread-safe; the node's event loop is its only user."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("ledger capacity must be positive")
        self.capacity = capacity
        self._entries: deque[Entry] = deque()
        self._ids: set[str] = set()
        self._by_service: Counter[str] = Counter()
        self._last_seq = 0
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    @property
    def last_seq(self) -> int:
        return self._last_seq

    @property
    def first_seq(self) -> int:
        """Sequence number of the oldest entry still held (last_seq + 1 when empty)."""
        return self._entries[0].seq if self._entries else self._last_seq + 1

    def by_service(self) -> dict[str, int]:
        return dict(sorted(self._by_service.items()))

    def append(self, event: SyncEvent) -> Entry | None:
        """Append an event; None when an event with the same id is already held."""
        if event.id in self._ids:
            return None
        if len(self._entries) >= self.capacity:
            old = self._entries.popleft()
            self._ids.discard(old.event.id)
            self._by_service[old.event.svc] -= 1
            if self._by_service[old.event.svc] <= 0:
                del self._by_service[old.event.svc]
            self.evicted += 1
        self._last_seq += 1
        entry = Entry(self._last_seq, event, event.subjects())
        self._entries.append(entry)
        self._ids.add(event.id)
        self._by_service[event.svc] += 1
        return entry

    def since(self, seq: int) -> list[Entry]:
        """Entries with a sequence number above ``seq``, oldest first."""
        if seq >= self._last_seq:
            return []
        first = self.first_seq
        if seq < first:
            return list(self._entries)
        # Sequence numbers are contiguous within the deque: index arithmetic, no scan.
        start = seq - first + 1
        return [self._entries[i] for i in range(start, len(self._entries))]

    def query(
        self,
        *,
        service: str = "",
        subject: str = "",
        after: int = 0,
        before: int = 0,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Entry], int]:
        """Newest-first page of entries matching the filters, and the total that matched.

        ``after``/``before`` compare against the event's ``ts`` (nanoseconds); 0 means unbounded.
        """
        matched: list[Entry] = []
        for entry in reversed(self._entries):
            event = entry.event
            if service and event.svc != service:
                continue
            if subject and subject not in entry.subjects and event.emitter != subject:
                continue
            if after and event.ts <= after:
                continue
            if before and event.ts >= before:
                continue
            matched.append(entry)
        return matched[offset : offset + limit], len(matched)
