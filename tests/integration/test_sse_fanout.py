"""The live stream under a crowd (nara/feed.py, nara/http/sse.py), over real sockets: clients
that connect and never read do not hold up one that reads, nor the node."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, SSEStream, Stranger, metric, until

Spawn = Callable[..., NaraProcess]
ENV = {"NARA_MISSING_AFTER": "300", "NARA_NEW_NARAS_PER_S": "1000", "NARA_NEW_NARAS_BURST": "1000"}


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def never_reading(url: str, path: str) -> socket.socket:
    """An /events client that sends its request and then never reads a byte (tiny receive
    buffer, so the node's writes to it back up as soon as possible)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect((host, int(port)))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    return sock


def test_clients_that_never_read_do_not_hold_up_one_that_does(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """Ten streams (five with cards) that never read stay connected while 150 strangers
    announce themselves; a reading client still gets every one of their hey-theres, in ledger
    order, and the node keeps answering."""
    alice = spawn_nara("alice", broker=mosquitto, env=ENV)
    until(lambda: metric(alice.metrics(), "nara_plaza_connected") == 1, 15, "alice on the plaza")
    stalled = [
        never_reading(alice.url, "/events?cards=1" if i % 2 else "/events") for i in range(10)
    ]
    try:
        with SSEStream(alice.url + "/events") as reader:
            reader.wait(lambda f: f.event == "connected", 10, "the reader's first frame")
            until(lambda: metric(alice.metrics(), "nara_sse_clients") == 11, 10, "11 streams")
            strangers = [Stranger.new(f"crowd{i}") for i in range(150)]
            for stranger in strangers:
                plaza.publish("nara/plaza/hey_there", stranger.hey_there().to_json())
            last = strangers[-1].name
            reader.wait(
                lambda f: f.event == "hey-there" and f.data["emitter"] == last,
                30,
                "the last stranger's hey-there on the reading stream",
            )
            frames = [f for f in reader.snapshot() if f.event == "hey-there"]
            seen = {f.data["emitter"] for f in frames}
            assert {s.name for s in strangers} <= seen
            ids = [int(f.id) for f in frames if f.id is not None]
            assert ids == sorted(set(ids))
            code, _, _ = alice.get("/livez")
            assert code == 200
            assert metric(alice.metrics(), "nara_sse_clients") == 11  # nobody was cut off
    finally:
        for sock in stalled:
            with contextlib.suppress(OSError):
                sock.close()
