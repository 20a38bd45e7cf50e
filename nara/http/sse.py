"""``/events``: Server-Sent Events with sequence ids. A client that reconnects with Last-Event-ID
(or ``?last_event_id=``) first gets what it missed from the ledger, then the live stream.

With ``?cards=1`` (the dashboard) the stream also carries the read model (nara/readmodel.py):
first a ``snapshot`` frame (every card, the change log, the plaza's state, this node), then one
``naras`` frame per change with the changed cards, the removed names and the new change-log
items. Every frame of such a stream has the id ``<ledger seq>-<rev>``; a client reconnecting
with ``Last-Event-ID: <seq>-<rev>`` gets the ledger events after ``seq`` and the cards changed
after ``rev``, or a snapshot when the node no longer knows what changed since (or restarted)."""

from __future__ import annotations

import contextlib
import json

from aiohttp import web

from nara.context import CTX
from nara.feed import MAX_CHUNK_BYTES, Frame, entry_frame
from nara.http.api import node_info

KEEPALIVE_S = 15.0


def encode(frame: Frame, cards: bool = False) -> bytes:
    return frame.wire(cards)


def resync_frame(seq: int, rev: int) -> bytes:
    """The last frame of a stream cut off for being too slow: reconnect and resume from here."""
    data = json.dumps({"reason": "too slow", "seq": seq, "rev": rev}, separators=(",", ":"))
    return f"event: resync\ndata: {data}\n\n".encode()


def _int(raw: str) -> int | None:
    try:
        return max(0, int(raw))
    except ValueError:
        return None


def stream_position(raw: str, rev: str = "") -> tuple[int, int | None]:
    """``"12"`` → (12, None); ``"12-345"`` → (12, 345); anything else (0, None)."""
    seq_text, _, rev_text = raw.partition("-")
    seq = _int(seq_text) or 0
    cards_rev = _int(rev_text or rev) if (rev_text or rev) else None
    return seq, cards_rev


async def events(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CTX]
    model = ctx.runtime.model
    cards = request.query.get("cards", "") == "1"
    raw = request.headers.get("Last-Event-ID") or request.query.get("last_event_id", "")
    last, have_rev = stream_position(raw.strip(), request.query.get("rev", ""))
    sub = ctx.feed.subscribe(cards=cards)  # subscribe before replaying: nothing falls between
    start_seq = model.ledger_seq  # what a fresh client starts from (no await since subscribing)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
            "Access-Control-Allow-Origin": "*",
        }
    )
    try:
        await response.prepare(request)
        hello: dict[str, object] = {"server": ctx.identity.name, "seq": model.ledger_seq}
        if cards:
            hello["rev"] = model.rev
        await response.write(encode(Frame("connected", hello)))
        sent = last if last or not cards else start_seq
        sent_rev = have_rev or 0
        if last:
            for entry in model.ledger_since(last):
                frame = entry_frame(entry, sent_rev)
                if frame is not None:
                    await response.write(encode(frame, cards))
                sent = entry.seq
        if cards:
            info = node_info(ctx)
            catch = (
                model.snapshot_frame(info) if have_rev is None else model.catch_up(have_rev, info)
            )
            if catch is not None:
                at = Frame(catch.event, {}, sent, catch.rev, catch.raw)
                await response.write(encode(at, True))
            sent_rev = model.rev
        while True:
            frames = sub.take()
            if not frames:
                if sub.dropped:  # too slow: frames it had not taken are gone
                    await response.write(resync_frame(sent, sent_rev))
                    break
                if sub.ended:
                    break  # shutdown
                if not await sub.wait(KEEPALIVE_S):
                    await response.write(b": ping\n\n")
                continue
            chunk: list[bytes] = []
            size = 0
            for frame in frames:
                if frame.is_cards:
                    if frame.rev <= sent_rev:
                        continue  # already in the snapshot or the catch-up
                    sent_rev = frame.rev
                elif frame.seq:
                    if frame.seq <= sent:
                        continue  # already replayed
                    sent = frame.seq
                data = frame.wire(cards)
                chunk.append(data)
                size += len(data)
                if size >= MAX_CHUNK_BYTES:
                    await response.write(b"".join(chunk))
                    chunk, size = [], 0
            if chunk:
                await response.write(b"".join(chunk))  # a burst is one write
    except ConnectionResetError:
        return response
    finally:
        ctx.feed.unsubscribe(sub)
    with contextlib.suppress(ConnectionResetError, RuntimeError):
        await response.write_eof()
    return response
