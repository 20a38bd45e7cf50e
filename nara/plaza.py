"""The plaza adapter: one MQTT connection (aiomqtt over paho), its reconnect loop, and the bridge
between broker bytes and the pure core's inputs and commands.

Connection rules (spec §2.1, hardened): client id = the nara's name, clean session, keepalive 30 s,
QoS 0 subscriptions; TLS certificates are verified by default (the reference never verifies);
the first connect is retried like any other, with jittered exponential backoff; every (re)connect
re-subscribes and tells the core, which re-announces.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiomqtt
import certifi

from nara.config import ConfigError

log = logging.getLogger("nara.plaza")

TCP_SCHEMES = {"tcp": 1883, "mqtt": 1883}
TLS_SCHEMES = {"tls": 8883, "ssl": 8883, "mqtts": 8883, "mqtt+ssl": 8883, "tcps": 8883}
WS_SCHEMES = {"ws": 80, "wss": 443}
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0


class BrokerURLError(ConfigError):
    """-mqtt-host cannot be used; one readable line (exit 2)."""


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


Deliver = Callable[[str, bytes], None]
StateHook = Callable[[bool], None]


class Plaza:
    """Owns the MQTT client. ``run()`` is a long-lived task; ``publish`` is safe at any time."""

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
    ) -> None:
        self.address = address
        self.name = name
        self._username = username or None
        self._password = password or None
        self._insecure = insecure
        self._subscriptions = subscriptions
        self._deliver = deliver
        self._on_state = on_state
        self._rand = rand
        self._client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.connects = 0
        self.publish_failures = 0

    def _new_client(self) -> aiomqtt.Client:
        addr = self.address
        return aiomqtt.Client(
            addr.host,
            addr.port,
            identifier=self.name,
            username=self._username,
            password=self._password,
            clean_session=True,
            keepalive=30,
            timeout=10,
            transport="websockets" if addr.websocket else "tcp",
            websocket_path=addr.path if addr.websocket else None,
            tls_context=tls_context(self._insecure) if addr.tls else None,
            tls_insecure=True if (addr.tls and self._insecure) else None,
            max_queued_incoming_messages=10_000,
            logger=logging.getLogger("nara.plaza.mqtt"),
        )

    async def run(self) -> None:
        """Connect, subscribe, pump messages; on any loss wait a jittered backoff and retry."""
        failures = 0
        while True:
            client = self._new_client()
            try:
                async with client:
                    self._client = client
                    for topic in self._subscriptions:
                        await client.subscribe(topic, qos=0)
                    failures = 0
                    self.connects += 1
                    self.connected.set()
                    log.info("connected to the plaza at %s as %s", self.address.display, self.name)
                    self._on_state(True)
                    async for message in client.messages:
                        payload = message.payload
                        if not isinstance(payload, bytes | bytearray):
                            payload = b"" if payload is None else str(payload).encode()
                        self._deliver(message.topic.value, bytes(payload))
            except aiomqtt.MqttError as exc:
                failures += 1
                delay = self._backoff(failures)
                was = self.connected.is_set()
                self._lost()
                level = logging.WARNING if was or failures == 1 else logging.INFO
                log.log(
                    level,
                    "plaza %s unreachable (%s); retrying in %.1f s",
                    self.address.display,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
            finally:
                self._lost()

    def _lost(self) -> None:
        self._client = None
        if self.connected.is_set():
            self.connected.clear()
            self._on_state(False)

    def _backoff(self, failures: int) -> float:
        """1, 2, 4 ... 60 s, each times a random factor in [0.5, 1.5) so naras don't stampede."""
        base = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** min(failures - 1, 10))
        return float(base * self._rand.uniform(0.5, 1.5))

    async def publish(self, topic: str, payload: bytes, qos: int = 0, wait_s: float = 5.0) -> bool:
        client = self._client
        if client is None:
            self.publish_failures += 1
            return False
        try:
            await client.publish(topic, payload, qos=qos, retain=False, timeout=wait_s)
        except (TimeoutError, aiomqtt.MqttError) as exc:
            self.publish_failures += 1
            log.warning("publish to %s failed: %s", topic, exc)
            return False
        return True
