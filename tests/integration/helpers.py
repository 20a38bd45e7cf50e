"""Test-side tools for the integration suite: a raw MQTT client (paho) to publish forged or garbage
payloads and to watch the plaza, throwaway nara identities that sign with ``nara.core`` encoders,
a streaming Server-Sent Events reader, and a Prometheus text parser.

Everything that waits takes a deadline and polls a condition; nothing sleeps blindly.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from nara.core import gojson
from nara.core.crypto import SigningKey
from nara.core.events import (
    SVC_HEY_THERE,
    HeyThere,
    SyncEvent,
    make_chau,
    make_hey_there,
    new_event,
)
from nara.core.gojson import RawJSON
from nara.core.identity import Identity, determine_identity, native_soul_custom
from nara.core.status import NaraObservation, NaraStatus, encode_status, status_to_dict
from nara.core.wire import encode_newspaper, howdy_message
from tests.conftest import URL_LINE

# ---- waiting ---------------------------------------------------------------------------------


def until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until truthy; AssertionError naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


# ---- MQTT ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    at: float  # time.monotonic() when received

    def json(self) -> Any:
        return json.loads(self.payload)


class Plaza:
    """A raw MQTT client on the test broker: records every message on its subscriptions."""

    def __init__(self, host: str, port: int, topics: Iterable[str] = ("nara/#",)) -> None:
        self.topics = list(topics)
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._connected = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-probe-{uuid.uuid4().hex[:12]}",
            clean_session=True,
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        until(self._connected.is_set, 10, f"test MQTT client connected to {host}:{port}")

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        if rc.is_failure:
            return
        results = [client.subscribe(t, qos=0) for t in self.topics]
        for result, _ in results:
            assert result == mqtt.MQTT_ERR_SUCCESS, f"subscribe failed: {result}"
        self._pending_subacks = {mid for _, mid in results}
        client.on_subscribe = self._on_subscribe

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any, props: Any
    ) -> None:
        self._pending_subacks.discard(mid)
        if not self._pending_subacks:
            self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        self._connected.clear()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._messages.append(Message(msg.topic, bytes(msg.payload), time.monotonic()))

    def messages(self, topic: str | None = None, since: float = 0.0) -> list[Message]:
        with self._lock:
            return [
                m for m in self._messages if (topic is None or m.topic == topic) and m.at >= since
            ]

    def wait(
        self,
        topic: str,
        predicate: Callable[[Message], bool] = lambda m: True,
        timeout: float = 20.0,
        since: float = 0.0,
        what: str = "",
    ) -> Message:
        """The first message on ``topic`` since ``since`` that matches ``predicate``."""

        def find() -> Message | None:
            for m in self.messages(topic, since):
                try:
                    if predicate(m):
                        return m
                except (ValueError, KeyError, TypeError):
                    continue
            return None

        return until(find, timeout, what or f"a matching message on {topic}")

    def publish(self, topic: str, payload: bytes | str) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK, so the message is on its way."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published(), f"publish to {topic} was not acknowledged"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def sync_event_from(message: Message, svc: str, sender: str) -> bool:
    """Predicate helper: a JSON SyncEvent of ``svc`` whose payload ``From`` is ``sender``."""
    data = message.json()
    key = svc.replace("-", "_")
    return bool(data.get("svc") == svc and data.get(key, {}).get("From") == sender)


# ---- identities and signed payloads ----------------------------------------------------------


def make_identity(name: str, secret: bytes | None = None) -> Identity:
    """A throwaway custom-mode identity for ``name`` (its soul derived from random bytes)."""
    fingerprint = hashlib.sha256(secret if secret is not None else os.urandom(32)).digest()
    soul = native_soul_custom(fingerprint, name)
    return determine_identity(name, soul.text, "testhost", b"not-this-machine")


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def now_ns() -> int:
    return time.time_ns()


@dataclass
class Stranger:
    """A nara that lives only inside the test: it signs what the test publishes."""

    identity: Identity
    key: SigningKey = field(init=False)

    def __post_init__(self) -> None:
        self.key = self.identity.signing_key()

    @classmethod
    def new(cls, prefix: str = "stranger") -> Stranger:
        return cls(make_identity(unique_name(prefix)))

    @property
    def name(self) -> str:
        return self.identity.name

    def hey_there(self, ts: int | None = None) -> SyncEvent:
        return make_hey_there(self.key, self.name, self.identity.nara_id, ts or now_ns())

    def chau(self, ts: int | None = None) -> SyncEvent:
        return make_chau(self.key, self.name, self.identity.nara_id, ts or now_ns())

    def status(self, **changes: Any) -> NaraStatus:
        base = NaraStatus(
            flair="🧪",
            chattiness=50,
            version="0.3.0",
            public_key=self.key.public_b64,
            id=self.identity.nara_id,
            transport_mode="mqtt",
        )
        return replace(base, **changes)

    def newspaper(self, **changes: Any) -> bytes:
        return encode_newspaper(self.key, self.name, self.status(**changes))


def newspaper_signed_by(signer: SigningKey, name: str, status: NaraStatus) -> bytes:
    """A newspaper whose Status is signed by ``signer`` whatever ``status.public_key`` says."""
    status_bytes = encode_status(status)
    return gojson.dumps(
        {"From": name, "Status": RawJSON(status_bytes), "Signature": signer.sign_b64(status_bytes)}
    )


def hey_there_claiming(key_of: SigningKey, signer: SigningKey, name: str) -> bytes:
    """A well-formed hey-there for ``name`` carrying ``key_of``'s public key, signed by ``signer``.

    With ``signer`` different from ``key_of`` this is a forgery: the id matches the content, the
    envelope is complete, only the signature does not verify under the claimed key.
    """
    payload = HeyThere(from_=name, public_key=key_of.public_b64, mesh_ip="", id="")
    return new_event(SVC_HEY_THERE, payload, now_ns(), signer, name).to_json()


# ---- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SSEFrame:
    event: str
    data: Any
    id: str | None
    at: float

    def __repr__(self) -> str:
        return f"SSEFrame(id={self.id}, event={self.event!r}, data={self.data!r})"


class SSEStream:
    """Reads ``/events`` in a background thread and keeps every frame.

    Stopping shuts the socket down, which ends the blocking read: no read timeouts needed.
    """

    def __init__(self, url: str, last_event_id: int | None = None) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        self.conn.connect()
        self._sock = self.conn.sock
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", parts.path or "/", headers=headers)
        self.response = self.conn.getresponse()
        self._sock.settimeout(None)  # long-lived stream: only close() ends the read
        self.status = self.response.status
        self.headers = dict(self.response.headers)
        self.frames: list[SSEFrame] = []
        self.comments: list[str] = []
        self.ended = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="sse-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event, frame_id = "message", None
        data: list[str] = []
        try:
            while True:
                raw = self.response.readline()
                if not raw:
                    break
                line = raw.decode("utf-8").rstrip("\r\n")
                if line == "":
                    if data:
                        text = "\n".join(data)
                        try:
                            payload: Any = json.loads(text)
                        except ValueError:
                            payload = text
                        with self._lock:
                            self.frames.append(SSEFrame(event, payload, frame_id, time.monotonic()))
                    event, frame_id, data = "message", None, []
                elif line.startswith(":"):
                    self.comments.append(line)
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        event = value
                    elif name == "data":
                        data.append(value)
                    elif name == "id":
                        frame_id = value
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # the stream ended or was shut down by close()
        finally:
            self.ended.set()

    def snapshot(self) -> list[SSEFrame]:
        with self._lock:
            return list(self.frames)

    def wait(
        self, predicate: Callable[[SSEFrame], bool], timeout: float = 20.0, what: str = ""
    ) -> SSEFrame:
        def find() -> SSEFrame | None:
            return next((f for f in self.snapshot() if predicate(f)), None)

        return until(find, timeout, what or "a matching SSE frame")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)  # the reader sees EOF; only then close the connection under it
        self.conn.close()

    def __enter__(self) -> SSEStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- Prometheus ------------------------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Samples of a Prometheus text exposition as (name, labels, value)."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        labels = dict(_LABEL.findall(match.group(3) or ""))
        samples.append((match.group(1), labels, float(match.group(4))))
    return samples


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the one sample ``name{labels...}``; None when absent."""
    for sample_name, sample_labels, value in parse_metrics(text):
        if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
            return value
    return None


def dropped(text: str, reason: str) -> float:
    value = metric(text, "nara_messages_dropped_total", reason=reason)
    return value if value is not None else 0.0


def howdy_signed_by(signer: SigningKey, from_: str, to: str, seq: int, me: NaraStatus) -> bytes:
    """A howdy whose signature is made by ``signer``, whatever ``me.public_key`` claims."""
    return gojson.dumps(
        {
            "From": from_,
            "To": to,
            "Seq": seq,
            "You": NaraObservation().to_json(),
            "Neighbors": None,
            "Me": status_to_dict(me),
            "Signature": signer.sign_b64(howdy_message(from_, to, seq)),
        }
    )


# ---- processes -------------------------------------------------------------------------------


def start_naras(
    spawn: Callable[..., Any], names: Iterable[str], *args: str, **kwargs: Any
) -> list[Any]:
    """Start several naras at once (their imports overlap) and wait until each one listens."""
    naras = [spawn(name, *args, wait=False, **kwargs) for name in names]
    for nara in naras:

        def listening(nara: Any = nara) -> str | None:
            if nara.proc.poll() is not None:
                raise AssertionError(f"{nara.name} exited with {nara.proc.returncode}")
            match = URL_LINE.search(nara.output())
            return match.group(1) if match else None

        nara.url = until(listening, 30, f"{nara.name} to listen", interval=0.1)
    return naras


def self_entry(nara: Any) -> dict[str, Any]:
    """The node's own item in its /api.json."""
    data = nara.json("/api.json")
    return next(item for item in data["naras"] if item["Name"] == data["server"])
