"""The signing load generator: many naras with real keys, impersonated over one MQTT connection.

Each fake nara has its own soul and Ed25519 key (``nara.core`` derives and signs, exactly as a node
does), announces itself with a hey-there and then posts newspapers whose host uptime grows, so
every newspaper carries a fresh signature. Messages are signed before they are timed.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass, replace

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from nara.core.crypto import SigningKey
from nara.core.events import make_hey_there
from nara.core.identity import Identity, determine_identity, native_soul_custom
from nara.core.status import HostStats, NaraStatus
from nara.core.wire import encode_newspaper

TOPIC_HEY_THERE = "nara/plaza/hey_there"
TOPIC_NEWSPAPER = "nara/newspaper/"


@dataclass
class FakeNara:
    identity: Identity
    key: SigningKey
    chattiness: int

    @property
    def name(self) -> str:
        return self.identity.name

    def hey_there(self, ts_ns: int) -> tuple[str, bytes]:
        event = make_hey_there(self.key, self.name, self.identity.nara_id, ts_ns)
        return TOPIC_HEY_THERE, event.to_json()

    def newspaper(self, uptime_s: int) -> tuple[str, bytes]:
        status = NaraStatus(
            flair="🧪",
            chattiness=self.chattiness,
            version="0.3.0",
            public_key=self.key.public_b64,
            id=self.identity.nara_id,
            transport_mode="mqtt",
        )
        status = replace(status, host_stats=HostStats(uptime=uptime_s, load_avg=0.1))
        return TOPIC_NEWSPAPER + self.name, encode_newspaper(self.key, self.name, status)


def fleet(prefix: str, count: int, seed: int = 1) -> list[FakeNara]:
    """``count`` naras named ``prefix-0000`` …, each with its own soul (deterministic per seed)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        name = f"{prefix}-{i:04d}"
        fingerprint = hashlib.sha256(f"{seed}:{name}".encode()).digest()
        soul = native_soul_custom(fingerprint, name)
        ident = determine_identity(name, soul.text, "benchhost", b"not-this-machine")
        out.append(FakeNara(ident, ident.signing_key(), rng.randint(40, 60)))
    return out


class Publisher:
    """One paho connection that publishes at QoS 0 from its network thread."""

    def __init__(self, host: str, port: int, client_id: str) -> None:
        self._up = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = lambda *a: self._up.set()
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        if not self._up.wait(10):
            raise RuntimeError(f"load generator could not connect to {host}:{port}")

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=0)

    def publish_all(self, messages: list[tuple[str, bytes]], per_s: float = 0.0) -> float:
        """Publish every message (paced at ``per_s`` when given); returns the seconds it took."""
        start = time.perf_counter()
        for i, (topic, payload) in enumerate(messages):
            self.client.publish(topic, payload, qos=0)
            if per_s:
                ahead = start + (i + 1) / per_s - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)
        return time.perf_counter() - start

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until a QoS 1 marker is acknowledged: everything before it reached the broker."""
        info = self.client.publish("bench/flush", b"", qos=1)
        info.wait_for_publish(timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
