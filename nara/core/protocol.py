"""Presence logic, sans-io: (state, input, now) → commands. The plaza adapter feeds it; the shell
executes what it returns. No clocks, sockets or randomness of its own: ``now`` and a random source
come in as values, which is what lets tests drive it step by step.

Inputs: ``on_connected``, ``on_disconnected``, ``on_message(topic, payload)``, ``tick`` (about
once a second) and ``shutdown``. Outputs: ``Publish`` (to the plaza), ``Appended`` (a new ledger
entry for the live feed), ``StatusChanged``, ``Dropped`` (counted in /metrics) and ``Note`` (a log).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nara.core import wire
from nara.core.events import (
    SVC_CHAU,
    SVC_HEY_THERE,
    SVC_SEEN,
    Seen,
    SyncEvent,
    make_chau,
    make_hey_there,
    make_observation,
    new_event,
)
from nara.core.howdy import Coordinators
from nara.core.identity import Identity
from nara.core.ledger import Entry, Ledger
from nara.core.projections.neighbourhood import Neighbour, Neighbourhood
from nara.core.projections.online import MISSING, OFFLINE, ONLINE, OnlineStatusProjection
from nara.core.selfstatus import SelfState, Sensors
from nara.core.social import newspaper_interval_s

NS = 1_000_000_000
TOPIC_HEY_THERE = "nara/plaza/hey_there"
TOPIC_CHAU = "nara/plaza/chau"
TOPIC_HOWDY = "nara/plaza/howdy"
TOPIC_NEWSPAPER_PREFIX = "nara/newspaper/"
HEY_THERE_MIN_GAP_S = 5  # sender-side rate limit (presence_heythere.go)
HEY_THERE_EVERY_S = (120.0, 240.0)  # §4.2 mitigation: well inside the 300 s MISSING window
CONNECT_JITTER_S = (0.0, 5.0)
SEEN_EVENT_EVERY_S = 60  # at most one local "seen" ledger event per nara per minute


def subscriptions(name: str) -> list[str]:
    """Topics a nara listens to (spec §8 Must 3 + the ledger request topic)."""
    return [
        TOPIC_HEY_THERE,
        TOPIC_CHAU,
        TOPIC_HOWDY,
        TOPIC_NEWSPAPER_PREFIX + "#",
        f"nara/ledger/{name}/request",
    ]


class RandomSource(Protocol):
    def uniform(self, a: float, b: float, /) -> float: ...


@dataclass(frozen=True, slots=True)
class Publish:
    topic: str
    payload: bytes
    qos: int = 0


@dataclass(frozen=True, slots=True)
class Appended:
    entry: Entry


@dataclass(frozen=True, slots=True)
class StatusChanged:
    name: str
    online: str
    previous: str


@dataclass(frozen=True, slots=True)
class Dropped:
    topic: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class Note:
    level: str  # "debug" | "info" | "warning"
    message: str


Command = Publish | Appended | StatusChanged | Dropped | Note


@dataclass(frozen=True, slots=True)
class NodeSettings:
    ledger_capacity: int = 20_000
    missing_after_s: float = 300.0
    gossip_missing_after_s: float = 3600.0
    memory_mode: str = "medium"
    public_url: str = ""
    hostname: str = ""


@dataclass(slots=True)
class _Timers:
    connected: bool = False
    announce_at: int = 0  # first hey-there + newspaper after (re)connect, ns; 0 = none pending
    hey_there_at: int = 0
    newspaper_at: int = 0
    last_hey_there: int = 0


class Node:
    """One nara's presence state. Every method returns the commands the shell must carry out."""

    def __init__(
        self, identity: Identity, settings: NodeSettings, rand: RandomSource, start_ns: int
    ) -> None:
        self.identity = identity
        self.name = identity.name
        self.settings = settings
        self.rand = rand
        self.key = identity.signing_key()
        self.ledger = Ledger(settings.ledger_capacity)
        self.projection = OnlineStatusProjection()
        self.neighbourhood = Neighbourhood(self.name)
        self.me = SelfState(identity, settings.hostname, settings.public_url, start_ns, rand)
        self.howdys = Coordinators()
        self.t = _Timers()

    # ---- inputs -------------------------------------------------------------------------------

    def on_connected(self, now: int) -> list[Command]:
        """(Re)connected to the plaza: announce again after 0-5 s of jitter (spec §8 Must 4)."""
        self.t.connected = True
        self.t.announce_at = now + self._jitter(CONNECT_JITTER_S)
        return [Note("info", "plaza connected; announcing shortly")]

    def on_disconnected(self, now: int) -> list[Command]:
        self.t.connected = False
        self.t.announce_at = 0
        return []

    def on_message(self, topic: str, payload: bytes, now: int) -> list[Command]:
        if topic == TOPIC_HEY_THERE:
            return self._on_sync_event(topic, payload, SVC_HEY_THERE, now)
        if topic == TOPIC_CHAU:
            return self._on_sync_event(topic, payload, SVC_CHAU, now)
        if topic == TOPIC_HOWDY:
            return self._on_howdy(payload, now)
        if topic.startswith(TOPIC_NEWSPAPER_PREFIX):
            return self._on_newspaper(topic, payload, now)
        if topic == f"nara/ledger/{self.name}/request":
            return self._on_ledger_request(topic, payload)
        return [Dropped(topic, "unknown_topic", "no handler for this topic")]

    def tick(self, now: int, sensors: Sensors) -> list[Command]:
        """Timers: announcements, newspapers, howdy replies, status maintenance (about 1/s)."""
        out: list[Command] = []
        self.me.update(now, sensors, self._peer_buzz(), len(self.neighbourhood))
        if self.t.connected:
            if self.t.announce_at and now >= self.t.announce_at:
                gap_end = self.t.last_hey_there + HEY_THERE_MIN_GAP_S * NS
                if self.t.last_hey_there and now < gap_end:
                    self.t.announce_at = gap_end  # a quick reconnect: never two within 5 s
                else:
                    self.t.announce_at = 0
                    out += self._hey_there(now)
                    out += self._newspaper(now)
            if self.t.hey_there_at and now >= self.t.hey_there_at:
                out += self._hey_there(now)
            if self.t.newspaper_at and now >= self.t.newspaper_at:
                out += self._newspaper(now)
            for target, seq, neighbours in self.howdys.due(now, self._howdy_candidates):
                out += self._send_howdy(target, seq, neighbours, now)
        out += self._maintain(now)
        return out

    def shutdown(self, now: int) -> list[Command]:
        """Graceful exit: a signed chau (QoS 1 so the shell can wait for the broker's ack)."""
        event = make_chau(self.key, self.name, self.identity.nara_id, now)
        out = self._append(event)
        if self.t.connected:
            out.append(Publish(TOPIC_CHAU, event.to_json(), qos=1))
        self.t.connected = False
        return out

    # ---- handlers -----------------------------------------------------------------------------

    def _on_sync_event(self, topic: str, payload: bytes, svc: str, now: int) -> list[Command]:
        decoded = wire.decode_sync_event(payload, svc)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        sender = decoded.payload.from_  # type: ignore[union-attr]
        if sender == self.name:
            return []  # our own message, echoed by the broker
        key = decoded.payload.public_key  # type: ignore[union-attr]
        gate = self._key_gate(topic, sender, key)
        if isinstance(gate, Dropped):
            return [gate]
        entry, created = self.neighbourhood.ensure(sender)
        entry.public_key = key
        entry.nara_id = decoded.payload.id or entry.nara_id  # type: ignore[union-attr]
        out: list[Command] = gate
        if svc == SVC_HEY_THERE:
            entry.mesh_ip = decoded.payload.mesh_ip  # type: ignore[union-attr]
            out += self._first_seen_or_restart(entry, created, now)
            out += self._append(decoded)
            self.me.buzz.bump(1)
            self.howdys.arm(sender, now + self._jitter((0.0, 3.0)))
        else:
            out += self._append(decoded)
            entry.last_seen = max(entry.last_seen, now // NS)
            self.me.buzz.bump(2)
        out += self._maintain_one(entry, now)
        return out

    def _on_newspaper(self, topic: str, payload: bytes, now: int) -> list[Command]:
        sender = topic[len(TOPIC_NEWSPAPER_PREFIX) :]
        if not sender or "/" in sender:
            return [Dropped(topic, "invalid_topic", "newspaper topic without a single name")]
        if sender == self.name:
            return []
        decoded = wire.decode_newspaper(sender, payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        gate = self._key_gate(topic, sender, decoded.status.public_key)
        if isinstance(gate, Dropped):
            return [gate]
        entry, created = self.neighbourhood.ensure(sender)
        entry.adopt_status(decoded.status)
        entry.status_raw = decoded.status_raw
        entry.mesh_ip = decoded.status.mesh_ip
        out: list[Command] = gate
        if created:
            out += self._first_seen_or_restart(entry, True, now)
            # A stranger: say hello so it learns of us too (presence_newspaper.go:166-173).
            out += self._hey_there(now)
        out += self._seen(entry, "newspaper", now)
        out += self._maintain_one(entry, now)
        return out

    def _on_howdy(self, payload: bytes, now: int) -> list[Command]:
        decoded = wire.decode_howdy(payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(TOPIC_HOWDY, decoded.reason.value, decoded.detail)]
        if decoded.from_ == self.name:
            return []
        self.howdys.observe(decoded.to, decoded.from_, [n.name for n in decoded.neighbors])
        gate = self._key_gate(TOPIC_HOWDY, decoded.from_, decoded.me.public_key)
        if isinstance(gate, Dropped):
            return [gate]
        entry, created = self.neighbourhood.ensure(decoded.from_)
        entry.adopt_status(decoded.me)
        out: list[Command] = gate
        if created:
            out += self._first_seen_or_restart(entry, True, now)
        out += self._seen(entry, "howdy", now)
        if decoded.to == self.name:
            self.me.votes.add(decoded.from_, decoded.you.start_time, decoded.me.host_stats.uptime)
            self.me.restarts = max(self.me.restarts, decoded.you.restarts)
            for neighbour in decoded.neighbors:
                known = self.neighbourhood.get(neighbour.name)
                if known is not None:  # third-party claims never create a nara
                    known.merge_observation(neighbour.observation)
        self.me.buzz.bump(1)
        out += self._maintain_one(entry, now)
        return out

    def _on_ledger_request(self, topic: str, payload: bytes) -> list[Command]:
        decoded = wire.decode_ledger_request(payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        if decoded.from_ == self.name or not decoded.from_ or "/" in decoded.from_:
            return []
        # We keep no social events, so the honest answer is an empty list (spec §8 Should).
        body = wire.encode_ledger_response(self.name, [])
        return [Publish(f"nara/ledger/{decoded.from_}/response", body)]

    # ---- helpers ------------------------------------------------------------------------------

    def _jitter(self, bounds: tuple[float, float]) -> int:
        return int(self.rand.uniform(*bounds) * NS)

    def _append(self, event: SyncEvent) -> list[Command]:
        entry = self.ledger.append(event)
        if entry is None:
            return []
        self.projection.apply(event)
        return [Appended(entry)]

    def _key_gate(self, topic: str, name: str, key: str) -> Dropped | list[Command]:
        """Stricter than the reference (§3.7): every plaza message is self-certified by the key it
        carries, so while a nara is ONLINE or its chau is what is claimed, a message under its
        name with another key is an impostor's. A key may change only across a restart."""
        entry = self.neighbourhood.get(name)
        if entry is None or not entry.public_key or entry.public_key == key:
            return []
        if entry.online == ONLINE or topic == TOPIC_CHAU:
            return Dropped(topic, wire.DropReason.KEY_MISMATCH.value, f"{name} has another key")
        return [Note("warning", f"public key of {name} changed (a new soul?)")]

    def _threshold(self, entry: Neighbour) -> float:
        """The MISSING threshold plus a grace of 10 % (at most 30 s), so a quiet Go nara that posts
        a newspaper every 300 s does not flap (spec §8 Must 9)."""
        base = self.settings.missing_after_s
        if entry.transport_mode == "gossip":
            base = self.settings.gossip_missing_after_s
        return base + min(30.0, base * 0.1)

    def _first_seen_or_restart(self, entry: Neighbour, created: bool, now: int) -> list[Command]:
        """Observations of our own: first sight of a nara, or its return after OFFLINE/MISSING."""
        now_s = now // NS
        entry.last_seen = max(entry.last_seen, now_s)
        if created or not entry.start_time:
            entry.start_time = entry.start_time or now_s
            self.me.buzz.bump(3)
            return self._observe(entry, "first-seen", now)
        if entry.online in (OFFLINE, MISSING):
            entry.restarts += 1
            entry.last_restart = now_s
            self.me.buzz.bump(3)
            return self._observe(entry, "restart", now)
        return []

    def _observe(self, entry: Neighbour, obs_type: str, now: int, state: str = "") -> list[Command]:
        """Record one of our own (unsigned) observations of a nara in the ledger (§3.3)."""
        event = make_observation(
            observer=self.name,
            observer_id=self.identity.nara_id,
            subject=entry.name,
            subject_id=entry.nara_id,
            obs_type=obs_type,
            start_time=entry.start_time,
            restart_num=entry.restarts,
            last_restart=entry.last_restart,
            online_state=state,
            ts_ns=now,
        )
        return self._append(event)

    def _seen(self, entry: Neighbour, via: str, now: int) -> list[Command]:
        """Record fresh evidence as a local, signed "seen" event, at most once a minute per nara.

        Newspapers and howdys create no ledger events in the reference, which makes quiet peers
        flap to MISSING (spec §4.2); a rate-limited seen event keeps the projection honest.
        """
        entry.last_seen = max(entry.last_seen, now // NS)
        word = self.projection.word(entry.name)
        fresh = (
            word is not None and word.status == ONLINE and now - word.ts < SEEN_EVENT_EVERY_S * NS
        )
        if fresh:
            return []
        payload = Seen(
            observer=self.name,
            observer_id=self.identity.nara_id,
            subject=entry.name,
            subject_id=entry.nara_id,
            via=via,
        )
        return self._append(new_event(SVC_SEEN, payload, now, self.key, self.name))

    def _maintain(self, now: int) -> list[Command]:
        out: list[Command] = []
        for entry in self.neighbourhood:
            out += self._maintain_one(entry, now)
        return out

    def _maintain_one(self, entry: Neighbour, now: int) -> list[Command]:
        """Copy the projection's verdict into our observation; record every change."""
        status = self.projection.status(entry.name, now, self._threshold(entry))
        if not status or status == entry.online:
            return []
        previous, entry.online = entry.online, status
        out: list[Command] = [StatusChanged(entry.name, status, previous)]
        if status == MISSING or (status == OFFLINE and previous == ONLINE):
            self.me.buzz.bump(10 if status == MISSING else 2)
        if status == MISSING:  # chau already put OFFLINE in the ledger; MISSING is ours to say
            out += self._observe(entry, "status-change", now, status)
        return out

    def _hey_there(self, now: int) -> list[Command]:
        if not self.t.connected:
            return []
        if self.t.last_hey_there and now - self.t.last_hey_there < HEY_THERE_MIN_GAP_S * NS:
            return []
        self.t.last_hey_there = now
        self.t.hey_there_at = now + self._jitter(HEY_THERE_EVERY_S)
        event = make_hey_there(self.key, self.name, self.identity.nara_id, now)
        self.me.buzz.bump(2)
        return [*self._append(event), Publish(TOPIC_HEY_THERE, event.to_json())]

    def _newspaper(self, now: int) -> list[Command]:
        status = self.own_status(now, with_observations=False)
        body = wire.encode_newspaper(self.key, self.name, status)
        self.t.newspaper_at = now + newspaper_interval_s(status.chattiness) * NS
        return [Publish(TOPIC_NEWSPAPER_PREFIX + self.name, body)]

    def _howdy_candidates(self, target: str, mentioned: set[str]) -> list[Neighbour]:
        """Up to 10 naras the target has not heard of yet: online first, then oldest news."""
        others = [n for n in self.neighbourhood if n.name != target and n.name not in mentioned]
        others.sort(key=lambda n: (n.online != ONLINE, n.last_seen))
        return others[:5] if self.settings.memory_mode == "short" else others[:10]

    def _send_howdy(
        self, target: str, seq: int, neighbours: list[Neighbour], now: int
    ) -> list[Command]:
        entry = self.neighbourhood.get(target)
        you = entry.observation() if entry is not None else wire.NaraObservation()
        listed = tuple(
            wire.HowdyNeighbor(n.name, n.public_key, n.mesh_ip, n.nara_id, n.observation())
            for n in neighbours
        )
        body = wire.encode_howdy(
            self.key, self.name, target, seq, you, listed, self.own_status(now, True)
        )
        return [Publish(TOPIC_HOWDY, body)]

    def _peer_buzz(self) -> list[int]:
        return [
            n.status.buzz for n in self.neighbourhood if n.online == ONLINE and n.status is not None
        ]

    # ---- read side (HTTP views use these) -----------------------------------------------------

    def own_status(self, now: int, with_observations: bool) -> wire.NaraStatus:
        observations = None
        if with_observations:
            observations = {n.name: n.observation() for n in self.neighbourhood}
            observations[self.name] = self.me.observation(now)
        return self.me.status(
            now,
            observations=observations,
            ledger_total=len(self.ledger),
            ledger_by_service=self.ledger.by_service(),
            memory_mode=self.settings.memory_mode,
            ledger_capacity=self.settings.ledger_capacity,
        )

    @property
    def connected(self) -> bool:
        return self.t.connected
