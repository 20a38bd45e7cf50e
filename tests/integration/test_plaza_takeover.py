"""The plaza connection against a client-id takeover and a frozen broker (docs/security.md,
"Client-id takeover" and "A frozen broker"; nara/plaza.py).

- The MQTT broker keeps one connection per client id: a new CONNECT with an id in use kicks the
  old one off. The reference uses the nara's name as its client id, so anyone who knows a name
  (every message carries it) could keep that nara off the plaza. nara's client id is now the name
  plus 48 random bits chosen once per process; connecting with the bare name kicks nobody.
- A broker that stops answering without closing the connection (SIGSTOP here: the kernel still
  accepts our bytes) went unnoticed for 45.5 s while /readyz said ready. The watchdog probes an
  idle broker and, when the probe goes unanswered, marks the plaza lost and reconnects.

Real mosquitto throughout (SIGSTOP/SIGCONT on the fixture's process); naras as processes, or an
in-process ``nara.plaza.Plaza`` where the watchdog's timings are shortened.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

import nara.plaza
from nara.plaza import (
    CLIENT_ID_MAX_BYTES,
    PROBE_IDLE_S,
    PROBE_TIMEOUT_S,
    SILENT_LIMIT_S,
    Plaza,
    client_id,
    parse_broker_url,
)
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza as Probe
from tests.integration.helpers import Stranger, metric, unique_name, until
from tests.integration.tls_broker import Listener, make_certs, start_broker

Spawn = Callable[..., NaraProcess]
STEADY = {"NARA_MISSING_AFTER": "300"}
TAKEOVERS = 20


# ---- tools -----------------------------------------------------------------------------------


class Squatter:
    """A raw paho client that connects with a chosen client id and records being kicked."""

    def __init__(self, broker: Broker, identifier: str) -> None:
        self.connected = threading.Event()
        self.kicked = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=identifier, clean_session=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        until(self.connected.is_set, 10, f"squatter {identifier!r} connected")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if not rc.is_failure:
            self.connected.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.kicked.set()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def readyz(nara: NaraProcess) -> tuple[int, dict[str, Any]]:
    status, body, _ = nara.get("/readyz")
    return status, json.loads(body)


def connection(nara: NaraProcess) -> tuple[float | None, float | None]:
    """(nara_plaza_connected, nara_plaza_connects_total)."""
    text = nara.metrics()
    return metric(text, "nara_plaza_connected"), metric(text, "nara_plaza_connects_total")


def on_plaza(nara: NaraProcess) -> bool:
    status, body = readyz(nara)
    return status == 200 and body["checks"]["plaza"] is True and connection(nara)[0] == 1.0


@pytest.fixture
def thawed(mosquitto: Broker) -> Iterator[Broker]:
    """The broker, sent SIGCONT at the end whatever happened, so the fixture can stop it."""
    yield mosquitto
    if mosquitto.proc.poll() is None:
        mosquitto.proc.send_signal(signal.SIGCONT)


def in_process_plaza(url: str, name: str) -> Plaza:
    return Plaza(
        parse_broker_url(url),
        name=name,
        username="",
        password="",
        insecure=False,
        subscriptions=["nara/test/#"],
        deliver=lambda topic, payload: None,
        on_state=lambda connected: None,
        rand=random.Random(1),
    )


async def wait_until(predicate: Callable[[], bool], within: float, what: str) -> float:
    """Poll inside the event loop; the seconds it took. AssertionError at the deadline."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not predicate():
        if loop.time() - start > within:
            raise AssertionError(f"timed out after {within:.1f} s waiting for {what}")
        await asyncio.sleep(0.02)
    return loop.time() - start


# ---- client id -------------------------------------------------------------------------------


def test_client_id_is_the_name_and_a_random_suffix() -> None:
    """``{name}-{12 hex digits}``, different every time it is drawn, at most 64 bytes even for a
    64-character name (the name is cut, the suffix never); a Plaza draws it once and keeps it."""
    ids = {client_id("alice") for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"alice-[0-9a-f]{12}", i) for i in ids)
    long_name = "n" * 64
    long_id = client_id(long_name)
    assert len(long_id.encode()) <= CLIENT_ID_MAX_BYTES
    assert re.fullmatch(r"n{51}-[0-9a-f]{12}", long_id)

    async def identifiers() -> tuple[str, list[str]]:
        plaza = in_process_plaza("tcp://127.0.0.1:1", "bob")
        return plaza.client_id, [plaza._new_client().identifier for _ in range(3)]

    chosen, used = asyncio.run(identifiers())
    assert re.fullmatch(r"bob-[0-9a-f]{12}", chosen)
    assert used == [chosen] * 3  # the same id on every reconnect of this process


def test_the_bare_name_as_client_id_is_kicked_off(mosquitto: Broker) -> None:
    """Why the suffix: with the reference's client id (the bare name) one CONNECT from anyone
    kicks the nara off the broker. (The adapter forced back to the old id, in process.)"""
    name = unique_name("bare")

    async def scenario() -> Plaza:
        plaza = in_process_plaza(mosquitto.url, name)
        plaza.client_id = name  # the reference's rule
        async with asyncio.TaskGroup() as tg:
            runner = tg.create_task(plaza.run())
            await wait_until(plaza.connected.is_set, 10, "connected")
            squatter = await asyncio.to_thread(Squatter, mosquitto, name)
            try:
                await wait_until(lambda: not plaza.connected.is_set(), 10, "kicked off")
            finally:
                await asyncio.to_thread(squatter.close)
            await wait_until(lambda: plaza.connects == 2, 15, "back after the squatter left")
            runner.cancel()
        return plaza

    plaza = asyncio.run(scenario())
    assert plaza.connects == 2


def test_connecting_with_the_nodes_name_as_client_id_does_not_kick_it(
    mosquitto: Broker, spawn_nara: Spawn, tmp_path: Any
) -> None:
    """The attack of the finding: 20 connections with the nara's name as client id. Before, each
    one kicked the node (20 connects, 20 reconnects). Now the node stays connected throughout:
    ``nara_plaza_connected`` 1 and ``nara_plaza_connects_total`` 1 after every one, and a
    message published after the last one reaches it on its first connection."""
    name = unique_name("target")
    alice = spawn_nara(name, broker=mosquitto, env=STEADY)
    until(lambda: on_plaza(alice), 20, f"{name} on the plaza")
    assert connection(alice) == (1.0, 1.0)

    squatters: list[Squatter] = []
    try:
        for _ in range(TAKEOVERS):
            squatters.append(Squatter(mosquitto, name))  # each kicks the squatter before it
            assert connection(alice) == (1.0, 1.0)
            assert readyz(alice)[0] == 200
        assert sum(s.kicked.is_set() for s in squatters) == TAKEOVERS - 1
        # Proof the node's connection outlived the last squatter: a message published after it
        # arrives, and the node still counts one connection.
        stranger = Stranger.new("witness")
        probe = Probe(mosquitto.host, mosquitto.port, topics=("nara/nothing",))
        try:
            probe.publish("nara/plaza/hey_there", stranger.hey_there().to_json())
        finally:
            probe.close()
        until(lambda: stranger.name in alice.statuses(), 10, f"{name} hears the witness")
        assert connection(alice) == (1.0, 1.0)
    finally:
        for squatter in squatters:
            squatter.close()
    assert "unreachable" not in alice.output()
    assert name + "-" not in alice.output()  # the client id itself is never logged


# ---- a frozen broker -------------------------------------------------------------------------


def test_watchdog_probes_an_idle_broker_without_publishing(
    mosquitto: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an idle but healthy broker the watchdog's probes are answered (no false alarm, no
    reconnect) and put nothing on any topic: a subscriber to ``#`` sees no message at all."""
    monkeypatch.setattr(nara.plaza, "PROBE_IDLE_S", 0.2)
    monkeypatch.setattr(nara.plaza, "PROBE_TIMEOUT_S", 1.0)
    watcher = Probe(mosquitto.host, mosquitto.port, topics=("#",))
    rtts: list[float] = []

    async def scenario() -> Plaza:
        plaza = in_process_plaza(mosquitto.url, unique_name("idle"))
        async with asyncio.TaskGroup() as tg:
            runner = tg.create_task(plaza.run())
            await wait_until(plaza.connected.is_set, 10, "connected")

            def probed() -> bool:
                if plaza.last_probe_rtt_s is not None and plaza.last_probe_rtt_s not in rtts:
                    rtts.append(plaza.last_probe_rtt_s)
                return len(rtts) >= 5

            await wait_until(probed, 10, "five answered probes")
            assert plaza.connected.is_set() and plaza.responsive
            runner.cancel()
        return plaza

    try:
        plaza = asyncio.run(scenario())
    finally:
        watcher.close()
    print(f"probe round trips: {', '.join(f'{r * 1000:.2f} ms' for r in rtts)}")
    assert plaza.connects == 1 and plaza.watchdog_trips == 0
    assert watcher.messages() == []


TRANSPORTS = {
    "tcp": Listener("tcp"),
    "tls": Listener("tls", tls=True),
    "ws": Listener("ws", websockets=True),
    "wss": Listener("wss", websockets=True, tls=True),
}


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_watchdog_notices_a_frozen_broker_in_process(
    transport: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The adapter alone, with a 0.5 s idle time and a 0.5 s probe timeout, over every transport
    (the socket is shut down under paho's TCP, TLS and WebSocket wrappers alike): SIGSTOP the
    broker and ``connected`` clears within about a second, ``responsive`` with it,
    ``watchdog_trips`` counts one; SIGCONT and it is connected again. The fallback (raising
    ``BrokerSilent`` after ``ABORT_GRACE_S``) is pushed out of reach: the shut-down socket alone
    must end the connection."""
    monkeypatch.setattr(nara.plaza, "PROBE_IDLE_S", 0.5)
    monkeypatch.setattr(nara.plaza, "PROBE_TIMEOUT_S", 0.5)
    monkeypatch.setattr(nara.plaza, "ABORT_GRACE_S", 600.0)
    listeners = [TRANSPORTS[transport]] + ([] if transport == "tcp" else [Listener("plain")])
    certs = make_certs(tmp_path / "pki")
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca))
    broker = start_broker(tmp_path / "broker", listeners, certs=certs)

    async def scenario() -> tuple[Plaza, float, float]:
        plaza = in_process_plaza(broker.url(transport), unique_name("frozen"))
        async with asyncio.TaskGroup() as tg:
            runner = tg.create_task(plaza.run())
            await wait_until(plaza.connected.is_set, 10, "connected")
            broker.proc.send_signal(signal.SIGSTOP)
            try:
                noticed = await wait_until(lambda: not plaza.connected.is_set(), 10, "noticed")
                assert not plaza.responsive and plaza.watchdog_trips == 1
            finally:
                broker.proc.send_signal(signal.SIGCONT)
            back = await wait_until(plaza.connected.is_set, 20, "reconnected")
            runner.cancel()
        return plaza, noticed, back

    try:
        plaza, noticed, back = asyncio.run(scenario())
    finally:
        broker.stop()
    print(f"{transport}: noticed after {noticed:.2f} s, back {back:.2f} s after SIGCONT")
    assert noticed < 0.5 + 0.5 + 1.0
    assert plaza.connects >= 2 and plaza.watchdog_trips == 1


def test_a_frozen_broker_makes_the_node_not_ready_then_it_comes_back(
    thawed: Broker, spawn_nara: Spawn
) -> None:
    """The finding, with the real timings: SIGSTOP the broker and /readyz turns 503 with
    ``checks.plaza`` false well inside the 30 s keepalive (it took 45.5 s, and /readyz stayed
    200 meanwhile); ``plaza_silent_s`` shows the silence growing; /livez answers throughout.
    SIGCONT and the node reconnects and /readyz is 200 again."""
    mosquitto = thawed
    name = unique_name("frozen")
    alice = spawn_nara(name, broker=mosquitto, env=STEADY)
    until(lambda: on_plaza(alice), 20, f"{name} on the plaza")
    status, body = readyz(alice)
    assert status == 200 and 0 <= body["plaza_silent_s"] <= SILENT_LIMIT_S

    mosquitto.proc.send_signal(signal.SIGSTOP)
    stopped = time.monotonic()
    samples: list[tuple[float, int, Any]] = []

    def not_ready() -> bool:
        assert alice.get("/livez")[0] == 200
        code, data = readyz(alice)
        samples.append((time.monotonic() - stopped, code, data["plaza_silent_s"]))
        return code == 503 and data["checks"]["plaza"] is False

    until(not_ready, 30, "/readyz 503 with the broker frozen", interval=0.2)
    noticed = time.monotonic() - stopped
    assert connection(alice) == (0.0, 1.0)
    silent = samples[-1][2]
    assert silent is not None and silent >= PROBE_IDLE_S
    assert noticed <= PROBE_IDLE_S + PROBE_TIMEOUT_S + 5.0  # 20 s: inside the 30 s keepalive
    assert len(re.findall("stopped answering", alice.output())) == 1

    mosquitto.proc.send_signal(signal.SIGCONT)
    thawed_at = time.monotonic()
    until(lambda: on_plaza(alice), 30, f"{name} back on the plaza", interval=0.2)
    back = time.monotonic() - thawed_at
    status, body = readyz(alice)
    assert status == 200 and body["plaza_silent_s"] < SILENT_LIMIT_S
    connects = connection(alice)[1]
    assert connects is not None and connects >= 2
    print(
        f"SIGSTOP → /readyz 503 after {noticed:.1f} s (plaza_silent_s {silent}); "
        f"SIGCONT → /readyz 200 after {back:.1f} s; connects {connects:.0f}"
    )
