"""``/events``: Server-Sent Events with sequence ids. A client that reconnects with Last-Event-ID
(or ``?last_event_id=``) first gets what it missed from the ledger, then the live stream."""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web

from nara.context import CTX
from nara.feed import Frame, entry_frame

KEEPALIVE_S = 15.0


def encode(frame: Frame) -> bytes:
    data = json.dumps(frame.data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    head = f"id: {frame.seq}\n" if frame.seq else ""
    return f"{head}event: {frame.event}\ndata: {data}\n\n".encode()


def _last_event_id(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.query.get("last_event_id", "")
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


async def events(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CTX]
    ledger = ctx.runtime.node.ledger
    last = _last_event_id(request)
    sub = ctx.feed.subscribe()  # subscribe before replaying, so nothing falls in between
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
        hello = Frame("connected", {"server": ctx.identity.name, "seq": ledger.last_seq})
        await response.write(encode(hello))
        sent = last
        if last:
            for entry in ledger.since(last):
                frame = entry_frame(entry)
                if frame is not None:
                    await response.write(encode(frame))
                sent = entry.seq
        while True:
            try:
                frame = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_S)
            except TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if frame is None:
                break  # shutdown, or we were too slow and got cut off
            if frame.seq and frame.seq <= sent:
                continue  # already replayed
            await response.write(encode(frame))
            if frame.seq:
                sent = frame.seq
    except ConnectionResetError:
        return response
    finally:
        ctx.feed.unsubscribe(sub)
    with contextlib.suppress(ConnectionResetError, RuntimeError):
        await response.write_eof()
    return response
