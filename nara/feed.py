"""Live fan-out of ledger entries, status changes and the read model's card frames to SSE
subscribers.

Card frames (``naras``, ``snapshot``: see nara/readmodel.py) go only to subscribers that asked for
cards (``/events?cards=1``); the others get what they always got. Each subscriber has a bounded
queue; a client too slow to drain it is cut off (it reconnects and resumes from Last-Event-ID), so
no client can stall the node or grow its memory.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from nara.core.ledger import Entry

log = logging.getLogger("nara.feed")
QUEUE_SIZE = 1000


CARD_EVENTS = frozenset({"naras", "snapshot"})


@dataclass(frozen=True, slots=True)
class Frame:
    """One SSE frame: ``event:`` name, JSON ``data`` and the ledger seq (0 for status frames).

    ``rev`` is the read model's revision when the frame was made (its stream position for card
    subscribers), and ``raw``, when set, is ``data`` already encoded as JSON (card frames are
    built from cached bytes and sent to every subscriber as they are)."""

    event: str
    data: dict[str, object]
    seq: int = 0
    rev: int = 0
    raw: str = ""

    @property
    def is_cards(self) -> bool:
        return self.event in CARD_EVENTS


def entry_item(entry: Entry) -> dict[str, object] | None:
    """The JSON an event gets in /events and /api/inspector/events; None if it has no UI text."""
    event = entry.event
    ui = event.ui_format()
    if ui is None:
        return None
    return {
        "detail": ui.get("detail", ""),
        "emitter": event.emitter,
        "icon": ui.get("icon", ""),
        "id": event.id,
        "seq": entry.seq,
        "service": event.svc,
        "subjects": list(entry.subjects),
        "text": ui.get("text", ""),
        "timestamp": event.ts,
    }


def entry_frame(entry: Entry, rev: int = 0) -> Frame | None:
    item = entry_item(entry)
    return None if item is None else Frame(entry.event.svc, item, entry.seq, rev)


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue[Frame | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False
    cards: bool = False


class Feed:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self.slow_clients_dropped = 0

    def __len__(self) -> int:
        return len(self._subscribers)

    def subscribe(self, *, cards: bool = False) -> Subscriber:
        sub = Subscriber(cards=cards)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def publish(self, frame: Frame) -> None:
        cards = frame.is_cards
        for sub in list(self._subscribers):
            if cards and not sub.cards:
                continue
            try:
                sub.queue.put_nowait(frame)
            except asyncio.QueueFull:
                self._cut(sub)

    def _cut(self, sub: Subscriber) -> None:
        sub.dropped = True
        self._subscribers.discard(sub)
        self.slow_clients_dropped += 1
        log.info("cut off a slow /events client; it will resume from Last-Event-ID")
        # Wake the handler so it ends the response; make room for the sentinel if needed.
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)

    def close(self) -> None:
        """End every stream (shutdown). Safe to call twice."""
        for sub in list(self._subscribers):
            self._subscribers.discard(sub)
            try:
                sub.queue.put_nowait(None)
            except asyncio.QueueFull:
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                sub.queue.put_nowait(None)
