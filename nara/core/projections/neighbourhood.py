"""The neighbourhood: what this nara knows and thinks of every other nara (spec §4.1b, §4.3).

Entries are created only from a nara's own *verified* words (its signed hey-there, chau, newspaper
or the ``Me`` of its howdy). What third parties claim about others (howdy ``Neighbors``) only merges
into entries that already exist, so nothing received can conjure a nara that does not exist.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from nara.core.wire import NaraObservation, NaraStatus

NS = 1_000_000_000
RECENT_SIGNATURES = 8  # newspaper signatures remembered per nara, to spot replays
MAX_CLAIMED_RESTARTS = 1_000_000  # a third party's restart count above this is not plausible
EPOCH_S = 1_577_836_800  # 2020-01-01: no nara started before this
MAX_VOUCHED_KEYS = 4
MAX_VOUCHERS = 16


@dataclass(slots=True)
class Neighbour:
    """Mutable record of one other nara, owned by the Node."""

    name: str
    nara_id: str = ""
    public_key: str = ""
    mesh_ip: str = ""
    status: NaraStatus | None = None
    status_raw: bytes | None = None
    online: str = ""
    last_seen: int = 0  # s
    restarts: int = 0
    last_restart: int = 0  # s
    start_time: int = 0  # s, first time we (or the network) saw it
    # What we hold from its key, to refuse replays (security.md, "Replays"):
    first_seen_ns: int = 0  # when *we* first heard of it
    last_event_ts: int = 0  # newest hey-there/chau envelope ts accepted from it, ns
    uptime_floor: int = 0  # highest HostStats.Uptime of its newspapers since its last hey-there
    recent_signatures: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_SIGNATURES))
    signed_status: bool = False  # status came from its own signed newspaper (not a howdy's Me)
    confirmations: int = 0  # established naras that mentioned it in a howdy (capped)
    heard_hey_there: int = 0  # ns, our clock: when we last accepted its hey-there
    heard_newspaper: int = 0  # ns, our clock: when we last accepted its newspaper
    vouches: dict[str, set[str]] = field(default_factory=dict)  # key → established naras
    check_at: int = 0  # ns: the pending MISSING re-check in the node's deadline heap; 0 = none

    @property
    def transport_mode(self) -> str:
        return self.status.transport_mode if self.status is not None else ""

    def observation(self) -> NaraObservation:
        return NaraObservation(
            restarts=self.restarts,
            start_time=self.start_time,
            online=self.online,
            last_seen=self.last_seen,
            last_restart=self.last_restart,
        )

    def adopt_status(self, status: NaraStatus, *, signed: bool) -> None:
        """Take the nara's own status (its signed newspaper, or a howdy's unsigned ``Me`` when we
        hold nothing signed); the Observations map is never kept. A status without key or ID
        keeps the known ones."""
        if self.signed_status and not signed:
            return  # a howdy's Me is a claim; the nara's own newspaper outranks it
        self.status = replace(status, observations=None)
        self.signed_status = signed
        self.public_key = status.public_key or self.public_key
        self.nara_id = status.id or self.nara_id

    def vouch(self, key: str, voucher: str) -> None:
        """An established nara listed this nara with ``key`` in a howdy (bounded: 4 keys, 16
        vouchers each)."""
        if not key or (key not in self.vouches and len(self.vouches) >= MAX_VOUCHED_KEYS):
            return
        vouchers = self.vouches.setdefault(key, set())
        if len(vouchers) < MAX_VOUCHERS:
            vouchers.add(voucher)

    def vouched(self, key: str) -> int:
        return len(self.vouches.get(key, ()))

    def rekey(self, key: str) -> None:
        """Another soul under this name: forget what orders and dedups the old key's words."""
        self.public_key = key
        self.last_event_ts = 0
        self.uptime_floor = 0
        self.recent_signatures.clear()
        self.heard_hey_there = 0
        self.heard_newspaper = 0

    def merge_observation(self, obs: NaraObservation, now_s: int) -> None:
        """A third party's claim about this nara (howdy ``Neighbors``): it only fills in what we
        do not know yet, and only with plausible values. It never overwrites what we counted
        from the nara's own signed words (security.md, "Forged howdys")."""
        if 0 < obs.last_seen <= now_s and not self.last_seen:
            self.last_seen = obs.last_seen
        if 0 < obs.restarts <= MAX_CLAIMED_RESTARTS and not self.restarts:
            self.restarts = obs.restarts
        if EPOCH_S <= obs.last_restart <= now_s and not self.last_restart:
            self.last_restart = obs.last_restart
        if EPOCH_S <= obs.start_time <= now_s and not self.start_time:
            self.start_time = obs.start_time


class Neighbourhood:
    """Name → Neighbour, never including this nara itself. Bounded by the node (``full``)."""

    def __init__(self, me: str, capacity: int = 1000) -> None:
        self.me = me
        self.capacity = capacity
        self._naras: dict[str, Neighbour] = {}

    @property
    def full(self) -> bool:
        return len(self._naras) >= self.capacity

    def remove(self, name: str) -> Neighbour | None:
        return self._naras.pop(name, None)

    def values(self) -> Iterator[Neighbour]:
        """Iterate without copying (callers must not add or remove while iterating)."""
        return iter(self._naras.values())

    def __contains__(self, name: object) -> bool:
        return name in self._naras

    def __iter__(self) -> Iterator[Neighbour]:
        return iter(list(self._naras.values()))

    def __len__(self) -> int:
        return len(self._naras)

    def get(self, name: str) -> Neighbour | None:
        return self._naras.get(name)

    def ensure(self, name: str) -> tuple[Neighbour, bool]:
        """The entry for ``name``, created if needed; True when it was created."""
        if name == self.me:
            raise ValueError("the neighbourhood never holds this nara itself")
        entry = self._naras.get(name)
        if entry is not None:
            return entry, False
        entry = self._naras[name] = Neighbour(name)
        return entry, True

    def eviction_candidate(self, now: int, established_ns: int) -> Neighbour | None:
        """Who makes room for a newcomer when the roster is full (security.md, "Sybils"):
        first a nara that is not ONLINE (the longest silent), then an ONLINE stranger that no
        established nara ever mentioned and that we met less than ``established_ns`` ago (the
        newest first). Established or confirmed ONLINE naras are never evicted: None."""
        offline: Neighbour | None = None
        stranger: Neighbour | None = None
        for n in self._naras.values():
            if n.online != "ONLINE":
                if offline is None or n.last_seen < offline.last_seen:
                    offline = n
            elif (
                not n.confirmations
                and now - n.first_seen_ns < established_ns
                and (stranger is None or n.first_seen_ns > stranger.first_seen_ns)
            ):
                stranger = n
        return offline or stranger
