"""Idle, half-sent and too many HTTP connections (docs/security.md, "HTTP connections").

Real nara processes, real sockets. The flood runs the node under the common 1,024-descriptor
limit: before the guard, 1,100 half-sent requests took ``/livez`` down and wrote hundreds of MB
of "socket.accept() out of system resource" tracebacks.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import resource
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from nara.http.server import (
    FD_RESERVE,
    HEADER_TIMEOUT_S,
    KEEPALIVE_TIMEOUT_S,
    MAX_CONNECTIONS_DEFAULT,
    MAX_HEAD_BYTES,
    MIN_CONNECTIONS,
    connection_cap,
    quiet_accept_errors,
)
from tests.conftest import NaraProcess
from tests.integration.helpers import SSEStream, until

HALF_REQUEST = (
    b"GET /livez HTTP/1.1\r\nHost: x\r\n"  # the blank line that ends the head never comes
)
FLOOD = 1100
NOFILE = 1024
MARGIN_S = 5.0  # slack for a loaded 2-core machine

# `python -m nara` with RLIMIT_NOFILE (soft and hard) at NOFILE, so it cannot raise it.
LOW_NOFILE_COMMAND = [
    sys.executable,
    "-c",
    "import resource, sys\n"
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({NOFILE}, {NOFILE}))\n"
    "from nara.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n",
]


def address(nara: NaraProcess) -> tuple[str, int]:
    parts = urlsplit(nara.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def connect(addr: tuple[str, int]) -> socket.socket:
    return socket.create_connection(addr, timeout=10)


def read_until_eof(sock: socket.socket, deadline: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes; the time of the EOF."""
    chunks: list[bytes] = []
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            raise AssertionError("the server did not close the connection in time") from None
        except ConnectionResetError:
            return b"".join(chunks), time.monotonic()
        if not data:
            return b"".join(chunks), time.monotonic()
        chunks.append(data)


def livez_on_a_fresh_connection(addr: tuple[str, int]) -> int:
    with socket.create_connection(addr, timeout=5) as sock:
        sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _ = read_until_eof(sock, time.monotonic() + 5)
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0


class LivezProbe:
    """Asks /livez on a fresh connection again and again in a thread; keeps every answer."""

    def __init__(self, addr: tuple[str, int]) -> None:
        self.addr = addr
        self.results: list[tuple[float, int | str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="livez-probe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result: int | str = livez_on_a_fresh_connection(self.addr)
            except (OSError, AssertionError) as exc:
                result = repr(exc)
            self.results.append((time.monotonic(), result))
            self._stop.wait(0.2)

    def stop(self) -> list[tuple[float, int | str]]:
        self._stop.set()
        self._thread.join(10)
        return self.results


@pytest.fixture
def many_descriptors() -> Iterator[None]:
    """This test process holds FLOOD sockets at once: raise its own soft limit for the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = FLOOD + 200
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.fail(f"the test needs {need} open files; the hard limit is {hard} (ulimit -Hn)")
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_flood_of_half_sent_requests_is_closed_and_never_takes_livez_down(
    spawn_nara: Callable[..., NaraProcess], many_descriptors: None
) -> None:
    nara = spawn_nara("flooded", command=LOW_NOFILE_COMMAND)
    addr = address(nara)
    cap = connection_cap(NOFILE, 0)
    assert cap < FLOOD, "the flood must go past the connection cap"
    stream = SSEStream(nara.url + "/events")
    assert stream.status == 200
    probe = LivezProbe(addr)
    selector = selectors.DefaultSelector()  # epoll: more than 1,024 sockets
    opened: dict[socket.socket, float] = {}
    try:
        for _ in range(FLOOD):
            sock = connect(addr)
            sock.sendall(HALF_REQUEST)
            opened[sock] = time.monotonic()
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)

        # Every half-sent connection is closed by the server: evicted for a newer one, or
        # timed out HEADER_TIMEOUT_S after it opened. Wait on all of them at once.
        closed_at: dict[socket.socket, float] = {}
        last_deadline = max(opened.values()) + HEADER_TIMEOUT_S + MARGIN_S
        while len(closed_at) < len(opened) and time.monotonic() < last_deadline:
            for key, _ in selector.select(timeout=0.5):
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                try:
                    data = conn.recv(65536)
                except ConnectionResetError:
                    data = b""
                except BlockingIOError:
                    continue
                if not data:
                    closed_at[conn] = time.monotonic()
                    selector.unregister(conn)
        late = [
            closed_at.get(sock, float("inf")) - at
            for sock, at in opened.items()
            if closed_at.get(sock, float("inf")) - at > HEADER_TIMEOUT_S + MARGIN_S
        ]
        assert not late, f"{len(late)} of {FLOOD} half-sent connections were held too long"

        results = probe.stop()
        failures = [(at, r) for at, r in results if r != 200]
        assert len(results) >= 10, f"the /livez probe hardly ran: {results}"
        assert not failures, f"/livez failed during the flood: {failures[:5]}"
        assert livez_on_a_fresh_connection(addr) == 200

        # The /events stream is busy, not idle: it outlives the flood and both timeouts.
        assert not stream.ended.is_set(), "the /events stream was cut"
        until(lambda: stream.comments, KEEPALIVE_TIMEOUT_S + MARGIN_S, "an /events keep-alive")
        assert not stream.ended.is_set()

        lines = nara.output().splitlines()
        assert len(lines) < 100, f"the flood wrote {len(lines)} log lines"
        assert "Traceback" not in nara.output()
        assert "at most 832 HTTP connections" in nara.output()
    finally:
        probe.stop()
        stream.close()
        selector.close()
        for sock in opened:
            sock.close()


def test_idle_and_slow_connections_time_out_but_an_event_stream_does_not(
    spawn_nara: Callable[..., NaraProcess],
) -> None:
    nara = spawn_nara("patient")
    addr = address(nara)
    stream = SSEStream(nara.url + "/events")
    silent = connect(addr)  # sends nothing at all
    half = connect(addr)
    half.sendall(HALF_REQUEST)
    trickle = connect(addr)  # a slow-loris: one byte of the head at a time
    idle = connect(addr)  # one complete keep-alive request, then nothing
    idle.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
    idle.settimeout(5)
    first = idle.recv(65536)
    answered = time.monotonic()
    assert first.startswith(b"HTTP/1.1 200"), first
    started = time.monotonic()
    try:
        # A head longer than MAX_HEAD_BYTES is refused at once, not held until its deadline.
        big = connect(addr)
        fields = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 4000) for i in range(5))
        assert len(fields) > MAX_HEAD_BYTES  # each field is within aiohttp's 8,190-byte limit
        big.sendall(HALF_REQUEST + fields)
        got, at = read_until_eof(big, started + MARGIN_S)
        assert got.startswith(b"HTTP/1.1 431 "), got
        big.close()

        for byte in HALF_REQUEST[:8]:
            trickle.sendall(bytes([byte]))
            time.sleep(0.5)  # pacing the slow client itself, not waiting for a result
        deadline = started + HEADER_TIMEOUT_S + MARGIN_S

        got, at = read_until_eof(half, deadline)
        assert got.startswith(b"HTTP/1.1 408 "), got
        assert at - started >= HEADER_TIMEOUT_S - 1

        got, at = read_until_eof(silent, deadline)
        assert got == b"" and at - started >= HEADER_TIMEOUT_S - 1

        got, at = read_until_eof(trickle, deadline)
        assert got.startswith(b"HTTP/1.1 408 "), got

        got, at = read_until_eof(idle, answered + KEEPALIVE_TIMEOUT_S + MARGIN_S)
        assert got == b"", got
        assert at - answered >= KEEPALIVE_TIMEOUT_S - 1, "the idle connection was closed early"

        # Past both timeouts the /events stream is still open and still talking.
        until(lambda: stream.comments, KEEPALIVE_TIMEOUT_S + MARGIN_S, "an /events keep-alive")
        assert not stream.ended.is_set(), "the /events stream was cut by a timeout"
        assert time.monotonic() - started > max(HEADER_TIMEOUT_S, KEEPALIVE_TIMEOUT_S)
        assert livez_on_a_fresh_connection(addr) == 200
    finally:
        stream.close()
        for sock in (silent, half, trickle, idle):
            sock.close()


def test_the_node_raises_its_soft_open_file_limit_to_the_hard_one(
    spawn_nara: Callable[..., NaraProcess],
) -> None:
    command = [*LOW_NOFILE_COMMAND]
    command[2] = command[2].replace(f"({NOFILE}, {NOFILE})", f"({NOFILE}, 4096)")
    nara = spawn_nara("raised", command=command)
    limits = Path(f"/proc/{nara.proc.pid}/limits").read_text()
    assert re.search(r"^Max open files\s+4096\s+4096\s", limits, re.M), limits
    assert "open-file limit is" not in nara.output()  # 4,096 leaves room for the default cap
    assert livez_on_a_fresh_connection(address(nara)) == 200


def test_the_connection_cap_stays_below_the_open_file_limit() -> None:
    assert connection_cap(1024, 0) == 1024 - FD_RESERVE
    assert connection_cap(8192, 0) == MAX_CONNECTIONS_DEFAULT
    assert connection_cap(1 << 20, 0) == MAX_CONNECTIONS_DEFAULT
    assert connection_cap(1 << 20, 20_000) == 20_000
    assert connection_cap(1024, 20_000) == 1024 - FD_RESERVE  # a setting cannot exceed it
    assert connection_cap(100, 0) == MIN_CONNECTIONS


def test_when_every_connection_is_busy_the_oldest_makes_room_for_livez(
    spawn_nara: Callable[..., NaraProcess],
) -> None:
    nara = spawn_nara("crowded", "-http-max-connections", str(MIN_CONNECTIONS))
    addr = address(nara)
    streams = [SSEStream(nara.url + "/events") for _ in range(MIN_CONNECTIONS)]
    try:
        until(lambda: all(s.frames for s in streams), 10, "every stream's /events hello")
        assert not any(s.ended.is_set() for s in streams)
        assert livez_on_a_fresh_connection(addr) == 200
        until(streams[0].ended.is_set, 10, "the oldest stream to be closed for /livez")
        assert not any(s.ended.is_set() for s in streams[1:]), "only the oldest makes room"
        assert "Traceback" not in nara.output()
    finally:
        for stream in streams:
            stream.close()


def test_an_event_stream_cannot_hoard_an_unfinished_pipelined_head(
    spawn_nara: Callable[..., NaraProcess],
) -> None:
    """A busy connection is never timed out, so what it may buffer is bounded instead: before,
    an /events stream followed by a megabyte of an unfinished head held about 2 MB each."""
    nara = spawn_nara("hoarded")
    addr = address(nara)
    honest = SSEStream(nara.url + "/events")
    sock = connect(addr)
    try:
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        fields = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 4000) for i in range(5))
        sock.sendall(HALF_REQUEST + fields)
        read_until_eof(sock, time.monotonic() + MARGIN_S)  # closed at once, not at a deadline
        assert livez_on_a_fresh_connection(addr) == 200
        assert not honest.ended.is_set(), "a stream that sends nothing is left alone"
        assert "Traceback" not in nara.output()
    finally:
        sock.close()
        honest.close()


def test_accept_errors_become_one_line_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    """What the loop reports when accept() runs out of descriptors: a traceback each time, many a
    second (measured: 3.8 million lines in 85 s). The filter keeps one line a minute and passes
    every other report on."""
    loop = asyncio.new_event_loop()
    passed_on: list[dict[str, Any]] = []

    def record(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        passed_on.append(context)

    loop.set_exception_handler(record)
    try:
        quiet_accept_errors(loop)
        emfile = OSError(errno.EMFILE, "Too many open files")
        with caplog.at_level(logging.WARNING, logger="nara"):
            for _ in range(1000):
                loop.call_exception_handler(
                    {"message": "socket.accept() out of system resource", "exception": emfile}
                )
            loop.call_exception_handler({"message": "something else", "exception": emfile})
        lines = [r for r in caplog.records if r.name == "nara"]
        assert len(lines) == 1 and "could not accept" in lines[0].getMessage()
        assert lines[0].exc_info is None, "no traceback"
        assert [c["message"] for c in passed_on] == ["something else"]
    finally:
        loop.close()
