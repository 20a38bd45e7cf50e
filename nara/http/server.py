"""The HTTP server's connection guard: what keeps idle, half-sent and too many connections from
taking the node down on a public address (docs/security.md, "HTTP connections").

- An idle keep-alive connection is closed after ``KEEPALIVE_TIMEOUT_S`` (aiohttp's own timer).
- A connection that has not sent a complete request head within ``HEADER_TIMEOUT_S`` (of its
  opening, or of the first byte of a later request) gets ``408`` and is closed; a head longer
  than ``MAX_HEAD_BYTES`` gets ``431``. aiohttp 3 has neither, so ``GuardedRequestHandler``
  adds them. A request being handled, such as an ``/events`` stream, is never timed out.
- At most ``max_connections`` are open at once, below the open-file limit so that the plaza,
  files and ``/livez`` always have descriptors. A connection beyond the cap makes room by
  closing the oldest idle or half-sent one (or, when every one is busy, the oldest busy one),
  so a flood of half-open connections cannot lock ``/livez`` out.
- None of this logs per connection: one summary line a minute at most, and the event loop's
  "socket.accept() out of system resource" tracebacks become one rate-limited line.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger("nara")

KEEPALIVE_TIMEOUT_S = 15.0  # an idle keep-alive connection is closed after this
HEADER_TIMEOUT_S = 10.0  # a request head must be complete this long after it began
MAX_HEAD_BYTES = 16 * 1024  # a longer request head gets 431 (as Node.js; nginx allows 4 x 8 KiB)
# Descriptors kept free: 64 for the plaza, files, the listening socket and /livez, plus the listen
# backlog (nara/cli.py's 128), which the event loop accepts in one go before the connections a
# burst evicts have given their descriptors back.
FD_RESERVE = 64 + 128
MAX_CONNECTIONS_DEFAULT = 2048  # the automatic cap never exceeds this (memory, not descriptors)
MIN_CONNECTIONS = 16
LOG_EVERY_S = 60.0  # at most one summary line per kind per minute
_ACCEPT_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Connection: close\r\nContent-Length: 0\r\n\r\n"
)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int
    header_timeout: float = HEADER_TIMEOUT_S
    keepalive_timeout: float = KEEPALIVE_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class FileLimit:
    soft: int  # the open-file limit in force after raise_open_file_limit
    hard: int
    raised_from: int | None  # the soft limit before, when it was raised


_UNLIMITED = 1 << 20  # what an unlimited RLIMIT_NOFILE counts as (Linux's default nr_open)


def raise_open_file_limit() -> FileLimit:
    """Raise the soft RLIMIT_NOFILE to the hard one (to ``_UNLIMITED`` when that has none)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:  # -1 to Python: never a number to compare or subtract
        return FileLimit(_UNLIMITED, _UNLIMITED, None)
    target = _UNLIMITED if hard == resource.RLIM_INFINITY else hard
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (OSError, ValueError):
            return FileLimit(soft, target, None)
        return FileLimit(target, target, soft)
    return FileLimit(soft, target, None)


def connection_cap(soft_limit: int, configured: int) -> int:
    """The most HTTP connections open at once: ``configured`` (0: ``MAX_CONNECTIONS_DEFAULT``),
    never more than the open-file limit minus ``FD_RESERVE``."""
    room = max(MIN_CONNECTIONS, soft_limit - FD_RESERVE)
    wanted = configured or MAX_CONNECTIONS_DEFAULT
    return min(wanted, room)


class _Summary:
    """Counts events and logs them as one line per ``LOG_EVERY_S`` at most."""

    def __init__(self, loop: asyncio.AbstractEventLoop, text: Callable[[int], str]) -> None:
        self._loop = loop
        self._text = text
        self._count = 0
        self._last: float | None = None
        self.total = 0

    def note(self) -> None:
        self._count += 1
        self.total += 1
        now = self._loop.time()
        if self._last is None or now - self._last >= LOG_EVERY_S:
            log.warning("%s", self._text(self._count))
            self._count = 0
            self._last = now


class GuardedRequestHandler(RequestHandler):
    """aiohttp's connection protocol plus a request-head deadline and a busy flag."""

    __slots__ = ("_deadline", "busy", "closing", "guard", "head_bytes", "header_timeout")

    def __init__(self, manager: GuardedServer, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.guard = manager
        self.header_timeout = header_timeout
        self.busy = False  # a request is being handled (an /events stream stays busy)
        self.closing = False
        self.head_bytes = 0  # received since the last request head was complete
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # registers with the guard, which may close us
        if not self.closing:
            self._arm()

    def data_received(self, data: bytes) -> None:
        if not data or self.closing:
            super().data_received(data)
            return
        if not self.busy and self._deadline is None:
            self._arm()  # the first byte of a new request head
        parsed = self._request_count
        super().data_received(data)
        if self._request_count != parsed:
            return  # a head was complete in this chunk (request_head_complete follows)
        # Bytes since the last complete head: an unfinished head, or (while a request is being
        # answered) a pipelined one or a body, which no nara route reads. aiohttp's parser
        # allows 128 fields of 8 KiB, so without this bound each connection, an /events stream
        # too, could hold about 2 MB (measured) of an unfinished head.
        self.head_bytes += len(data)
        if self.head_bytes > MAX_HEAD_BYTES and not self.closing and self.transport is not None:
            if not self.busy:  # never into the middle of a response
                self.transport.write(_HEAD_TOO_LARGE)
            self.guard.too_large.note()
            self.shut()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        self.closing = True
        self.guard.forget(self)
        super().connection_lost(exc)

    def request_head_complete(self) -> None:
        self._disarm()
        self.head_bytes = 0

    def shut(self) -> None:
        """Close now (the guard's eviction)."""
        self._disarm()
        self.closing = True
        self.guard.forget(self)
        self.force_close()

    def _arm(self) -> None:
        self._deadline = self._loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self.busy or self.closing or self.transport is None:
            return
        if self.head_bytes:
            self.transport.write(_REQUEST_TIMEOUT)  # close() below still sends it
        self.guard.timed_out.note()
        self.shut()


class GuardedServer(web.Server):
    """aiohttp's ``Server`` (the protocol factory) with ``GuardedRequestHandler`` connections
    and the connection cap."""

    def __init__(self, base: web.Server, limits: ConnectionLimits) -> None:
        loop = asyncio.get_running_loop()
        self._inner_handler = base.request_handler
        self._inner_factory = base.request_factory
        super().__init__(
            self._handle,
            request_factory=self._make_guarded_request,
            handler_cancellation=base.handler_cancellation,
            loop=loop,
            **base._kwargs,  # the RequestHandler settings AppRunner gathered
        )
        self.limits = limits
        self._live: dict[GuardedRequestHandler, None] = {}  # open, oldest first
        self.timed_out = _Summary(
            loop,
            lambda n: (
                f"HTTP: closed {n:,} connection(s) that sent no complete request within "
                f"{limits.header_timeout:g} s (at most one such line a minute)"
            ),
        )
        self.too_large = _Summary(
            loop,
            lambda n: (
                f"HTTP: refused {n:,} request head(s) longer than {MAX_HEAD_BYTES:,} bytes "
                "(at most one such line a minute)"
            ),
        )
        self.evicted = _Summary(
            loop,
            lambda n: (
                f"HTTP: {limits.max_connections:,} connections open, the most allowed: "
                f"closed the oldest idle (else busy) one {n:,} time(s) to make room "
                "(at most one such line a minute; see -http-max-connections)"
            ),
        )

    def __call__(self) -> RequestHandler:
        return GuardedRequestHandler(
            self, header_timeout=self.limits.header_timeout, loop=self._loop, **self._kwargs
        )

    @property
    def open_connections(self) -> int:
        return len(self._live)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        if not isinstance(handler, GuardedRequestHandler):
            return
        self._live[handler] = None
        while len(self._live) > self.limits.max_connections:
            victim = self._oldest(busy=False) or self._oldest(busy=True)
            if victim is None:
                break
            victim.shut()
            self.evicted.note()

    def forget(self, handler: GuardedRequestHandler) -> None:
        self._live.pop(handler, None)

    def _oldest(self, *, busy: bool) -> GuardedRequestHandler | None:
        newest = next(reversed(self._live))  # the connection making room is never the victim
        for handler in self._live:
            if handler is newest:
                return None
            if handler.busy == busy:
                return handler
        return None

    def _make_guarded_request(
        self,
        message: RawRequestMessage,
        payload: StreamReader,
        protocol: RequestHandler,
        writer: AbstractStreamWriter,
        task: asyncio.Task[None],
    ) -> web.BaseRequest:
        if isinstance(protocol, GuardedRequestHandler):
            protocol.request_head_complete()
        return self._inner_factory(message, payload, protocol, writer, task)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        protocol = request.protocol
        guarded = protocol if isinstance(protocol, GuardedRequestHandler) else None
        if guarded is not None:
            guarded.busy = True
        try:
            return await self._inner_handler(request)
        finally:
            if guarded is not None:
                guarded.busy = False


class GuardedAppRunner(web.AppRunner):
    """``web.AppRunner`` whose server is a ``GuardedServer``."""

    def __init__(self, app: web.Application, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=limits.keepalive_timeout, **kwargs)
        self.limits = limits

    async def _make_server(self) -> web.Server:
        return GuardedServer(await super()._make_server(), self.limits)

    @property
    def guarded(self) -> GuardedServer | None:
        server = self.server
        return server if isinstance(server, GuardedServer) else None


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Turn the loop's "socket.accept() out of system resource" reports (a traceback each, many
    a second while descriptors run out) into one warning a minute; pass everything else on."""
    previous = loop.get_exception_handler()
    summary = _Summary(
        loop,
        lambda n: (
            f"HTTP: could not accept {n:,} connection(s): out of file descriptors or "
            "memory (at most one such line a minute)"
        ),
    )

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if (
            isinstance(exc, OSError)
            and exc.errno in _ACCEPT_ERRNOS
            and str(context.get("message", "")).startswith("socket.accept()")
        ):
            summary.note()
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def http_runner(app: web.Application, max_connections: int, **kwargs: Any) -> GuardedAppRunner:
    """The runner ``nara serve`` uses: raises the open-file limit, picks the connection cap and
    quiets accept errors on the running loop. ``kwargs`` go to ``web.AppRunner``."""
    files = raise_open_file_limit()
    limits = ConnectionLimits(connection_cap(files.soft, max_connections))
    if limits.max_connections < (max_connections or MAX_CONNECTIONS_DEFAULT):
        log.info(  # not a warning: common in containers, and the node is fine
            "open-file limit is %s: at most %s HTTP connections at once (raise LimitNOFILE or "
            "ulimit -n for more)",
            f"{files.soft:,}",
            f"{limits.max_connections:,}",
        )
    quiet_accept_errors(asyncio.get_running_loop())
    return GuardedAppRunner(app, limits, **kwargs)
