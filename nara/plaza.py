"""The plaza adapter: one MQTT connection (aiomqtt over paho), its reconnect loop, and the bridge
between broker bytes and the pure core's inputs and commands.

Connection rules (spec §2.1, hardened): client id = the nara's name plus a random suffix chosen
once per process (``client_id``: the reference uses the bare name, which anyone can take over),
clean session, keepalive 30 s, QoS 0 subscriptions; TLS certificates are verified by default (the
reference never verifies); the first connect is retried like any other, on the schedule of
``reconnect_delay``; every (re)connect re-subscribes and tells the core, which re-announces.

A watchdog notices a broker that stops answering without closing the connection (a frozen
process, a dead middlebox) long before paho's keepalive would: after ``PROBE_IDLE_S`` with nothing
from the broker it sends a probe the broker must answer (an UNSUBSCRIBE of a filter we never
subscribed to: no message on any topic); no answer within ``PROBE_TIMEOUT_S`` and the plaza is
marked not connected at once, the socket is shut down and the normal reconnect schedule runs.

On a hostile plaza (docs/security.md): ``publish`` never raises and refuses a topic that is not a
valid MQTT publish topic before paho sees it; failures are counted by reason and logged at most
once a minute per reason; a flood of incoming messages neither starves the event loop nor writes
one log line per message dropped from the full incoming queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
import secrets
import socket
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, cast
from urllib.parse import unquote, urlsplit

import aiomqtt
import certifi
import paho.mqtt.client as mqtt

from nara.config import ConfigError

log = logging.getLogger("nara.plaza")

TCP_SCHEMES = {"tcp": 1883, "mqtt": 1883}
TLS_SCHEMES = {"tls": 8883, "ssl": 8883, "mqtts": 8883, "mqtt+ssl": 8883, "tcps": 8883}
WS_SCHEMES = {"ws": 80, "wss": 443}

# Reconnect schedule (see reconnect_delay and docs/security.md "Reconnect").
RECONNECT_STEPS_S: Final = (1.0, 2.0, 4.0)
RECONNECT_STEADY_S: Final = 5.0
RECONNECT_PATIENT_AFTER_S: Final = 300.0
RECONNECT_PATIENT_S: Final = 25.0
RECONNECT_JITTER: Final = 0.2
# A connection that held this long was a real one: the next loss starts the schedule afresh.
# A broker that accepts us and drops us straight away keeps climbing it instead.
STABLE_CONNECTION_S: Final = 60.0

MAX_QUEUED_INCOMING: Final = 10_000
PUMP_SLICE_S: Final = 0.005  # the message pump yields to the event loop after this much work
READ_BATCH: Final = 32  # packets the pump has paho parse at once, and messages it takes at once
MAX_TOPIC_BYTES: Final = 65_535
LOG_SUMMARY_EVERY_S: Final = 60.0

KEEPALIVE_S: Final = 30
# The client id: the name (cut to fit) and CLIENT_ID_SUFFIX_HEX random hex digits, at most
# CLIENT_ID_MAX_BYTES in all. 48 bits: guessing it takes ~1.4e14 connects on average.
CLIENT_ID_SUFFIX_HEX: Final = 12
CLIENT_ID_MAX_BYTES: Final = 64

# The watchdog (see the module docstring and docs/security.md "A frozen broker"). A dead broker
# is noticed within PROBE_IDLE_S + PROBE_TIMEOUT_S (+ a scheduling tick), well inside the 30 s
# keepalive; SILENT_LIMIT_S is the age of the last word from the broker past which /readyz says
# not ready whatever the connection flag says.
PROBE_IDLE_S: Final = 10.0
PROBE_TIMEOUT_S: Final = 5.0
PROBE_TOPIC: Final = "nara/watchdog/probe"  # never subscribed to: the broker only acknowledges
ABORT_GRACE_S: Final = 2.0
SILENT_LIMIT_S: Final = float(KEEPALIVE_S)

# Publish failures, by reason: a small fixed set, so /metrics has a bounded series count.
NOT_CONNECTED: Final = "not_connected"
INVALID_TOPIC: Final = "invalid_topic"
INVALID_MESSAGE: Final = "invalid_message"
BROKER_ERROR: Final = "broker_error"
TIMEOUT: Final = "timeout"
PUBLISH_FAILURE_REASONS: Final = (
    NOT_CONNECTED,
    INVALID_TOPIC,
    INVALID_MESSAGE,
    BROKER_ERROR,
    TIMEOUT,
)

# What mosquitto refuses in a topic (it disconnects the client for it) and paho lets through:
# C0/C1 controls and DEL (NUL included), and the Unicode noncharacters U+FDD0-U+FDEF and
# U+xxFFFE/U+xxFFFF (the latter checked in topic_problem).
_BAD_TOPIC_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef]")


class BrokerURLError(ConfigError):
    """-mqtt-host cannot be used; one readable line (exit 2)."""


class BrokerSilent(aiomqtt.MqttError):
    """The broker left a probe unanswered: the connection is torn down and retried."""


def client_id(name: str) -> str:
    """``{name}-{12 random hex digits}``, the name cut so the whole id is at most 64 bytes.

    The suffix comes from ``secrets`` (the OS's CSPRNG), never from the node's seeded ``rand``:
    a client id anyone can predict lets anyone kick us off the broker by connecting with it."""
    prefix = name[: CLIENT_ID_MAX_BYTES - CLIENT_ID_SUFFIX_HEX - 1]
    while len(prefix.encode("utf-8")) > CLIENT_ID_MAX_BYTES - CLIENT_ID_SUFFIX_HEX - 1:
        prefix = prefix[:-1]  # names are ASCII by rule; this only guards a caller that is not
    return f"{prefix}-{secrets.token_hex(CLIENT_ID_SUFFIX_HEX // 2)}"


@dataclass(frozen=True)
class BrokerAddress:
    scheme: str
    host: str
    port: int
    tls: bool
    websocket: bool
    path: str

    @property
    def display(self) -> str:
        """The URL without credentials, safe to log."""
        suffix = self.path if self.websocket else ""
        return f"{self.scheme}://{self.host}:{self.port}{suffix}"


def parse_broker_url(url: str) -> BrokerAddress:
    """tcp:// mqtt:// tls:// ssl:// mqtts:// ws:// wss:// URLs; a bare host means tcp://host:1883."""
    text = url.strip()
    if "://" not in text:
        text = "tcp://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    ports = TCP_SCHEMES | TLS_SCHEMES | WS_SCHEMES
    if scheme not in ports:
        raise BrokerURLError(
            f"-mqtt-host: unsupported scheme {scheme!r} (use tcp, mqtt, tls, ssl, mqtts, ws or wss)"
        )
    if not parts.hostname:
        raise BrokerURLError("-mqtt-host: the URL has no host")
    try:
        port = parts.port or ports[scheme]
    except ValueError:
        raise BrokerURLError("-mqtt-host: the port is not a number") from None
    return BrokerAddress(
        scheme=scheme,
        host=parts.hostname,
        port=port,
        tls=scheme in TLS_SCHEMES or scheme == "wss",
        websocket=scheme in WS_SCHEMES,
        path=unquote(parts.path) or "/mqtt",
    )


def tls_context(insecure: bool) -> ssl.SSLContext:
    """System trust store (SSL_CERT_FILE honoured), falling back to certifi's bundle when the
    host has none (a static binary in an empty root). ``insecure`` turns verification off."""
    context = ssl.create_default_context()
    if not context.cert_store_stats().get("x509_ca"):
        context.load_verify_locations(cafile=certifi.where())
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def reconnect_delay(attempt: int, down_for_s: float, rand: random.Random) -> float:
    """Seconds to wait before reconnect attempt ``attempt + 1``, ``down_for_s`` into an outage.

    1, 2, 4 s, then a steady 5 s for the first 5 minutes, so a nara is back within ~6 s of the
    broker's return; after 5 minutes of outage the broker is probably down for good, and 25 s
    spares it. Each delay is scaled by a random factor in [0.8, 1.2) so naras don't stampede.
    """
    if down_for_s >= RECONNECT_PATIENT_AFTER_S:
        base = RECONNECT_PATIENT_S
    elif 1 <= attempt <= len(RECONNECT_STEPS_S):
        base = RECONNECT_STEPS_S[attempt - 1]
    else:
        base = RECONNECT_STEADY_S
    return float(base * rand.uniform(1.0 - RECONNECT_JITTER, 1.0 + RECONNECT_JITTER))


def topic_problem(topic: str) -> str:
    """Why ``topic`` cannot be published to, as a short phrase; "" when it is a valid MQTT
    publish topic (non-empty, at most 65535 UTF-8 bytes, no wildcard, NUL or control character,
    valid UTF-8 with no noncharacter: what paho and mosquitto accept)."""
    if not topic:
        return "empty topic"
    try:
        size = len(topic.encode("utf-8"))
    except UnicodeEncodeError:
        return "topic is not valid UTF-8"
    if size > MAX_TOPIC_BYTES:
        return f"topic is {size} bytes long (at most {MAX_TOPIC_BYTES})"
    if "+" in topic or "#" in topic:
        return "wildcard in topic"
    if _BAD_TOPIC_CHAR.search(topic):
        return "control character in topic"
    if any(ord(c) & 0xFFFE == 0xFFFE for c in topic):
        return "noncharacter in topic"
    return ""


def shown(text: str, limit: int = 60) -> str:
    """Peer-influenced text made safe for one log line: repr (escapes controls), truncated."""
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return TIMEOUT
    if isinstance(exc, aiomqtt.MqttCodeError) and exc.rc == mqtt.MQTT_ERR_NO_CONN:
        return NOT_CONNECTED
    if isinstance(exc, aiomqtt.MqttError):
        return TIMEOUT if str(exc) == "Operation timed out" else BROKER_ERROR
    if isinstance(exc, ValueError | TypeError):
        return INVALID_MESSAGE  # paho: payload too large, bad QoS; the topic was checked before
    return BROKER_ERROR


@dataclass
class RateLimitedLog:
    """One log line for the first occurrence of each kind, then at most one summary line per
    ``every_s`` of what happened since: a flood of failures never becomes a flood of lines."""

    logger: logging.Logger
    clock: Callable[[], float] = time.monotonic
    every_s: float = LOG_SUMMARY_EVERY_S
    _seen: set[str] = field(default_factory=set)
    _pending: Counter[str] = field(default_factory=Counter)
    _last_summary: float | None = None

    def event(self, kind: str, message: str, *args: object) -> None:
        if kind not in self._seen:
            self._seen.add(kind)
            self.logger.warning(message, *args)
            if self._last_summary is None:
                self._last_summary = self.clock()
            return
        self._pending[kind] += 1
        self.flush()

    def flush(self) -> None:
        """Log the summary if one is due (called on every event, and may be called any time)."""
        if not self._pending:
            return
        now = self.clock()
        if self._last_summary is not None and now - self._last_summary < self.every_s:
            return
        parts = ", ".join(f"{kind} {n}" for kind, n in sorted(self._pending.items()))
        self.logger.warning("plaza problems since the last report: %s", parts)
        self._pending.clear()
        self._last_summary = now


class _CountingQueue(asyncio.Queue[aiomqtt.Message]):
    """aiomqtt's incoming queue. When it is full a message is dropped and counted here, instead
    of aiomqtt logging one warning per dropped message. Every arrival, kept or dropped, is also
    reported to ``on_arrival``: it proves the broker alive (the watchdog)."""

    def __init__(
        self,
        maxsize: int = 0,
        *,
        on_overflow: Callable[[], None],
        on_arrival: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(maxsize)
        self._on_overflow = on_overflow
        self._on_arrival = on_arrival

    def put_nowait(self, item: aiomqtt.Message) -> None:
        self._on_arrival()
        if self.full():
            self._on_overflow()
            return
        super().put_nowait(item)


def _read_more(client: aiomqtt.Client, incoming: _CountingQueue) -> bool:
    """Let paho parse up to ``READ_BATCH`` more packets that are already in the socket, by the
    very call aiomqtt's reader makes on a wake-up (same thread). True when that queued at least
    one message. Stops at the first read that queues nothing (the socket is dry, or it was a
    control packet) or fails; a failure is handed to aiomqtt as its reader hands it, so the
    iterator raises as on any broken connection."""
    paho = client._client  # aiomqtt keeps its paho client there
    before = incoming.qsize()
    for _ in range(READ_BATCH):
        size = incoming.qsize()
        if paho.socket() is None or incoming.full():
            break
        try:
            rc = paho.loop_read()
        except Exception as exc:  # what aiomqtt's reader callback does with it
            if not client._disconnected.done():
                client._disconnected.set_exception(exc)
            break
        if rc != mqtt.MQTT_ERR_SUCCESS or incoming.qsize() == size:
            break
    return incoming.qsize() > before


def _shut_down(client: aiomqtt.Client) -> None:
    """Shut the connection's socket down under paho, whatever the transport (TCP, TLS, a
    WebSocket wrapper): paho's reader then sees end-of-file and reports the connection lost, as
    for any broken connection. Works even when a frozen peer has stopped reading, where a
    graceful DISCONNECT could wait for buffer space."""
    sock = client._client.socket()  # aiomqtt keeps its paho client there
    if sock is None:
        return
    try:
        fd = sock.fileno()
        if fd < 0:
            return
        with socket.socket(fileno=os.dup(fd)) as dup:  # shutdown acts on the shared connection
            dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: nothing to shut down


def _close_quietly(client: aiomqtt.Client) -> None:
    """After a failed connect, close the socket paho may still hold (a CONNECT sent to a
    frozen broker). Otherwise the broker, once it wakes, would answer it and hold a ghost
    session under our client id; paho would close it only at its own keepalive."""
    paho = client._client
    if paho.socket() is not None:
        with contextlib.suppress(OSError):
            paho.disconnect()


Deliver = Callable[[str, bytes], None]
StateHook = Callable[[bool], None]


class Plaza:
    """Owns the MQTT client. ``run()`` is a long-lived task; ``publish`` is safe at any time and
    never raises.

    Counters for /metrics: ``connects``; ``publish_failures`` (a Counter by reason, one key per
    ``PUBLISH_FAILURE_REASONS``) and ``publish_failures_total``; ``incoming_overflow`` (messages
    dropped because aiomqtt's incoming queue was full); ``watchdog_trips`` (connections torn down
    because the broker stopped answering). ``silent_s()`` is the age of the broker's last word,
    ``responsive`` whether it is connected and has spoken within ``SILENT_LIMIT_S``.

    ``client_id`` is chosen once, here, and kept for every reconnect of this process."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        name: str,
        username: str,
        password: str,
        insecure: bool,
        subscriptions: list[str],
        deliver: Deliver,
        on_state: StateHook,
        rand: random.Random,
        max_queued_incoming: int = MAX_QUEUED_INCOMING,
    ) -> None:
        self.address = address
        self.name = name
        self.client_id = client_id(name)
        self._username = username or None
        self._password = password or None
        self._insecure = insecure
        self._subscriptions = subscriptions
        self._deliver = deliver
        self._on_state = on_state
        self._rand = rand
        self._max_queued_incoming = max_queued_incoming
        self._client: aiomqtt.Client | None = None
        self._incoming: _CountingQueue | None = None  # the newest client's incoming queue
        self.connected = asyncio.Event()
        self.connects = 0
        self.publish_failures: Counter[str] = Counter(dict.fromkeys(PUBLISH_FAILURE_REASONS, 0))
        self.incoming_overflow = 0
        self.watchdog_trips = 0
        self.last_probe_rtt_s: float | None = None
        self._last_heard: float | None = None  # time.monotonic() of the broker's last word
        self._trip: str = ""  # why the watchdog tore the current connection down, if it did
        self._problems = RateLimitedLog(log)

    @property
    def publish_failures_total(self) -> int:
        return sum(self.publish_failures.values())

    def _heard(self) -> None:
        self._last_heard = time.monotonic()

    def silent_s(self) -> float | None:
        """Seconds since the broker last said anything (a message, CONNACK or a probe's answer);
        None before it ever did."""
        if self._last_heard is None:
            return None
        return time.monotonic() - self._last_heard

    @property
    def responsive(self) -> bool:
        """Connected, and the broker spoke within ``SILENT_LIMIT_S`` (what /readyz reports)."""
        silent = self.silent_s()
        return self.connected.is_set() and silent is not None and silent <= SILENT_LIMIT_S

    def _count_overflow(self) -> None:
        self.incoming_overflow += 1
        self._problems.event(
            "incoming_overflow",
            "incoming message queue full (%d): dropping plaza messages until it drains",
            self._max_queued_incoming,
        )

    def _new_client(self) -> aiomqtt.Client:
        addr = self.address

        def queue_type(maxsize: int = 0) -> _CountingQueue:
            queue = _CountingQueue(
                maxsize, on_overflow=self._count_overflow, on_arrival=self._heard
            )
            self._incoming = queue  # the pump drains it directly (``_pump``)
            return queue

        return aiomqtt.Client(
            addr.host,
            addr.port,
            identifier=self.client_id,
            username=self._username,
            password=self._password,
            clean_session=True,
            keepalive=KEEPALIVE_S,
            timeout=10,
            transport="websockets" if addr.websocket else "tcp",
            websocket_path=addr.path if addr.websocket else None,
            tls_context=tls_context(self._insecure) if addr.tls else None,
            tls_insecure=True if (addr.tls and self._insecure) else None,
            queue_type=cast("type[asyncio.Queue[aiomqtt.Message]]", queue_type),
            max_queued_incoming_messages=self._max_queued_incoming,
            logger=logging.getLogger("nara.plaza.mqtt"),
        )

    async def run(self) -> None:
        """Connect, subscribe, pump messages; on any loss wait ``reconnect_delay`` and retry."""
        loop = asyncio.get_running_loop()
        attempt = 0
        down_since: float | None = None
        while True:
            client = self._new_client()
            incoming = self._incoming
            assert incoming is not None
            connected_at: float | None = None
            self._trip = ""
            try:
                async with client:
                    self._heard()  # CONNACK
                    self._client = client
                    for topic in self._subscriptions:
                        await client.subscribe(topic, qos=0)
                    connected_at = loop.time()
                    self.connects += 1
                    self.connected.set()
                    log.info("connected to the plaza at %s as %s", self.address.display, self.name)
                    self._on_state(True)
                    await self._serve(client, incoming, loop)
            except aiomqtt.MqttError as exc:
                if connected_at is None:
                    _close_quietly(client)  # no half-open CONNECT left to come alive later
                now = loop.time()
                if down_since is None or (
                    connected_at is not None and now - connected_at >= STABLE_CONNECTION_S
                ):
                    attempt, down_since = 0, now
                attempt += 1
                delay = reconnect_delay(attempt, now - down_since, self._rand)
                was = self.connected.is_set() or bool(self._trip)
                self._lost()
                if self._trip:
                    log.warning(
                        "plaza %s stopped answering (%s); reconnecting in %.1f s",
                        self.address.display,
                        self._trip,
                        delay,
                    )
                elif was or attempt == 1:
                    log.warning(
                        "plaza %s unreachable (%s); retrying in %.1f s",
                        self.address.display,
                        exc,
                        delay,
                    )
                else:
                    self._problems.event(
                        "unreachable",
                        "plaza %s unreachable (%s); retrying in %.1f s "
                        "(further attempts are summarised once a minute)",
                        self.address.display,
                        exc,
                        delay,
                    )
                await asyncio.sleep(delay)
            finally:
                self._lost()

    async def _serve(
        self, client: aiomqtt.Client, incoming: _CountingQueue, loop: asyncio.AbstractEventLoop
    ) -> None:
        """The message pump and the watchdog, side by side, until either ends (always with an
        ``aiomqtt.MqttError``: the connection broke, or the watchdog found the broker silent)."""
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._pump(client, incoming, loop), name="plaza-pump")
                tasks.create_task(self._watch(client), name="plaza-watchdog")
        except ExceptionGroup as group:
            raise group.exceptions[0] from None  # the first to fail names the cause

    async def _watch(self, client: aiomqtt.Client) -> None:
        """Probe the broker whenever it has been silent for ``PROBE_IDLE_S``; when a probe goes
        unanswered for ``PROBE_TIMEOUT_S``, mark the plaza lost at once (so /readyz says so),
        shut the socket down (the pump then ends as on any broken connection) and, should that
        not end it, raise ``BrokerSilent``. Returns only when the connection is already gone."""
        while True:
            silent = self.silent_s() or 0.0
            if silent < PROBE_IDLE_S:
                await asyncio.sleep(PROBE_IDLE_S - silent)
                continue
            sent = time.monotonic()
            try:
                await client.unsubscribe(PROBE_TOPIC, timeout=PROBE_TIMEOUT_S)
            except aiomqtt.MqttCodeError:
                return  # the connection is already gone: the pump ends and reports why
            except aiomqtt.MqttError:  # "Operation timed out"
                pass
            else:
                self._heard()
                self.last_probe_rtt_s = time.monotonic() - sent
                continue
            if (self.silent_s() or 0.0) < PROBE_IDLE_S:
                continue  # a message arrived while we waited: alive, merely slow to answer
            self.watchdog_trips += 1
            self._trip = (
                f"no answer to a probe within {PROBE_TIMEOUT_S:g} s, "
                f"silent for {self.silent_s() or 0.0:.1f} s"
            )
            self._lost()
            _shut_down(client)
            await asyncio.sleep(ABORT_GRACE_S)
            raise BrokerSilent(self._trip)

    async def _pump(
        self, client: aiomqtt.Client, incoming: _CountingQueue, loop: asyncio.AbstractEventLoop
    ) -> None:
        """Hand every message to the core; yield to the event loop after ``PUMP_SLICE_S`` of
        work, so HTTP (/livez) stays responsive under a flood.

        aiomqtt's iterator costs a task, an ``asyncio.wait`` and an event-loop round per message,
        and paho parses one packet per socket wake-up. So after each message the iterator gives,
        the pump reads on by itself within the slice: whatever is queued, then whatever paho can
        parse from the socket without blocking (``_read_more``). A burst then costs one wake-up
        (and one /events write per client) per slice instead of per message."""
        slice_end = loop.time() + PUMP_SLICE_S
        async for first in client.messages:
            self._take(first)
            while loop.time() < slice_end:
                if incoming.empty() and not _read_more(client, incoming):
                    break  # nothing more for now: back to waiting on the iterator
                for _ in range(min(incoming.qsize(), READ_BATCH)):
                    self._take(incoming.get_nowait())
            if loop.time() >= slice_end:
                await asyncio.sleep(0)
                slice_end = loop.time() + PUMP_SLICE_S
        raise aiomqtt.MqttError("the message stream ended")

    def _take(self, message: aiomqtt.Message) -> None:
        payload = message.payload
        if not isinstance(payload, bytes | bytearray):
            payload = b"" if payload is None else str(payload).encode()
        self._deliver(message.topic.value, bytes(payload))

    def _lost(self) -> None:
        self._client = None
        if self.connected.is_set():
            self.connected.clear()
            self._on_state(False)

    def _failed(self, reason: str, topic: str, detail: object) -> bool:
        self.publish_failures[reason] += 1
        self._problems.event(
            reason, "publish to %s failed (%s): %s", shown(topic), reason, shown(str(detail), 200)
        )
        return False

    async def publish(self, topic: str, payload: bytes, qos: int = 0, wait_s: float = 5.0) -> bool:
        """True once the message is handed to the broker (QoS 0) or acknowledged (QoS 1/2).
        Never raises: a failure is counted by reason, logged rate-limited, and returns False."""
        problem = topic_problem(topic)
        if problem:
            return self._failed(INVALID_TOPIC, topic, problem)
        client = self._client
        if client is None:
            return self._failed(NOT_CONNECTED, topic, "not connected")
        try:
            await client.publish(topic, payload, qos=qos, retain=False, timeout=wait_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return self._failed(_failure_reason(exc), topic, exc)
        return True
