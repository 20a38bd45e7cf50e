"""Presence logic, sans-io: (state, input, now) → commands. The plaza adapter feeds it; the shell
executes what it returns. No clocks, sockets or randomness of its own: ``now`` and a random source
come in as values, which is what lets tests drive it step by step.

Inputs: ``on_connected``, ``on_disconnected``, ``on_message(topic, payload)``, ``tick`` (about
once a second) and ``shutdown``. Outputs: ``Publish`` (to the plaza), ``Appended`` (a new ledger
entry for the live feed), ``StatusChanged``, ``Dropped`` (counted in /metrics) and ``Note`` (a log).
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from nara.core import barrio, clout, journeys, teases, trends, wire
from nara.core import checkpoints as cps
from nara.core.checkpoints import CheckpointBook, Trinity
from nara.core.events import (
    SVC_CHAU,
    SVC_HEY_THERE,
    SVC_SEEN,
    SVC_SOCIAL,
    Chau,
    HeyThere,
    Seen,
    Social,
    SyncEvent,
    make_chau,
    make_hey_there,
    make_observation,
    make_social,
    new_event,
)
from nara.core.howdy import Coordinators
from nara.core.identity import Identity
from nara.core.ledger import Entry, Ledger
from nara.core.names import valid_name
from nara.core.observations import ObservationBook, derive
from nara.core.payloads import Checkpoint
from nara.core.projections.neighbourhood import (
    EPOCH_S,
    MAX_CLAIMED_RESTARTS,
    Neighbour,
    Neighbourhood,
)
from nara.core.projections.online import MISSING, OFFLINE, ONLINE, OnlineStatusProjection
from nara.core.ratelimit import TokenBucket
from nara.core.selfstatus import Remembered, SelfState, Sensors
from nara.core.settings import NodeSettings
from nara.core.social import newspaper_interval_s
from nara.core.socialbook import HearsayBook, is_meaningful, plausible, verified_social

NS = 1_000_000_000
TOPIC_HEY_THERE = "nara/plaza/hey_there"
TOPIC_CHAU = "nara/plaza/chau"
TOPIC_HOWDY = "nara/plaza/howdy"
TOPIC_NEWSPAPER_PREFIX = "nara/newspaper/"
TOPIC_SOCIAL = "nara/plaza/social"
TEASES_PER_S = 0.1  # our own teases: one per 10 s at most, a burst of 3
SOCIAL_PER_S = (5.0, 20)  # social events we take from the plaza (rate, burst)
HISTORY_ASK_AFTER_S = 30  # boot recovery asks for social history this long after start
HISTORY_PEERS = 5  # boot_recovery.go:478-513
TEASE_BOOT_S = 120  # no teasing while booting: isBooting is uptime < 120 s (nara.go:217-224)
TEASE_DEDUP_S = 30  # someone else's tease of the same target and reason (social_network.go:127)
MAX_TEASES_DUE = 64  # teases waiting out their jitter
HEY_THERE_MIN_GAP_S = 5  # sender-side rate limit (presence_heythere.go)
HEY_THERE_EVERY_S = (120.0, 240.0)  # §4.2 mitigation: well inside the 300 s MISSING window
CONNECT_JITTER_S = (0.0, 5.0)
CLOUT_EVERY_S = 10  # clout is recomputed at most this often (a pass over the ledger)
SEEN_EVENT_EVERY_S = 60  # at most one local "seen" ledger event per nara per minute
ESTABLISHED_S = 600  # a nara we have known this long may vote, confirm others, and is kept
MAX_CONFIRMATIONS = 3
MIN_VOUCHES = 2  # established naras that must list a key for a name before it can displace another
HOWDY_SIGNATURES_KEPT = 4096  # digests of recent howdys, to drop replays
# One key cannot flood our ledger: a nara sends a hey-there at most every 5 s (the reference's
# sender-side limit) and a newspaper at most every 30 s; we accept a little faster than that.
PEER_HEY_THERE_GAP_S = 4
PEER_NEWSPAPER_GAP_S = 5
# Tiered pruning (neighbourhood_pruning.go:19-113): ages from first seen, silences from last seen.
NEWCOMER_AGE_S = 2 * 86400
VETERAN_AGE_S = 30 * 86400
NEWCOMER_TIMEOUT_S = 24 * 3600
ESTABLISHED_TIMEOUT_S = 7 * 86400
ZOMBIE_AFTER_S = 3600
VOTE_JITTER_S = (0.0, 3.0)  # checkpoint_service.go:401-406
LATE_MEETING_S = 60  # we met a nara this soon after our own start: we may have met it late


def subscriptions(name: str) -> list[str]:
    """Topics a nara listens to (spec §8 Must 3 + the ledger request topic)."""
    return [
        TOPIC_HEY_THERE,
        TOPIC_CHAU,
        TOPIC_HOWDY,
        TOPIC_NEWSPAPER_PREFIX + "#",
        TOPIC_SOCIAL,
        f"nara/ledger/{name}/request",
        f"nara/ledger/{name}/response",
        *cps.TOPICS,
        journeys.TOPIC_JOURNEY_COMPLETE,
    ]


class RandomSource(Protocol):
    def uniform(self, a: float, b: float, /) -> float: ...
    def randrange(self, stop: int, /) -> int: ...
    def shuffle(self, x: list[str], /) -> None: ...


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


@dataclass(frozen=True, slots=True)
class Forgotten:
    """A nara left the roster: evicted for a newcomer, or pruned."""

    name: str


Command = Publish | Appended | StatusChanged | Dropped | Note | Forgotten


@dataclass(slots=True)
class _Timers:
    connected: bool = False
    announce_at: int = 0  # first hey-there + newspaper after (re)connect, ns; 0 = none pending
    hey_there_at: int = 0
    newspaper_at: int = 0
    last_hey_there: int = 0


class Node:
    """One nara's presence state. Every method returns the commands the shell must carry out.

    Everything from the plaza is hostile until verified, and everything kept from a peer is
    bounded (docs/security.md): names follow ``nara.core.names``; the roster holds at most
    ``max_naras``; new naras, howdy replies and ledger answers are rate-limited; timestamps must
    be within ``clock_skew_s`` of our clock; replays of what we already hold are refused; a tick
    costs O(changes), not O(naras).
    """

    def __init__(
        self,
        identity: Identity,
        settings: NodeSettings,
        rand: RandomSource,
        start_ns: int,
        remembered: Remembered | None = None,
    ) -> None:
        self.identity = identity
        self.name = identity.name
        self.settings = settings
        self.rand = rand
        self.key = identity.signing_key()
        self.ledger = Ledger(settings.ledger_capacity)
        self.projection = OnlineStatusProjection()
        self.neighbourhood = Neighbourhood(self.name, settings.max_naras)
        self.me = SelfState(
            identity, settings.hostname, settings.public_url, start_ns, rand, remembered
        )
        self.howdys = Coordinators()
        self.t = _Timers()
        self.admissions = TokenBucket(settings.new_naras_per_s, settings.new_naras_burst)
        self.howdy_budget = TokenBucket(settings.howdys_per_s, settings.howdys_burst)
        self.ledger_budget = TokenBucket(
            settings.ledger_requests_per_s, settings.ledger_requests_burst
        )
        self.counters: Counter[str] = Counter()  # roster_evictions, howdys_skipped, ...
        self._deadlines: list[tuple[int, str]] = []  # (ns, name): MISSING re-checks
        self._howdy_signatures: OrderedDict[str, None] = OrderedDict()
        self.revision = 0  # bumped whenever what the views show may have changed
        self._forgotten: list[str] = []  # names that left the roster, told as Forgotten commands
        self.start_ns = start_ns
        self.observations = ObservationBook()
        self.checkpoints = CheckpointBook()
        self.journeys = journeys.JourneyBook()
        self.checkpoints.last_own_ns = start_ns  # wait a full interval before proposing
        self._checkpoint_check_at = start_ns + int(settings.checkpoint_check_s * NS)
        self._votes_due: list[tuple[int, bytes]] = []
        self._prune_at = start_ns + int(settings.prune_every_s * NS)
        self.hearsay = HearsayBook()
        self.tease_cooldown = teases.TeaseCooldown()
        self.tease_budget = TokenBucket(TEASES_PER_S, 3)
        self.social_budget = TokenBucket(*SOCIAL_PER_S)
        self._history_at = start_ns + HISTORY_ASK_AFTER_S * NS  # 0 once asked
        self._history_asked: set[str] = set()  # whom we asked: only their answers are heard
        self._teases_due: list[tuple[int, str, str]] = []  # (ns, target, reason)
        self._trend_at = start_ns + trends.INTERVAL_S * NS
        # Our clout opinion of every nara (nara/core/clout.py), recomputed at most every
        # CLOUT_EVERY_S when a verified social event entered the ledger; clout_rev counts changes.
        self.clout: dict[str, float] = {}
        self.clout_rev = 0
        self._clout_dirty = False
        self._clout_at = 0

    # ---- inputs -------------------------------------------------------------------------------

    def adopt(self, events: Iterable[SyncEvent]) -> list[Command]:
        """A handover (nara/core/handover.py): take in the ledger of the instance we replace,
        already checked by ``open_bundle``; duplicates are skipped like any other."""
        out: list[Command] = []
        for event in events:
            out.extend(self._append(event))
        self.revision += 1
        return out

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
        out = self._drain_forgotten(self._dispatch(topic, payload, now))
        if any(not isinstance(c, Dropped) for c in out):
            self.revision += 1
        return out

    def _dispatch(self, topic: str, payload: bytes, now: int) -> list[Command]:
        if topic == TOPIC_HEY_THERE:
            return self._on_sync_event(topic, payload, SVC_HEY_THERE, now)
        if topic == TOPIC_CHAU:
            return self._on_sync_event(topic, payload, SVC_CHAU, now)
        if topic == TOPIC_HOWDY:
            return self._on_howdy(payload, now)
        if topic.startswith(TOPIC_NEWSPAPER_PREFIX):
            return self._on_newspaper(topic, payload, now)
        if topic == TOPIC_SOCIAL:
            return self._on_social(topic, payload, now)
        if topic == f"nara/ledger/{self.name}/request":
            return self._on_ledger_request(topic, payload, now)
        if topic == f"nara/ledger/{self.name}/response":
            return self._on_ledger_response(topic, payload, now)
        if topic == cps.TOPIC_FINAL:
            return self._on_final(payload, now)
        if topic == cps.TOPIC_PROPOSE:
            return self._on_proposal(payload, now)
        if topic == cps.TOPIC_VOTE:
            return self._on_vote(payload, now)
        if topic == journeys.TOPIC_JOURNEY_COMPLETE:
            return self._on_journey_complete(payload, now)
        return [Dropped(topic, "unknown_topic", "no handler for this topic")]

    def tick(self, now: int, sensors: Sensors) -> list[Command]:
        """Timers: announcements, newspapers, howdy replies, status maintenance (about 1/s).

        O(changes): MISSING is found through a deadline heap, peers' buzz is kept incrementally,
        and at most ``MAX_COORDINATORS`` howdy coordinators exist."""
        out: list[Command] = []
        self.me.update(now, sensors, len(self.neighbourhood))
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
                if self.howdy_budget.take(now):
                    out += self._send_howdy(target, seq, neighbours, now)
                else:
                    self.counters["howdys_skipped"] += 1
            if self._history_at and now >= self._history_at:
                out += self._ask_history()
            out += self._due_teases(now)
        out += self._maintain_due(now)
        out += self._checkpoint_tick(now)
        if self._clout_dirty and now >= self._clout_at:
            self._clout_at = now + CLOUT_EVERY_S * NS
            self._clout_dirty = False
            fresh = self.derive_clout(now)
            if fresh != self.clout:
                self.clout = fresh
                self.clout_rev += 1
        if now >= self._trend_at:
            self._trend_at = now + trends.INTERVAL_S * NS
            out += self._trend_step(now)
        if now >= self._prune_at:
            self._prune_at = now + int(self.settings.prune_every_s * NS)
            out += self._prune(now)
        self._drain_forgotten(out)
        if out:
            self.revision += 1
        return out

    def derive_clout(self, now: int) -> dict[str, float]:
        """Clout by name from the verified social events in our ledger (hearsay is kept apart
        and never counts), with proximity from the coordinates in signed newspapers."""
        soul = self.identity.soul.text
        p = self.me.personality
        records = []
        for entry in self.ledger:
            e = entry.event
            if isinstance(e.payload, Social):
                s = e.payload
                records.append(clout.Record(e.id, e.ts, s.type, s.actor, s.target, s.reason))
        scores = clout.derive(
            records, p, now // NS, lambda event_id: teases.tease_resonates(event_id, soul, p)
        )
        mine = self.me.coordinates

        def coordinates_of(name: str) -> tuple[float, float, float] | None:
            n = self.neighbourhood.get(name)
            c = n.status.coordinates if n is not None and n.status is not None else None
            return (c.x, c.y, c.height) if c is not None else None

        out = clout.with_proximity(scores, (mine.x, mine.y, mine.height), coordinates_of)
        return {name: round(value, 6) for name, value in sorted(out.items())}

    def _trend_step(self, now: int) -> list[Command]:
        """Join, start or leave a trend (nara/core/trends.py) from what our neighbours' own
        signed newspapers say; the new trend rides in our next newspaper and flair."""
        year, month = barrio.year_month(now)
        peers = [
            trends.Peer(
                n.name,
                n.status.trend,
                n.status.trend_emoji,
                n.online == ONLINE,
                barrio.vibe_cluster(n.name, year, month),
            )
            for n in self.neighbourhood
            if n.status is not None and n.signed_status
        ]
        me = self.me
        change = trends.step(
            self.name,
            barrio.vibe_cluster(self.name, year, month),
            me.trend,
            me.personality,
            peers,
            self.rand,
        )
        if change is None:
            return []
        previous = me.trend
        me.trend, me.trend_emoji = change.trend, change.emoji
        me.buzz.bump(change.buzz)
        what = {
            "joined": f"now follows the trend {change.trend} {change.emoji}",
            "started": f"started the trend {change.trend} {change.emoji}",
            "left": f"is over the trend {previous}",
        }[change.what]
        return [Note("info", f"{self.name} {what}")]

    def shutdown(self, now: int) -> list[Command]:
        """Graceful exit: a signed chau (QoS 1 so the shell can wait for the broker's ack)."""
        event = make_chau(self.key, self.name, self.identity.nara_id, now)
        out = self._append(event)
        if self.t.connected:
            out.append(Publish(TOPIC_CHAU, event.to_json(), qos=1))
        self.t.connected = False
        return out

    def remembered(self) -> Remembered:
        """What the shell keeps in the state directory for the next run."""
        return self.me.remembered()

    # ---- handlers -----------------------------------------------------------------------------

    def _sync_precheck(self, svc: str, now: int) -> Callable[[SyncEvent], wire.Dropped | None]:
        """The checks no signature can change, run before the costly verify: a flood of hey-theres
        from new names past the admission budget, skewed or replayed ones, costs a parse, not an
        Ed25519 verification each. They only drop; the same checks run again after verifying."""

        def check(event: SyncEvent) -> wire.Dropped | None:
            p = event.payload
            if not isinstance(p, HeyThere | Chau) or p.from_ == self.name:
                return None
            if not valid_name(p.from_):
                return wire.Dropped(
                    wire.DropReason.INVALID_NAME, "sender name breaks the name rule"
                )
            if abs(event.ts - now) > self.settings.clock_skew_s * NS:
                return wire.Dropped(wire.DropReason.CLOCK_SKEW, f"{svc} from {p.from_}")
            entry = self.neighbourhood.get(p.from_)
            if entry is None:
                if svc == SVC_CHAU:
                    return wire.Dropped(wire.DropReason.UNKNOWN_SENDER, f"chau from {p.from_}")
                if not self.admissions.available(now):
                    self.admissions.refused += 1
                    return wire.Dropped(wire.DropReason.RATE_LIMITED, "new naras")
                return None
            if entry.public_key != p.public_key:
                return None  # the key gate decides, after verifying
            if event.ts <= entry.last_event_ts:
                return wire.Dropped(wire.DropReason.REPLAY, f"{svc} from {p.from_} not newer")
            if (
                svc == SVC_HEY_THERE
                and entry.online == ONLINE  # a comeback after chau or MISSING is always heard
                and entry.heard_hey_there
                and now - entry.heard_hey_there < PEER_HEY_THERE_GAP_S * NS
            ):
                return wire.Dropped(wire.DropReason.RATE_LIMITED, f"hey-theres from {p.from_}")
            if event.id in self.ledger:
                return wire.Dropped(wire.DropReason.DUPLICATE, f"{svc} from {p.from_}")
            return None

        return check

    def _on_sync_event(self, topic: str, payload: bytes, svc: str, now: int) -> list[Command]:
        decoded = wire.decode_sync_event(payload, svc, precheck=self._sync_precheck(svc, now))
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        p = decoded.payload
        assert isinstance(p, HeyThere | Chau)  # decode_sync_event checked svc
        sender = p.from_
        if sender == self.name:
            return self._own(topic, p.public_key)
        if not valid_name(sender):
            return [_drop(topic, wire.DropReason.INVALID_NAME, "sender name breaks the name rule")]
        if abs(decoded.ts - now) > self.settings.clock_skew_s * NS:
            return [_drop(topic, wire.DropReason.CLOCK_SKEW, f"{svc} from {sender}")]
        gate = self._key_gate(topic, sender, p.public_key)
        if isinstance(gate, Dropped):
            return [gate]
        entry = self.neighbourhood.get(sender)
        created = entry is None
        if entry is not None and decoded.ts <= entry.last_event_ts:
            return [_drop(topic, wire.DropReason.REPLAY, f"{svc} from {sender} not newer")]
        if decoded.id in self.ledger:
            return [_drop(topic, wire.DropReason.DUPLICATE, f"{svc} from {sender}")]
        if (
            entry is not None
            and svc == SVC_HEY_THERE
            and entry.online == ONLINE
            and entry.heard_hey_there
            and now - entry.heard_hey_there < PEER_HEY_THERE_GAP_S * NS
        ):
            return [_drop(topic, wire.DropReason.RATE_LIMITED, f"hey-theres from {sender}")]
        if entry is None:
            if svc == SVC_CHAU:
                return [_drop(topic, wire.DropReason.UNKNOWN_SENDER, f"chau from {sender}")]
            admitted = self._admit(topic, sender, now)
            if isinstance(admitted, Dropped):
                return [admitted]
            entry = admitted
        entry.public_key = p.public_key
        entry.nara_id = p.id or entry.nara_id
        entry.last_event_ts = decoded.ts
        out: list[Command] = gate
        if isinstance(p, HeyThere):
            entry.heard_hey_there = now
            entry.mesh_ip = p.mesh_ip
            entry.uptime_floor = 0  # a restart may follow a host reboot
            out += self._first_seen_or_restart(entry, created, now)
            out += self._append(decoded, at=now)
            self.me.buzz.bump(1)
            self.howdys.arm(sender, now + self._jitter((0.0, 3.0)))
        else:
            out += self._append(decoded, at=now)
            entry.last_seen = max(entry.last_seen, now // NS)
            self.me.buzz.bump(2)
        previous = entry.online
        out += self._maintain_one(entry, now)
        if isinstance(p, HeyThere):
            self._check_and_tease(entry, previous, now)
        return out

    def _on_newspaper(self, topic: str, payload: bytes, now: int) -> list[Command]:
        sender = topic[len(TOPIC_NEWSPAPER_PREFIX) :]
        if not valid_name(sender):
            return [_drop(topic, wire.DropReason.INVALID_NAME, "newspaper topic name")]
        known = self.neighbourhood.get(sender)
        # Before parsing and verifying (the costly part): the rate rules need only the topic.
        if known is None and sender != self.name and not self.admissions.available(now):
            self.admissions.refused += 1
            return [_drop(topic, wire.DropReason.RATE_LIMITED, "new naras")]
        if known is not None and (
            known.online == ONLINE
            and known.heard_newspaper
            and now - known.heard_newspaper < PEER_NEWSPAPER_GAP_S * NS
        ):
            return [_drop(topic, wire.DropReason.RATE_LIMITED, f"newspapers from {sender}")]
        decoded = wire.decode_newspaper(sender, payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        if sender == self.name:
            return self._own(topic, decoded.status.public_key)
        gate = self._key_gate(topic, sender, decoded.status.public_key)
        if isinstance(gate, Dropped):
            return [gate]
        uptime = decoded.status.host_stats.uptime
        entry = self.neighbourhood.get(sender)
        created = entry is None
        if entry is not None and (
            decoded.signature in entry.recent_signatures or uptime < entry.uptime_floor
        ):
            return [_drop(topic, wire.DropReason.REPLAY, f"newspaper from {sender} not newer")]
        if entry is not None and (
            entry.online == ONLINE
            and entry.heard_newspaper
            and now - entry.heard_newspaper < PEER_NEWSPAPER_GAP_S * NS
        ):
            return [_drop(topic, wire.DropReason.RATE_LIMITED, f"newspapers from {sender}")]
        if entry is None:
            admitted = self._admit(topic, sender, now)
            if isinstance(admitted, Dropped):
                return [admitted]
            entry = admitted
        entry.heard_newspaper = now
        entry.recent_signatures.append(decoded.signature)
        entry.uptime_floor = max(entry.uptime_floor, uptime)
        previous_trend = entry.status.trend if entry.status is not None else ""
        entry.adopt_status(decoded.status, signed=True)
        entry.status_raw = decoded.status_raw
        entry.mesh_ip = decoded.status.mesh_ip
        out: list[Command] = gate
        if created:
            out += self._first_seen_or_restart(entry, True, now)
            # A stranger: say hello so it learns of us too (presence_newspaper.go:166-173).
            out += self._hey_there(now)
        out += self._seen(entry, "newspaper", now)
        previous = entry.online
        out += self._maintain_one(entry, now)
        self._check_and_tease(entry, previous, now, previous_trend)
        return out

    def _on_howdy(self, payload: bytes, now: int) -> list[Command]:
        """A howdy's signature covers only ``howdy:From:To:Seq`` (§3.5): ``Me``, ``You`` and
        ``Neighbors`` are claims anyone holding a captured howdy can rewrite. So a howdy never
        creates a nara, never brings back one that left, never changes a key, and its claims
        only fill in what we do not know (security.md, "Forged howdys")."""
        # A replay is the same bytes again. The same signature with another body is not: the
        # reference numbers Seq by the howdys it saw in the last 30 s and signs only
        # howdy:From:To:Seq, so an honest nara re-sends one signature with fresh contents.
        digest = hashlib.sha256(payload).hexdigest()
        decoded = wire.decode_howdy(payload, precheck=self._howdy_precheck(digest))
        if isinstance(decoded, wire.Dropped):
            return [Dropped(TOPIC_HOWDY, decoded.reason.value, decoded.detail)]
        sender = decoded.from_
        if sender == self.name:
            return self._own(TOPIC_HOWDY, decoded.me.public_key)
        if not valid_name(sender) or (decoded.to and not valid_name(decoded.to)):
            return [_drop(TOPIC_HOWDY, wire.DropReason.INVALID_NAME, "howdy From or To")]
        if digest in self._howdy_signatures:
            return [_drop(TOPIC_HOWDY, wire.DropReason.REPLAY, f"howdy from {sender} again")]
        self._howdy_signatures[digest] = None
        if len(self._howdy_signatures) > HOWDY_SIGNATURES_KEPT:
            self._howdy_signatures.popitem(last=False)
        listed = [n for n in decoded.neighbors if valid_name(n.name)]
        self.howdys.observe(decoded.to, sender, [n.name for n in listed])
        entry = self.neighbourhood.get(sender)
        if entry is None:
            return [_drop(TOPIC_HOWDY, wire.DropReason.UNKNOWN_SENDER, f"howdy from {sender}")]
        if entry.public_key and entry.public_key != decoded.me.public_key:
            return [_drop(TOPIC_HOWDY, wire.DropReason.KEY_MISMATCH, f"{sender} has another key")]
        if entry.online != ONLINE:
            return [_drop(TOPIC_HOWDY, wire.DropReason.NOT_ONLINE, f"howdy from {sender}")]
        entry.adopt_status(decoded.me, signed=False)
        out = self._seen(entry, "howdy", now)
        established = now - entry.first_seen_ns >= ESTABLISHED_S * NS
        if decoded.to == self.name and established:
            # Our restarts are ours alone to count; an established neighbour's view of our start
            # time is a vote, used only when we remember none (SelfState.start_time).
            self.me.votes.add(sender, decoded.you.start_time, decoded.me.host_stats.uptime)
        if established:
            for neighbour in listed:  # which key the network knows for each name, any howdy
                vouched = self.neighbourhood.get(neighbour.name)
                if vouched is not None:
                    vouched.vouch(neighbour.public_key, sender)
        if decoded.to == self.name:
            now_s = now // NS
            for neighbour in listed:
                known = self.neighbourhood.get(neighbour.name)
                if known is None:  # third-party claims never create a nara
                    continue
                known.merge_observation(neighbour.observation, now_s)
                if established and known.confirmations < MAX_CONFIRMATIONS:
                    known.confirmations += 1
        self.me.buzz.bump(1)
        out += self._maintain_one(entry, now)
        return out

    def _howdy_precheck(self, digest: str) -> Callable[[wire.Howdy], wire.Dropped | None]:
        """Before verifying a howdy: what no signature could change (see _sync_precheck)."""

        def check(howdy: wire.Howdy) -> wire.Dropped | None:
            sender = howdy.from_
            if sender == self.name or not valid_name(sender):
                return None
            if digest in self._howdy_signatures:
                return wire.Dropped(wire.DropReason.REPLAY, f"howdy from {sender} again")
            entry = self.neighbourhood.get(sender)
            if entry is None:
                return wire.Dropped(wire.DropReason.UNKNOWN_SENDER, f"howdy from {sender}")
            if entry.online != ONLINE:
                return wire.Dropped(wire.DropReason.NOT_ONLINE, f"howdy from {sender}")
            return None

        return check

    def _on_ledger_request(self, topic: str, payload: bytes, now: int) -> list[Command]:
        decoded = wire.decode_ledger_request(payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        if decoded.from_ == self.name:
            # We send no ledger requests, so one in our name is someone else's.
            return [_drop(topic, wire.DropReason.IMPERSONATION, "a ledger request in our name")]
        if not valid_name(decoded.from_):
            # From names the topic we would answer on: + # / NUL or 70,000 characters there
            # make paho raise or the broker disconnect us (security.md, "Muting").
            return [_drop(topic, wire.DropReason.INVALID_NAME, "ledger request From")]
        if not self.ledger_budget.take(now):
            return [_drop(topic, wire.DropReason.RATE_LIMITED, "ledger requests")]
        # Verified social events only (the ledger): hearsay is never answered onward.
        body = wire.encode_ledger_response(
            self.name, verified_social(self.ledger, decoded.subjects)
        )
        return [Publish(f"nara/ledger/{decoded.from_}/response", body)]

    # ---- social (teases in and out, hearsay, history) -------------------------------------------

    def _on_social(self, topic: str, payload: bytes, now: int) -> list[Command]:
        """A social event on the plaza (social_network.go:26-55). Verified (signed by a known
        neighbour who is its own actor) it goes into the ledger; otherwise it is hearsay of
        its emitter. A bad signature from a known key is dropped."""
        if not self.social_budget.take(now):
            return [_drop(topic, wire.DropReason.RATE_LIMITED, "social events")]
        decoded = wire.decode_sync_event(payload, SVC_SOCIAL, key_lookup=self._emitter_key)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        p = decoded.payload
        assert isinstance(p, Social)
        if p.actor == self.name or decoded.emitter == self.name:
            self.counters["own_echoes"] += 1
            return []
        if not plausible(p):
            return [_drop(topic, wire.DropReason.INVALID_NAME, "social actor/target/witness")]
        if abs(decoded.ts - now) > self.settings.clock_skew_s * NS:
            return [_drop(topic, wire.DropReason.CLOCK_SKEW, f"social from {decoded.emitter}")]
        if decoded.id in self.ledger or decoded.id in self.hearsay:
            return [_drop(topic, wire.DropReason.DUPLICATE, "social event")]
        if not is_meaningful(p, self.me.personality):
            self.counters["social_not_meaningful"] += 1
            return []
        actor = self.neighbourhood.get(p.actor)
        verified = (
            actor is not None
            and decoded.is_signed()
            and decoded.emitter == p.actor
            and bool(actor.public_key)
        )
        if not verified:
            # A stranger's, an unsigned or a third party's claim: hearsay, never a roster entry.
            relayer = decoded.emitter if valid_name(decoded.emitter) else "?"
            if self.hearsay.add(decoded, relayer, now) is None:
                return [_drop(topic, wire.DropReason.RATE_LIMITED, f"hearsay from {relayer}")]
            self.counters["hearsay_kept"] += 1
            return [Note("debug", f"hearsay from {relayer}: {p.actor} {p.type} {p.target}")]
        assert actor is not None
        out = self._append(decoded, at=now)  # marks the actor ONLINE (§4.1)
        actor.last_seen = max(actor.last_seen, now // NS)
        self.me.buzz.bump(5)
        out += self._maintain_one(actor, now)
        return out

    def _emitter_key(self, emitter_id: str, emitter: str) -> str | None:
        entry = self.neighbourhood.get(emitter)
        return entry.public_key if entry is not None and entry.public_key else None

    def _on_ledger_response(self, topic: str, payload: bytes, now: int) -> list[Command]:
        """Social history from a nara we asked: unsigned by nature, so all of it is hearsay
        attributed to the relayer (boot_ledger.go:56-62), bounded per relayer."""
        decoded = wire.decode_ledger_response(payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        relayer = decoded.from_
        if relayer not in self._history_asked:
            return [_drop(topic, wire.DropReason.UNKNOWN_SENDER, "a ledger response unasked")]
        self._history_asked.discard(relayer)  # one answer per question
        kept = 0
        for event in decoded.events:
            p = event.payload
            if not isinstance(p, Social) or not plausible(p) or event.id in self.ledger:
                continue
            if not is_meaningful(p, self.me.personality):
                continue
            if self.hearsay.add(event, relayer, now) is not None:
                kept += 1
        self.counters["hearsay_kept"] += kept
        return [Note("info", f"social history from {relayer}: {kept} kept as hearsay")]

    def _ask_history(self) -> list[Command]:
        """Boot recovery (boot_recovery.go:478-513): ask up to five online neighbours for the
        social history of the naras we know, subjects partitioned over them (social.go:456-479)."""
        online = sorted(n.name for n in self.neighbourhood if n.online == ONLINE)
        if not online:
            return []
        self._history_at = 0
        peers = online[:HISTORY_PEERS]
        subjects = sorted({self.name, *(n.name for n in self.neighbourhood)})
        out: list[Command] = []
        for peer, part in zip(peers, teases.partition_subjects(subjects, len(peers)), strict=False):
            if not part:
                continue
            self._history_asked.add(peer)
            body = wire.encode_ledger_request(self.name, part)
            out.append(Publish(f"nara/ledger/{peer}/request", body))
        return out

    def _trend_popularity(self, trend: str) -> float:
        """Share of ONLINE neighbours following ``trend`` (social_network.go:196-214)."""
        online = [n for n in self.neighbourhood if n.online == ONLINE]
        if not trend or not online:
            return 0.0
        following = sum(1 for n in online if n.status is not None and n.status.trend == trend)
        return following / len(online)

    def _check_and_tease(
        self, entry: Neighbour, previous: str, now: int, previous_trend: str = ""
    ) -> None:
        """After news of a nara (social_network.go:147-193): one trigger at a time, restarts,
        nice number, comeback, then a random jab. Not while booting (observations.go:482). The
        tease waits 0-5 s of jitter and is skipped if someone else teased first
        (social_network.go:101-140)."""
        if now - self.start_ns < TEASE_BOOT_S * NS or not self.t.connected:
            return
        p = self.me.personality
        now_s = now // NS
        reason = ""
        if teases.should_tease_for_restarts(entry.restarts, entry.start_time, now_s, p):
            reason = teases.REASON_HIGH_RESTARTS
        elif teases.should_tease_for_nice_number(entry.restarts, p):
            reason = teases.REASON_NICE_NUMBER
        elif teases.should_tease_for_comeback(previous, entry.online, p):
            reason = teases.REASON_COMEBACK
        elif (
            previous_trend
            and entry.status is not None
            and entry.status.trend != previous_trend
            and teases.should_tease_for_trend_abandon(
                previous_trend,
                entry.status.trend if entry.status is not None else "",
                self._trend_popularity(previous_trend),
                p,
            )
        ):
            reason = teases.REASON_TREND_ABANDON
        elif teases.should_random_tease(
            self.identity.soul.text, entry.name, now_s, p, self._barrio_boost(entry, now)
        ):
            reason = teases.REASON_RANDOM
        if not reason or len(self._teases_due) >= MAX_TEASES_DUE:
            return
        if any(t[1] == entry.name for t in self._teases_due):
            return
        delay = 0 if reason == teases.REASON_RANDOM else self._jitter((0.0, 5.0))
        self._teases_due.append((now + delay, entry.name, reason))

    def _barrio_boost(self, entry: Neighbour, now: int) -> float:
        """Three times the odds of a random tease for a nara in our barrio (social_network.go:
        184-190)."""
        year, month = barrio.year_month(now)
        mine = (self.me.coordinates.x, self.me.coordinates.y)
        c = entry.status.coordinates if entry.status is not None else None
        theirs = (c.x, c.y) if c is not None else None
        return 3.0 if barrio.same_barrio(self.name, mine, entry.name, theirs, year, month) else 1.0

    def _due_teases(self, now: int) -> list[Command]:
        due = [t for t in self._teases_due if t[0] <= now]
        if not due:
            return []
        self._teases_due = [t for t in self._teases_due if t[0] > now]
        out: list[Command] = []
        for _, name, reason in due:
            entry = self.neighbourhood.get(name)
            if entry is not None and not self._teased_lately(name, reason, now):
                out += self._tease(entry, reason, now)
        return out

    def _teased_lately(self, target: str, reason: str, now: int) -> bool:
        """Someone else teased ``target`` for ``reason`` in the last 30 s (the newest 200)."""
        entries, _ = self.ledger.query(service=SVC_SOCIAL, subject=target, limit=200)
        for entry in entries:
            p = entry.event.payload
            if entry.event.ts < now - TEASE_DEDUP_S * NS:
                break
            if (
                isinstance(p, Social)
                and p.type == "tease"
                and p.reason == reason
                and p.actor != self.name
            ):
                return True
        return False

    def _tease(self, entry: Neighbour, reason: str, now: int) -> list[Command]:
        """Tease ``entry``: per-target cooldown, a global budget, a signed social event on the
        plaza that a Go nara's socialHandler verifies with our known key."""
        if not self.t.connected or not valid_name(entry.name):
            return []
        if not self.tease_cooldown.try_tease(self.name, entry.name, now // NS):
            return []
        if not self.tease_budget.take(now):
            self.counters["teases_skipped"] += 1
            return []
        event = make_social(
            self.key,
            self.name,
            "tease",
            self.name,
            entry.name,
            reason,
            now,
            actor_id=self.identity.nara_id,
            target_id=entry.nara_id,
        )
        self.counters["teases_sent"] += 1
        return [*self._append(event), Publish(TOPIC_SOCIAL, event.to_json())]

    def _own(self, topic: str, key: str) -> list[Command]:
        """A verified message under our own name: the broker's echo of ours when it carries our
        key (counted, not acted on), else an impostor's (dropped as ``impersonation``)."""
        if key == self.identity.public_key:
            self.counters["own_echoes"] += 1
            return []
        return [_drop(topic, wire.DropReason.IMPERSONATION, "a message in our name")]

    # ---- roster ---------------------------------------------------------------------------------

    def _admit(self, topic: str, name: str, now: int) -> Neighbour | Dropped:
        """Make room for a nara we never heard of: at ``new_naras_per_s`` at most, and within
        ``max_naras``, evicting the least valuable entry (Neighbourhood.eviction_candidate)."""
        if not self.admissions.take(now):
            return _drop(topic, wire.DropReason.RATE_LIMITED, "new naras")
        if self.neighbourhood.full:
            victim = self.neighbourhood.eviction_candidate(now, ESTABLISHED_S * NS)
            if victim is None:
                return _drop(topic, wire.DropReason.ROSTER_FULL, f"no room for {name}")
            self._forget(victim.name)
            self.counters["roster_evictions"] += 1
        entry, _ = self.neighbourhood.ensure(name)
        entry.first_seen_ns = now
        return entry

    def _forget(self, name: str) -> None:
        self.neighbourhood.remove(name)
        self.observations.forget(name)
        self.checkpoints.forget(name)
        self.projection.forget(name)
        self.me.peer_buzz.set(name, None)
        self.howdys.forget(name)
        self._forgotten.append(name)

    def _drain_forgotten(self, out: list[Command]) -> list[Command]:
        if self._forgotten:
            out += [Forgotten(name) for name in self._forgotten]
            self._forgotten.clear()
        return out

    # ---- checkpoints (nara.core.checkpoints) --------------------------------------------------

    def trinity(self, name: str, now: int) -> Trinity:
        """Restarts, total uptime and first seen of ``name`` by the reference's rules, on top of
        the latest verified checkpoint (nara.core.observations)."""
        cp = self.checkpoints.latest_checkpoint(name)
        return Trinity(*derive(self.observations, name, cp, now // NS))

    def own_trinity(self, now: int) -> Trinity:
        """What we propose about ourselves: our own restart count and first start (the state
        directory's), and the uptime the network agreed on last; uptime grows in the network's
        eyes only through status-change observations, as in the reference."""
        cp = self.checkpoints.latest_checkpoint(self.name)
        restarts = max(self.me.restarts, cp.restarts if cp is not None else 0)
        uptime = cp.total_uptime if cp is not None else 0
        return Trinity(restarts, uptime, self.me.start_time())

    def key_for_id(self, nara_id: str) -> str | None:
        """The key we hold for a nara ID; None when unknown or claimed by two roster entries
        (an ID is self-declared, so a claimed ID must not borrow another nara's key)."""
        if not nara_id:
            return None
        if nara_id == self.identity.nara_id:
            return self.identity.public_key
        found: str | None = None
        for n in self.neighbourhood.values():
            if n.nara_id == nara_id and n.public_key:
                if found is not None and found != n.public_key:
                    return None
                found = n.public_key
        return found

    def key_for_name(self, name: str) -> str | None:
        """The key we hold for a name: ours, or the roster entry's."""
        if name == self.name:
            return self.identity.public_key
        entry = self.neighbourhood.get(name)
        return entry.public_key if entry is not None and entry.public_key else None

    def _on_journey_complete(self, payload: bytes, now: int) -> list[Command]:
        """Keep every completed journey heard (bounded, deduped); hops are verified when shown."""
        topic = journeys.TOPIC_JOURNEY_COMPLETE
        decoded = journeys.decode_completion(payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        if not self.journeys.add(decoded, now // NS):
            return [Dropped(topic, wire.DropReason.DUPLICATE.value, "journey already held")]
        self.revision += 1
        return []

    def _known_key(self, name: str, nara_id: str) -> str | None:
        """The key of ``name`` when it is in the roster under ``nara_id`` (or ourselves)."""
        if name == self.name:
            return self.identity.public_key if nara_id == self.identity.nara_id else None
        entry = self.neighbourhood.get(name)
        if entry is None or not entry.public_key:
            return None
        if entry.nara_id and entry.nara_id != nara_id:
            return None
        return entry.public_key

    def _on_final(self, payload: bytes, now: int) -> list[Command]:
        topic = cps.TOPIC_FINAL
        decoded = cps.decode_final(payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        cp = decoded.payload
        assert isinstance(cp, Checkpoint)
        skew = self.settings.clock_skew_s * NS
        if abs(decoded.ts - now) > skew or abs(cp.as_of_time * NS - decoded.ts) > skew:
            return [_drop(topic, wire.DropReason.CLOCK_SKEW, f"checkpoint for {cp.subject}")]
        if cp.subject == self.name:
            if self.checkpoints.holds(decoded.id, self.name):
                self.counters["own_echoes"] += 1
                return []
            if cp.subject_id != self.identity.nara_id:
                return [_drop(topic, wire.DropReason.IMPERSONATION, "a checkpoint for our name")]
        else:
            entry = self.neighbourhood.get(cp.subject)
            if entry is None:
                return [_drop(topic, wire.DropReason.UNKNOWN_SUBJECT, f"{cp.subject}")]
            if entry.nara_id and cp.subject_id != entry.nara_id:
                return [_drop(topic, wire.DropReason.KEY_MISMATCH, f"{cp.subject} has another id")]
        result = self.checkpoints.verify(decoded, self.key_for_id, now)
        if isinstance(result, tuple):
            return [_drop(topic, result[0], result[1])]
        return self._store_final(result, now)

    def _store_final(self, stored: cps.Stored, now: int) -> list[Command]:
        self.checkpoints.store(stored)
        self.counters["checkpoints_stored"] += 1
        cp = stored.checkpoint
        entry = self.neighbourhood.get(cp.subject)
        if entry is not None:  # the network's figures become the baseline of ours
            derived = self.trinity(cp.subject, now)
            if derived.restarts <= MAX_CLAIMED_RESTARTS:  # two keys we hold could sign anything
                entry.restarts = max(entry.restarts, derived.restarts)
            plausible = EPOCH_S <= cp.start_time <= now // NS
            if plausible and (not entry.start_time or cp.start_time < entry.start_time):
                entry.start_time = cp.start_time
        out = self._append(stored.event, at=now)
        out.append(
            Note(
                "info",
                f"stored checkpoint for {cp.subject} ({stored.verified_count}/"
                f"{len(stored.voters)} signatures verified, chain {stored.chain})",
            )
        )
        return out

    def _on_proposal(self, payload: bytes, now: int) -> list[Command]:
        topic = cps.TOPIC_PROPOSE
        decoded = cps.decode_proposal(payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        att = decoded.attestation
        subject = att.subject
        if subject == self.name:
            pending = self.checkpoints.pending
            if pending is not None and pending.proposal.attestation.signature == att.signature:
                self.counters["own_echoes"] += 1
                return []
            return [_drop(topic, wire.DropReason.IMPERSONATION, "a proposal in our name")]
        key = self._known_key(subject, att.subject_id)
        if key is None:
            return [_drop(topic, wire.DropReason.UNKNOWN_SENDER, f"proposal from {subject}")]
        if not att.verify(key):
            return [_drop(topic, wire.DropReason.BAD_SIGNATURE, f"proposal from {subject}")]
        if att.version < 2:
            return [_drop(topic, wire.DropReason.INVALID_EVENT, "a v1 proposal")]
        if abs(att.as_of_time * NS - now) > self.settings.clock_skew_s * NS:
            return [_drop(topic, wire.DropReason.CLOCK_SKEW, f"proposal from {subject}")]
        answered = (att.as_of_time, decoded.round)
        if self.checkpoints.voted.get(subject) == answered:
            return [_drop(topic, wire.DropReason.REPLAY, f"proposal from {subject} again")]
        self.checkpoints.voted[subject] = answered
        return self._vote_on(decoded, now)

    def _vote_on(self, proposal: cps.Proposal, now: int) -> list[Command]:
        """Approve (sign their values) when ours are within the reference's tolerances, else
        sign our own values, or abstain when our view cannot be trusted: we have just started,
        or we met the subject right after our own start with no checkpoint of it (we may have
        met it late, so our first-seen would only be our own start)."""
        att = proposal.attestation
        subject = att.subject
        if now - self.start_ns < self.settings.checkpoint_vote_after_s * NS:
            return self._abstain(subject, "booting")
        ours = self.trinity(subject, now)
        approved = cps.within(att.values, ours)
        entry = self.neighbourhood.get(subject)
        late = entry is None or entry.first_seen_ns - self.start_ns < LATE_MEETING_S * NS
        if not approved and late and self.checkpoints.latest(subject) is None:
            return self._abstain(subject, "unsure")
        vote_att = cps.Attestation(
            version=2,
            subject=subject,
            subject_id=att.subject_id,
            values=att.values if approved else ours,
            attester=self.name,
            attester_id=self.identity.nara_id,
            last_seen_checkpoint_id=self.checkpoints.latest_id(subject),
            as_of_time=att.as_of_time,
        ).signed(self.key)
        vote = cps.Vote(vote_att, att.as_of_time, proposal.round, approved)
        self._votes_due.append((now + self._jitter(VOTE_JITTER_S), vote.to_json()))
        self.counters["checkpoint_votes"] += 1
        word = "approve" if approved else "our own values"
        return [Note("debug", f"checkpoint vote for {subject} round {proposal.round}: {word}")]

    def _abstain(self, subject: str, why: str) -> list[Command]:
        self.counters["checkpoint_abstains"] += 1
        self.counters[f"checkpoint_abstains_{why}"] += 1
        return [Note("debug", f"checkpoint: abstaining on {subject} ({why})")]

    def _on_vote(self, payload: bytes, now: int) -> list[Command]:
        topic = cps.TOPIC_VOTE
        decoded = cps.decode_vote(payload)
        if isinstance(decoded, wire.Dropped):
            return [Dropped(topic, decoded.reason.value, decoded.detail)]
        att = decoded.attestation
        pending = self.checkpoints.pending
        if att.subject != self.name or pending is None or pending.finalized:
            return []  # someone else's round, or a late vote: nothing to do, nothing wrong
        if att.attester_id == self.identity.nara_id or att.attester == self.name:
            return [_drop(topic, wire.DropReason.IMPERSONATION, "a vote in our name")]
        key = self._known_key(att.attester, att.attester_id)
        if key is None:
            return [_drop(topic, wire.DropReason.UNKNOWN_SENDER, f"vote from {att.attester}")]
        if not att.verify(key):
            return [_drop(topic, wire.DropReason.BAD_SIGNATURE, f"vote from {att.attester}")]
        if att.version < 2:
            return [_drop(topic, wire.DropReason.INVALID_EVENT, "a v1 vote")]
        if att.subject_id != self.identity.nara_id:
            return [_drop(topic, wire.DropReason.INVALID_EVENT, "a vote about another id")]
        online = sum(1 for n in self.neighbourhood.values() if n.online == ONLINE)
        if self.checkpoints.add_vote(decoded, self.settings.checkpoint_min_voters, online):
            return self._finalize(now)
        return []

    def _checkpoint_tick(self, now: int) -> list[Command]:
        out: list[Command] = []
        if self._votes_due:
            due = [body for at, body in self._votes_due if at <= now]
            self._votes_due = [(at, body) for at, body in self._votes_due if at > now]
            if self.t.connected:
                out += [Publish(cps.TOPIC_VOTE, body, qos=1) for body in due]
        pending = self.checkpoints.pending
        if pending is not None and not pending.finalized and now >= pending.expires_ns:
            out += self._finalize(now)
        if now >= self._checkpoint_check_at:
            self._checkpoint_check_at = now + int(self.settings.checkpoint_check_s * NS)
            out += self._maybe_propose(now)
        return out

    def _maybe_propose(self, now: int) -> list[Command]:
        """At most once per interval, only with enough naras ONLINE (:167-201)."""
        s = self.settings
        if (
            not self.t.connected
            or now - self.checkpoints.last_own_ns < s.checkpoint_interval_s * NS
        ):
            return []
        pending = self.checkpoints.pending
        if pending is not None and not pending.finalized:
            return []
        online = sum(1 for n in self.neighbourhood.values() if n.online == ONLINE)
        if online < s.checkpoint_min_voters + 1:
            return [Note("debug", f"checkpoint: {online} naras online, not proposing")]
        return self._propose(self.own_trinity(now), 1, now)

    def _propose(self, values: Trinity, round_: int, now: int) -> list[Command]:
        window = int(self.settings.checkpoint_vote_window_s * NS)
        proposal = self.checkpoints.propose(
            self.key, self.name, self.identity.nara_id, values, round_, now, window
        )
        return [
            Publish(cps.TOPIC_PROPOSE, proposal.to_json(), qos=1),
            Note("info", f"proposed checkpoint round {round_} (restarts={values.restarts})"),
        ]

    def _finalize(self, now: int) -> list[Command]:
        """Consensus of the votes, else round 2 with their trimmed means, else wait an interval."""
        pending = self.checkpoints.pending
        if pending is None or pending.finalized:
            return []
        pending.finalized = True
        cp = self.checkpoints.consensus(
            self.settings.checkpoint_min_voters,
            lambda voter: self.trinity(voter, now).total_uptime,
        )
        if cp is not None:
            pending.outcome = "final"
            self.checkpoints.last_own_ns = now
            event = cps.final_event(cp, now)
            result = self.checkpoints.verify(event, self.key_for_id, now)
            if isinstance(result, tuple):
                return [Note("warning", f"checkpoint: our own final fails ({result[1]})")]
            out = self._store_final(result, now)
            if self.t.connected:
                out.append(Publish(cps.TOPIC_FINAL, event.to_json(), qos=1))
            return out
        values = self.checkpoints.round2_values() if pending.round == 1 else None
        if values is not None:
            pending.outcome = "round 2"
            return self._propose(values, 2, now)
        pending.outcome = "no consensus"
        self.checkpoints.last_own_ns = now
        return [Note("info", f"checkpoint round {pending.round} found no consensus")]

    # ---- pruning --------------------------------------------------------------------------------

    def _prune(self, now: int) -> list[Command]:
        """Tiered pruning (neighbourhood_pruning.go:19-113): never an ONLINE nara; zombies (never
        seen, first seen over an hour ago; or nothing known at all); newcomers (first seen under
        2 days ago) after 24 h of silence; established (under 30 days) after 7 days; veterans
        never. The roster's hard cap (``max_naras``) applies on admission, after these."""
        now_s = now // NS
        gone: dict[str, list[str]] = {"zombies": [], "newcomers": [], "established": []}
        for n in list(self.neighbourhood.values()):
            if n.online == ONLINE:
                continue
            age = now_s - n.start_time if n.start_time else 0
            if not n.last_seen:
                if (n.start_time and age > ZOMBIE_AFTER_S) or (
                    not n.start_time and n.status is None
                ):
                    gone["zombies"].append(n.name)
                continue
            silent = now_s - n.last_seen
            if age < NEWCOMER_AGE_S and silent > NEWCOMER_TIMEOUT_S:
                gone["newcomers"].append(n.name)
            elif NEWCOMER_AGE_S <= age < VETERAN_AGE_S and silent > ESTABLISHED_TIMEOUT_S:
                gone["established"].append(n.name)
        total = 0
        for tier, names in gone.items():
            for name in names:
                self._forget(name)
            self.counters[f"pruned_{tier}"] += len(names)
            total += len(names)
        if not total:
            return []
        return [
            Note(
                "info",
                f"pruned {total} naras: " + ", ".join(f"{len(v)} {k}" for k, v in gone.items()),
            )
        ]

    # ---- helpers ------------------------------------------------------------------------------

    def _jitter(self, bounds: tuple[float, float]) -> int:
        return int(self.rand.uniform(*bounds) * NS)

    def _append(self, event: SyncEvent, at: int | None = None) -> list[Command]:
        entry = self.ledger.append(event)
        if entry is None:
            return []
        if event.svc == SVC_SOCIAL:
            self._clout_dirty = True
        self.projection.apply(event, at)
        self.observations.record(event)
        return [Appended(entry)]

    def _key_gate(self, topic: str, name: str, key: str) -> Dropped | list[Command]:
        """Stricter than the reference (§3.7): every plaza message is self-certified by the key it
        carries, so while a nara is ONLINE or its chau is what is claimed, a message under its
        name with another key is an impostor's. A key may change only across a restart."""
        entry = self.neighbourhood.get(name)
        if entry is None or not entry.public_key or entry.public_key == key:
            return []
        if entry.online == ONLINE or topic == TOPIC_CHAU:
            # Whoever came first holds the name while ONLINE, unless the network disagrees: a key
            # that at least two established naras vouch for, more than for the held one, wins
            # (a stranger who grabbed an unseen name cannot lock its owner out).
            backed = entry.vouched(key)
            if backed < MIN_VOUCHES or backed <= entry.vouched(entry.public_key):
                return Dropped(topic, wire.DropReason.KEY_MISMATCH.value, f"{name} has another key")
            entry.rekey(key)
            self.counters["rekeyed_by_vouches"] += 1
            return [Note("warning", f"{name}: the network vouches for another key; taking it")]
        entry.rekey(key)  # a new soul: its clock, not the old one's, orders its words
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

    def _maintain_due(self, now: int) -> list[Command]:
        """Re-check the naras whose MISSING deadline has passed (a heap: O(changes) a tick)."""
        out: list[Command] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            at, name = heapq.heappop(self._deadlines)
            entry = self.neighbourhood.get(name)
            if entry is None or entry.check_at != at:
                continue  # evicted, or superseded by a later re-check
            entry.check_at = 0
            out += self._maintain_one(entry, now)
        return out

    def _maintain_one(self, entry: Neighbour, now: int) -> list[Command]:
        """Copy the projection's verdict into our observation; record every change; schedule
        the next re-check while ONLINE."""
        threshold = self._threshold(entry)
        status = self.projection.status(entry.name, now, threshold)
        word = self.projection.word(entry.name)
        if status == ONLINE and word is not None and not entry.check_at:
            entry.check_at = word.ts + int(threshold * NS) + 1
            heapq.heappush(self._deadlines, (entry.check_at, entry.name))
        online_buzz = entry.status.buzz if status == ONLINE and entry.status is not None else None
        self.me.peer_buzz.set(entry.name, online_buzz)
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
        limit = 5 if self.settings.memory_mode == "short" else 10
        others = (
            n for n in self.neighbourhood.values() if n.name != target and n.name not in mentioned
        )
        return heapq.nsmallest(limit, others, key=lambda n: (n.online != ONLINE, n.last_seen))

    def _send_howdy(
        self, target: str, seq: int, neighbours: list[Neighbour], now: int
    ) -> list[Command]:
        """A howdy whose size does not grow with the roster: at most 10 neighbours (as the
        reference), and ``Me.Observations`` limited to us, the target and those neighbours
        (the reference sends its whole map, which past ~3,000 naras no nara can accept)."""
        if not valid_name(target):
            return []
        entry = self.neighbourhood.get(target)
        you = entry.observation() if entry is not None else wire.NaraObservation()
        listed = tuple(
            wire.HowdyNeighbor(n.name, n.public_key, n.mesh_ip, n.nara_id, n.observation())
            for n in neighbours
        )
        about = [target, *(n.name for n in neighbours)]
        body = wire.encode_howdy(
            self.key, self.name, target, seq, you, listed, self.own_status(now, True, about)
        )
        return [Publish(TOPIC_HOWDY, body)]

    # ---- read side (HTTP views use these) -----------------------------------------------------

    def own_status(
        self, now: int, with_observations: bool, about: list[str] | None = None
    ) -> wire.NaraStatus:
        """Our NaraStatus; ``with_observations`` adds our view of ``about`` (default: everyone)."""
        observations = None
        if with_observations:
            if about is None:
                chosen = list(self.neighbourhood.values())
            else:
                found = (self.neighbourhood.get(name) for name in about)
                chosen = [n for n in found if n is not None]
            observations = {n.name: n.observation() for n in chosen}
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


def _drop(topic: str, reason: wire.DropReason, detail: str) -> Dropped:
    return Dropped(topic, reason.value, detail)
