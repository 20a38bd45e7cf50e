"""The neighbourhood: what this nara knows and thinks of every other nara (spec §4.1b, §4.3).

Entries are created only from a nara's own *verified* words (its signed hey-there, chau, newspaper
or the ``Me`` of its howdy). What third parties claim about others (howdy ``Neighbors``) only merges
into entries that already exist, so nothing received can conjure a nara that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nara.core.wire import NaraObservation, NaraStatus

NS = 1_000_000_000


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

    def adopt_status(self, status: NaraStatus) -> None:
        """Take the nara's own (verified) status; a status without key or ID keeps the known."""
        self.status = status
        self.public_key = status.public_key or self.public_key
        self.nara_id = status.id or self.nara_id

    def merge_observation(self, obs: NaraObservation) -> None:
        """Merge a third party's observation (max of counters, fill an unknown start time)."""
        self.last_seen = max(self.last_seen, obs.last_seen)
        self.restarts = max(self.restarts, obs.restarts)
        self.last_restart = max(self.last_restart, obs.last_restart)
        if not self.start_time and obs.start_time > 0:
            self.start_time = obs.start_time


class Neighbourhood:
    """Name → Neighbour, never including this nara itself."""

    def __init__(self, me: str) -> None:
        self.me = me
        self._naras: dict[str, Neighbour] = {}

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
