"""The read model: what the HTTP side shows, kept current by the shell and read by handlers.

The runtime tells it, after every batch of core commands, which naras may have changed (the
names in ``Appended`` and ``StatusChanged``, the sender of a newspaper); once a second it also
reconciles every nara against a cheap fingerprint, which catches the changes the core emits no
command for (a newspaper's new HostStats, a howdy's merged observation, an eviction). For each
nara it keeps one *card* (the ``/narae.json`` item and the ``/api.json`` item, both already
encoded), so ``/narae.json`` is a join of cached bytes, rebuilt only after a change.

Every change bumps ``rev``. Changed cards, removed names and the human-readable change log
(joined, left, went missing, came back after N, restarted, the plaza lost and found) go to the
live feed as one ``naras`` frame per change; a client that reconnects with the rev it has gets
the cards changed since, or a full ``snapshot`` frame when it is too far behind.

``rev`` starts at the process's start time in microseconds, so a rev from an earlier run of the
node is always older than anything this run holds, and such a client gets a snapshot.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from nara.core import eventdetail, gojson, journeys, netmap, projectionsview, socialviews, views
from nara.core.ledger import Entry
from nara.core.projections.neighbourhood import Neighbour
from nara.core.protocol import Node
from nara.feed import Feed, Frame

NS = 1_000_000_000
HISTORY_KEPT = 48  # status transitions kept per nara (enough for 7 d of a stable nara)
HISTORY_S = 7 * 86_400  # the availability window the dashboard shows at most
CHANGES_KEPT = 1000  # the change log the timeline reads
SNAPSHOT_CHANGES = 300  # the newest changes a snapshot carries
TOMBSTONES_KEPT = 2000  # removed names remembered for deltas
SELF_EVERY_NS = 10 * NS  # this node's own card (host stats, buzz) is refreshed this often

ONLINE, MISSING, OFFLINE = "ONLINE", "MISSING", "OFFLINE"


def plaza_state(configured: bool, connected: bool, responsive: bool, ever: bool) -> str:
    """``alone`` (no broker configured), ``connecting`` (never connected yet), ``connected``,
    ``silent`` (connected, but the broker stopped answering) or ``reconnecting``."""
    if not configured:
        return "alone"
    if connected:
        return "connected" if responsive else "silent"
    return "reconnecting" if ever else "connecting"


def human_duration(seconds: int) -> str:
    """``45 s``, ``4 min``, ``2 h 5 min``, ``3 d 4 h``."""
    s = max(0, int(seconds))
    d, h, m = s // 86_400, s % 86_400 // 3600, s % 3600 // 60
    if d:
        return f"{d} d {h} h" if h else f"{d} d"
    if h:
        return f"{h} h {m} min" if m else f"{h} h"
    if m:
        return f"{m} min"
    return f"{s} s"


def _fingerprint(n: Neighbour) -> tuple[object, ...]:
    # ``status`` is replaced (never mutated) on every adopt_status, so identity is enough.
    return (
        n.online,
        n.last_seen,
        n.restarts,
        n.last_restart,
        n.start_time,
        n.status,
        n.nara_id,
        n.public_key,
    )


def _dumps(value: object) -> bytes:
    return gojson.dumps_sorted(value)


@dataclass
class Card:
    """One nara's card. Its JSON (``body``, ``api``) is encoded when first asked for after a
    change, not on every change: on a busy plaza most versions of a card are never read."""

    name: str
    data: dict[str, object]
    api_data: dict[str, object]  # the /api.json item
    rev: int
    fingerprint: tuple[object, ...] = ()
    status: str = ""
    restarts: int = 0
    since: int = 0  # Unix s: when the current status began (as this node saw it)
    history: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=HISTORY_KEPT))
    _body: bytes | None = None
    _api: bytes | None = None

    @property
    def body(self) -> bytes:
        """``data`` as Go-style JSON."""
        if self._body is None:
            self._body = _dumps(self.data)
        return self._body

    @property
    def api(self) -> bytes:
        """``api_data`` as Go-style JSON."""
        if self._api is None:
            self._api = _dumps(self.api_data)
        return self._api

    def replace(self, data: dict[str, object], api_data: dict[str, object]) -> None:
        self.data, self.api_data = data, api_data
        self._body = self._api = None


class ReadModel:
    """Owned by the runtime (one event loop, no locks); handlers only read."""

    def __init__(self, node: Node, feed: Feed, now: int) -> None:
        self.node = node
        self.server = node.name
        self.feed = feed
        self.rev = now // 1000
        self.started_s = node.me.start_ns // NS
        self._horizon = self.rev  # a client behind this rev gets a snapshot
        self._cards: dict[str, Card] = {}
        self._order: list[str] = []  # neighbours, sorted by name (self is served first)
        self._tombstones: OrderedDict[str, int] = OrderedDict()
        self._changes: deque[dict[str, object]] = deque(maxlen=CHANGES_KEPT)
        self._change_id = 0
        self._changes_horizon = self.rev
        self._doc: dict[str, bytes] = {}  # encoded documents of the current rev
        self._self_at = 0
        self._clout_rev = 0
        self.plaza: dict[str, object] = {"state": "alone", "since": now // NS, "broker": ""}
        self.frames_published = 0
        self._pending_changed: dict[str, Card] = {}
        self._pending_removed: list[str] = []
        self._pending_changes: list[dict[str, object]] = []
        self._self = self._build_self(now)
        self._note("started", self.server, f"{self.server} started", now)
        self._commit(publish=False)

    # ---- what handlers read -------------------------------------------------------------------

    def narae_json(self) -> bytes:
        """``/narae.json``: ``{"naras":[self, neighbours by name],"server":…}`` + newline."""
        return self._document("narae", lambda c: c.body)

    def api_json(self) -> bytes:
        """``/api.json``: the same order, each nara's NaraStatus and this node's observation."""
        return self._document("api", lambda c: c.api)

    def cards(self) -> list[dict[str, object]]:
        return [self._self.data, *(self._cards[n].data for n in self._order)]

    def counts(self) -> dict[str, int]:
        counts = {ONLINE: 1, OFFLINE: 0, MISSING: 0}
        for card in self._cards.values():
            if card.status in counts:
                counts[card.status] += 1
        return counts

    def neighbours(self) -> Iterable[Card]:
        return self._cards.values()

    def changes(self) -> list[dict[str, object]]:
        """The change log, newest first."""
        return list(reversed(self._changes))

    # The views that are not kept as cards: computed from the core's state on request, here, so
    # handlers never hold a core object (the "http → shell: feed only" rule).

    def status_raw(self, name: str) -> bytes | None:
        """The NaraStatus bytes a neighbour last sent, exactly as received (None for self)."""
        entry = self.node.neighbourhood.get(name)
        return None if entry is None else entry.status_raw

    @property
    def ledger_seq(self) -> int:
        """The newest ledger entry's sequence number (where a fresh /events client starts)."""
        return self.node.ledger.last_seq

    def ledger_since(self, seq: int) -> Iterable[Entry]:
        """Ledger entries after ``seq`` that the ledger still holds, oldest first (SSE resume)."""
        return self.node.ledger.since(seq)

    def profile(self, name: str, now: int) -> dict[str, object] | None:
        return views.profile(self.node, name, now)

    def events(
        self, *, service: str, subject: str, after: int, before: int, limit: int, offset: int
    ) -> tuple[list[dict[str, object]], int]:
        """A newest-first page of ledger events as inspector items, and the total matched."""
        if service == "hearsay":  # unverified social events, kept apart from the ledger
            return socialviews.inspector_hearsay(self.node, subject, limit, offset)
        entries, total = self.node.ledger.query(
            service=service, subject=subject, after=after, before=before, limit=limit, offset=offset
        )
        return [socialviews.mark(views.inspector_item(e), e) for e in entries], total

    def social_recent(self) -> dict[str, object]:
        return socialviews.social_recent(self.node)

    def social_teases(self) -> dict[str, object]:
        return socialviews.social_teases(self.node)

    def social_clout(self) -> dict[str, object]:
        """``/social/clout`` (http_ui.go:92-110): our opinion of every nara's clout."""
        return {"clout": dict(self.node.clout), "server": self.node.name}

    def event_detail(self, event_id: str, now: int) -> dict[str, object] | None:
        """One held event in full with its signature checked; None when not held."""
        return eventdetail.event_detail(self.node, event_id, now)

    def network_map(self, now: int) -> dict[str, object]:
        """Every nara's Vivaldi position (from its newspaper) and barrio; self unplaced."""
        return netmap.network_map(self.node, now)

    def world_journeys(self, limit: int) -> dict[str, object]:
        """Completed journeys heard on the plaza, newest first, each hop verified."""
        kept = self.node.journeys.newest_first()
        items = [journeys.view(c, at, self.node.key_for_name) for c, at in kept[:limit]]
        return {"journeys": items, "server": self.node.name, "total": len(kept)}

    def projections(self, now: int) -> dict[str, object]:
        """The reference's projections summary: online status, clout (empty), opinions."""
        return projectionsview.inspector_projections(self.node, now)

    def checkpoints(self) -> dict[str, object]:
        return views.inspector_checkpoints(self.node)

    def checkpoint(self, name: str) -> dict[str, object] | None:
        return views.inspector_checkpoint(self.node, name)

    def uptime(self, name: str, now: int) -> dict[str, object] | None:
        return views.inspector_uptime(self.node, name, now)

    def gauges(self) -> dict[str, int]:
        """The node's sizes for /metrics: ledger held and capacity, roster capacity."""
        ledger = self.node.ledger
        return {
            "ledger_events": len(ledger),
            "ledger_capacity": ledger.capacity,
            "max_naras": self.node.neighbourhood.capacity,
        }

    def counter(self, key: str) -> int:
        return self.node.counters[key]

    def self_observation(self, now: int) -> tuple[int, int]:
        """This node's own (last_seen, restarts)."""
        me = self.node.me.observation(now)
        return me.last_seen, me.restarts

    def node_info(self, build: dict[str, str], broker: str) -> dict[str, object]:
        return {
            "name": self.server,
            "id": self.node.identity.nara_id,
            "version": build.get("version", ""),
            "broker": broker,
            "started": self.started_s,
            "max_naras": self.node.neighbourhood.capacity,
        }

    def snapshot_frame(self, node_info: dict[str, object]) -> Frame:
        """Everything the dashboard draws, as one frame (built from the cached card bytes)."""
        doc = self._doc.get("snapshot-items")
        if doc is None:
            doc = b"[" + b",".join([self._self.body, *(self._cards[n].body for n in self._order)])
            doc += b"]"
            self._doc["snapshot-items"] = doc
        changes = list(self._changes)[-SNAPSHOT_CHANGES:]
        raw = (
            b'{"changes":'
            + _dumps(list(reversed(changes)))
            + b',"naras":'
            + doc
            + b',"node":'
            + _dumps(node_info)
            + b',"plaza":'
            + _dumps(self.plaza)
            + b',"rev":'
            + str(self.rev).encode()
            + b',"server":'
            + _dumps(self.server)
            + b"}"
        )
        return Frame("snapshot", {}, self.node.ledger.last_seq, self.rev, raw=raw.decode())

    def catch_up(self, rev: int, node_info: dict[str, object]) -> Frame | None:
        """What a client at ``rev`` is missing: None when it is current, the changed cards when
        this model still knows them, else a snapshot."""
        if rev == self.rev:
            return None
        if rev < self._horizon or rev < self._changes_horizon or rev > self.rev:
            return self.snapshot_frame(node_info)
        changed = [c for c in self._all_cards() if c.rev > rev]
        if len(changed) > len(self._cards) // 2 + 8:
            return self.snapshot_frame(node_info)
        removed = [name for name, r in self._tombstones.items() if r > rev]
        changes = [c for c in self._changes if int(str(c["rev"])) > rev]
        return self._delta_frame(changed, removed, changes)

    # ---- what the runtime tells it ------------------------------------------------------------

    def touch(self, names: Iterable[str], now: int) -> None:
        """These naras may have changed (commands of one batch): rebuild their cards now."""
        node = self.node
        for name in names:
            if name == self.server:
                continue
            n = node.neighbourhood.get(name)
            if n is None:
                self._remove(name, now)
            else:
                self._update(n, now)
        self._commit()

    def reconcile(self, now: int) -> None:
        """Once a second: every nara against its fingerprint (and, when our clout opinions
        changed, its clout), evictions, this node's own card."""
        seen: set[str] = set()
        clout = self.node.clout
        clout_changed = self._clout_rev != self.node.clout_rev
        self._clout_rev = self.node.clout_rev
        for n in self.node.neighbourhood:
            seen.add(n.name)
            card = self._cards.get(n.name)
            if (
                card is None
                or card.fingerprint != _fingerprint(n)
                or (clout_changed and card.data.get("Clout") != clout.get(n.name, 0.0))
            ):
                self._update(n, now)
        for name in [name for name in self._cards if name not in seen]:
            self._remove(name, now)
        if now - self._self_at >= SELF_EVERY_NS:
            fresh = self._build_self(now)
            if fresh.data != self._self.data:
                fresh.rev = self.rev + 1
                self._self = fresh
                self._pending_changed[self.server] = fresh
        self._commit()

    def note_social(self, entry: Entry, now: int) -> None:
        """A verified social event just entered the ledger: a "tease" line in the change log
        (old ones, from a handover's ledger, are not news). ``touch`` commits it."""
        item = socialviews.change_item(entry, now)
        if item is not None:
            self._note("tease", str(item["name"]), str(item["text"]), now, target=item["target"])

    def set_plaza(self, state: str, broker: str, now: int) -> None:
        if state == self.plaza["state"] and broker == self.plaza["broker"]:
            return
        previous = self.plaza["state"]
        self.plaza = {"state": state, "since": now // NS, "broker": broker}
        if state == "connected":
            text = "connected to the plaza"
            if previous in ("reconnecting", "silent"):
                text = "back on the plaza"
        elif state == "reconnecting":
            text = "lost the plaza; reconnecting"
        elif state == "silent":
            text = "the plaza stopped answering"
        elif state == "connecting":
            text = "connecting to the plaza"
        else:
            text = "running alone, without a plaza"
        self._note("plaza", self.server, f"{self.server} {text}", now, state=state)
        self._commit(force=True)

    # ---- internals ----------------------------------------------------------------------------

    def _all_cards(self) -> list[Card]:
        return [self._self, *self._cards.values()]

    def _document(self, kind: str, part: _Part) -> bytes:
        doc = self._doc.get(kind)
        if doc is None:
            items = b",".join([part(self._self), *(part(self._cards[n]) for n in self._order)])
            doc = b'{"naras":[' + items + b'],"server":' + _dumps(self.server) + b"}\n"
            self._doc[kind] = doc
        return doc

    def _build_self(self, now: int) -> Card:
        self._self_at = now
        data = views.self_card(self.node, now)
        data.update(StatusSince=self.started_s, UpSince=self.started_s, History=[])
        data["History"] = [[self.started_s, ONLINE]]
        api = views.self_api_item(self.node, now)
        return Card(self.server, data, api, self.rev, status=ONLINE)

    def _update(self, n: Neighbour, now: int) -> None:
        now_s = now // NS
        card = self._cards.get(n.name)
        created = card is None
        if card is None:
            card = Card(n.name, {}, {}, 0, since=now_s)
            self._cards[n.name] = card
            self._insert(n.name)
            self._tombstones.pop(n.name, None)
            if n.name in self._pending_removed:
                self._pending_removed.remove(n.name)
            self._note("joined", n.name, f"{n.name} joined", now)
        if n.online != card.status:
            self._status_changed(card, n, now_s)
        elif n.restarts > card.restarts and not created and n.online == ONLINE:
            self._note("restarted", n.name, f"{n.name} restarted", now)
        card.restarts = n.restarts
        card.fingerprint = _fingerprint(n)
        if card.history:
            while len(card.history) > 1 and card.history[1][0] <= now_s - HISTORY_S:
                card.history.popleft()
        data = views.neighbour_card(n, now, self.node.clout.get(n.name, 0.0))
        data.update(
            StatusSince=card.since,
            UpSince=views.up_since(n),
            History=[[t, s] for t, s in card.history],
        )
        if data == card.data:  # same JSON types field by field, so the same bytes
            return
        card.replace(data, views.neighbour_api_item(n))
        card.rev = self.rev + 1
        self._pending_changed[n.name] = card

    def _status_changed(self, card: Card, n: Neighbour, now_s: int) -> None:
        old, new = card.status, n.online
        after = now_s - card.since
        card.status, card.since = new, now_s
        card.history.append((now_s, new))
        if not old:
            return  # its first status: "joined" said it
        was = f"{human_duration(after)} {old.lower()}"
        if new == ONLINE and n.restarts > card.restarts:
            kind, text = "restarted", f"{n.name} restarted after {was}"
        elif new == ONLINE:
            kind, text = "back", f"{n.name} came back after {was}"
        elif new == MISSING:
            kind, text = "missing", f"{n.name} went missing"
        elif new == OFFLINE:
            kind, text = "left", f"{n.name} left"
        else:
            kind, text = "status", f"{n.name} is {new}"
        self._note(kind, n.name, text, now_s * NS, after_s=after, previous=old, status=new)

    def _remove(self, name: str, now: int) -> None:
        if self._cards.pop(name, None) is None:
            return
        self._order.remove(name)
        self._pending_changed.pop(name, None)
        self._pending_removed.append(name)
        self._note("forgotten", name, f"{name} was forgotten (the roster is full)", now)

    def _insert(self, name: str) -> None:
        bisect.insort(self._order, name)

    def _note(self, kind: str, name: str, text: str, now: int, **extra: object) -> None:
        self._change_id += 1
        item: dict[str, object] = {
            "id": self._change_id,
            "kind": kind,
            "name": name,
            "text": text,
            "ts": now // NS,
            "rev": self.rev + 1,
        }
        item.update(extra)
        self._pending_changes.append(item)

    def _commit(self, *, publish: bool = True, force: bool = False) -> None:
        if not (self._pending_changed or self._pending_removed or self._pending_changes or force):
            return
        self.rev += 1
        rev = self.rev
        for card in self._pending_changed.values():
            card.rev = rev
        for name in self._pending_removed:
            self._tombstones[name] = rev
            self._tombstones.move_to_end(name)
            while len(self._tombstones) > TOMBSTONES_KEPT:
                _, dropped = self._tombstones.popitem(last=False)
                self._horizon = max(self._horizon, dropped)
        for item in self._pending_changes:
            item["rev"] = rev
            if len(self._changes) == self._changes.maxlen:
                self._changes_horizon = max(
                    self._changes_horizon, int(str(self._changes[0]["rev"]))
                )
            self._changes.append(item)
        changed = list(self._pending_changed.values())
        removed, changes = self._pending_removed, self._pending_changes
        self._pending_changed, self._pending_removed, self._pending_changes = {}, [], []
        self._doc.clear()
        if publish and self.feed.card_subscribers:  # nobody draws cards: no frame to build
            self.feed.publish(self._delta_frame(changed, removed, changes))
            self.frames_published += 1

    def _delta_frame(
        self, changed: list[Card], removed: list[str], changes: list[dict[str, object]]
    ) -> Frame:
        raw = (
            b'{"changed":['
            + b",".join(c.body for c in changed)
            + b'],"changes":'
            + _dumps(list(reversed(changes)))
            + b',"plaza":'
            + _dumps(self.plaza)
            + b',"removed":'
            + _dumps(removed)
            + b',"rev":'
            + str(self.rev).encode()
            + b"}"
        )
        return Frame("naras", {}, self.node.ledger.last_seq, self.rev, raw=raw.decode())


class _Part(Protocol):
    def __call__(self, card: Card, /) -> bytes: ...
