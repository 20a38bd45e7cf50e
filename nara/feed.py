"""Live fan-out of ledger entries, status changes and the read model's card frames to SSE
subscribers.

Card frames (``naras``, ``snapshot``: see nara/readmodel.py) go only to subscribers that asked for
cards (``/events?cards=1``); the others get what they always got.

Publishing costs the ingest path O(1) plus waking the handlers that wait: every frame goes
into one bounded ring shared by all subscribers (``RING_SIZE`` frames, card frames included),
and each subscriber is a cursor into it. A handler takes everything after its cursor at once
and writes it as one chunk (``Subscriber.take``), so a burst of N frames is one write per
client, not N, and each frame is encoded once for all clients (``Frame.wire``). A client that
falls more than the ring behind has lost frames: it is cut off with a ``resync`` marker (it
reconnects and resumes from Last-Event-ID). So memory does not grow with slow clients, and none
of them holds up the others or the node: a client that never reads only blocks its own handler.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

from nara.core.ledger import Entry

log = logging.getLogger("nara.feed")
RING_SIZE = 4096  # frames; ~4 MB at most of shared frames, whatever the number of clients
MAX_CHUNK_BYTES = 256 * 1024  # one write to a client carries at most about this much


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
    # the encoded frame, per stream kind (False: plain, True: cards); filled on first use
    _wire: dict[bool, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_cards(self) -> bool:
        return self.event in CARD_EVENTS

    def wire(self, cards: bool = False) -> bytes:
        """The frame as SSE bytes for a plain or a cards stream; encoded once, then shared."""
        done = self._wire.get(cards)
        if done is None:
            done = self._wire[cards] = _encode(self, cards)
        return done


def _encode(frame: Frame, cards: bool) -> bytes:
    data = frame.raw or json.dumps(
        frame.data, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )
    if cards and (frame.seq or frame.rev):
        head = f"id: {frame.seq}-{frame.rev}\n"
    else:
        head = f"id: {frame.seq}\n" if frame.seq and not frame.is_cards else ""
    return f"{head}event: {frame.event}\ndata: {data}\n\n".encode()


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


class Subscriber:
    """One /events stream's place in the feed. Owned by its handler task."""

    __slots__ = ("_feed", "_waiter", "cards", "cursor", "dropped")

    def __init__(self, feed: Feed, cards: bool) -> None:
        self._feed = feed
        self.cards = cards
        self.cursor = feed.head  # the next frame this subscriber will take
        self.dropped = False  # cut off: fell more than the ring behind
        self._waiter: asyncio.Future[bool] | None = None

    @property
    def ended(self) -> bool:
        """The stream is over: shutdown, or cut off (see ``dropped``)."""
        return self.dropped or self._feed.closed

    def take(self) -> list[Frame]:
        """Every frame published since the last take, in order (card frames only for a cards
        stream). Cuts the subscriber off instead when frames it had not taken were overwritten."""
        feed = self._feed
        head = feed.head
        if self.dropped or head == self.cursor:
            return []
        if head - self.cursor > RING_SIZE:
            feed.cut(self)
            return []
        ring, start = feed.ring, self.cursor
        self.cursor = head
        frames = [ring[i % RING_SIZE] for i in range(start, head)]
        if self.cards:
            return [f for f in frames if f is not None]
        return [f for f in frames if f is not None and not f.is_cards]

    async def wait(self, within_s: float) -> bool:
        """Until something is published (True) or ``within_s`` pass (False)."""
        if self._feed.head != self.cursor or self.ended:
            return True
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiter = waiter
        self._feed.waiting.add(self)
        timer = loop.call_later(within_s, _settle, waiter, False)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiter = None
            self._feed.waiting.discard(self)

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            _settle(waiter, True)


def _settle(waiter: asyncio.Future[bool], value: bool) -> None:
    if not waiter.done():
        waiter.set_result(value)


class Feed:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self.waiting: set[Subscriber] = set()  # handlers parked in Subscriber.wait
        self.ring: list[Frame | None] = [None] * RING_SIZE
        self.head = 0  # frames published so far; the next one goes to ring[head % RING_SIZE]
        self.closed = False
        self.slow_clients_dropped = 0
        self.frames_published = 0
        self.card_subscribers = 0  # the read model builds card frames only while this is > 0

    def __len__(self) -> int:
        return len(self._subscribers)

    def subscribe(self, *, cards: bool = False) -> Subscriber:
        sub = Subscriber(self, cards)
        self._subscribers.add(sub)
        self.card_subscribers += cards
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self._subscribers:
            self._subscribers.discard(sub)
            self.card_subscribers -= sub.cards
        self.waiting.discard(sub)

    def publish(self, frame: Frame) -> None:
        """Into the ring, and wake the handlers waiting for it (O(1) for the others)."""
        if self.closed or not self._subscribers:
            return  # nobody reads: keep nothing (a new subscriber starts at the head anyway)
        self.ring[self.head % RING_SIZE] = frame
        self.head += 1
        self.frames_published += 1
        if self.waiting:
            for sub in list(self.waiting):
                if frame.is_cards and not sub.cards:
                    continue
                sub.wake()

    def cut(self, sub: Subscriber) -> None:
        if sub.dropped:
            return
        sub.dropped = True
        self.unsubscribe(sub)
        self.slow_clients_dropped += 1
        log.info("cut off a slow /events client; it will resume from Last-Event-ID")
        sub.wake()

    def close(self) -> None:
        """End every stream (shutdown). Safe to call twice."""
        self.closed = True
        for sub in list(self._subscribers):
            self.unsubscribe(sub)
            sub.wake()
        self.waiting.clear()
