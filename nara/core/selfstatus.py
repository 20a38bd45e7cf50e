"""This nara's own NaraStatus (spec §4.4): personality, aura, flair, buzz, chattiness, host stats.

Everything that changes comes in through ``update(now, sensors, ...)`` about once a second; the
status itself is assembled on demand for newspapers, howdys and the HTTP views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nara.core import barrio
from nara.core import status as wire
from nara.core.identity import Identity, gemstone
from nara.core.personality import AuraPainter, FlairInputs, compose_flair, personality
from nara.core.social import BOOTING_S, Buzz, PeerBuzz, StartTimeVotes, chattiness

NS = 1_000_000_000
VERSION = "0.3.0"  # what newspapers announce (the reference sends "0.2.0"; informational only)


class _Uniform(Protocol):
    def uniform(self, a: float, b: float, /) -> float: ...


@dataclass(frozen=True, slots=True)
class Sensors:
    """Facts about the host and process, gathered by the shell (nara/sensors.py)."""

    host_uptime_s: int = 0
    load: float = 0.0  # 1-minute load average divided by CPU count
    rss_mb: int = 0
    tasks: int = 0
    gc_count: int = 0
    cpu_percent: float = 0.0
    raspberry_pi: bool = False
    nixos: bool = False
    kubernetes: bool = False


@dataclass(frozen=True, slots=True)
class Remembered:
    """What this nara must not forget between runs (kept in the state directory by the shell).

    ``start_time_s`` is the first start ever (Unix s), ``restarts`` how many times it has started
    since. They are ours alone to know: nothing a peer says changes them (security.md).
    """

    start_time_s: int = 0
    restarts: int = 0


class SelfState:
    def __init__(
        self,
        identity: Identity,
        hostname: str,
        public_url: str,
        start_ns: int,
        rand: _Uniform,
        remembered: Remembered | None = None,
    ) -> None:
        self.identity = identity
        self.hostname = hostname
        self.public_url = public_url
        self.start_ns = start_ns
        self.personality = personality(identity.soul)
        self.painter = AuraPainter(identity.soul.text, identity.name, self.personality)
        self.gemstone = gemstone(identity.name, identity.soul)
        self.buzz = Buzz()
        self.votes = StartTimeVotes()
        remembered = remembered or Remembered()
        self.restarts = max(0, remembered.restarts)
        # 0: never started before as far as we know; then the network's votes may fill it in.
        self.first_start_s = remembered.start_time_s if remembered.start_time_s > 0 else 0
        self.sensors = Sensors()
        self.peer_buzz = PeerBuzz()
        self.network_size = 1
        self._aura: tuple[int, tuple[str, str]] = (-1, ("", ""))
        # Vivaldi start: a random point within 0.001 of the origin (vivaldi.go:12-54).
        self.coordinates = wire.Coordinates(
            x=rand.uniform(-0.001, 0.001), y=rand.uniform(-0.001, 0.001), height=1e-5, error=1.0
        )
        # Trends (nara/core/trends.py): ours, set by Node's trend step every 30 s.
        self.trend = ""
        self.trend_emoji = ""

    def update(self, now: int, sensors: Sensors, neighbours: int) -> None:
        self.sensors = sensors
        self.network_size = neighbours + 1
        self.buzz.decay(now)

    def uptime_s(self, now: int) -> int:
        return max(0, (now - self.start_ns) // NS)

    def booting(self, now: int) -> bool:
        return self.uptime_s(now) < BOOTING_S

    def start_time(self) -> int:
        """Our first start: what we remember; else what established neighbours agree on, if it
        is earlier than this run's start; else this run's start."""
        if self.first_start_s:
            return self.first_start_s
        run_start = self.start_ns // NS
        voted = self.votes.consensus()
        return voted if 0 < voted < run_start else run_start

    def remembered(self) -> Remembered:
        return Remembered(start_time_s=self.start_time(), restarts=self.restarts)

    def chattiness(self, now: int) -> int:
        return chattiness(
            self.buzz.published(self.peer_buzz) // 2, self.sensors.load, self.booting(now)
        )

    def aura(self, now: int) -> tuple[str, str]:
        uptime = self.uptime_s(now)
        if self._aura[0] != uptime:  # recomputed at most once per second of uptime
            self._aura = (uptime, self.painter.at(uptime))
        return self._aura[1]

    def flair(self, now: int) -> str:
        return compose_flair(
            FlairInputs(
                name=self.identity.name,
                sociability=self.personality.sociability,
                gemstone=self.gemstone,
                bond_valid=self.identity.bond_valid,
                hostname=self.hostname,
                raspberry_pi=self.sensors.raspberry_pi,
                nixos=self.sensors.nixos,
                kubernetes=self.sensors.kubernetes,
                trend_emoji=self.trend_emoji,
                network_size=self.network_size,
                start_time_known=bool(self.first_start_s or self.votes.votes),
                chattiness=self.chattiness(now),
                load=self.sensors.load,
                uptime_s=self.uptime_s(now),
                booting=self.booting(now),
            )
        )

    def observation(self, now: int) -> wire.NaraObservation:
        return wire.NaraObservation(
            restarts=self.restarts,
            start_time=self.start_time(),
            online="ONLINE",
            last_seen=now // NS,
            last_restart=self.start_ns // NS,
        )

    def license_plate(self, now: int) -> str:
        """Our barrio's emoji (flair.go:113-116, barrios.go:25-65): from the grid cell of our own
        coordinates, which are always valid, with the default grid (we measure no pings)."""
        c = self.coordinates
        year, month = barrio.year_month(now)
        return barrio.plate(self.identity.name, (c.x, c.y), year, month)[1]

    def host_stats(self) -> wire.HostStats:
        s = self.sensors
        return wire.HostStats(
            uptime=s.host_uptime_s,
            load_avg=int(s.load * 100) / 100,
            mem_alloc_mb=s.rss_mb,
            mem_sys_mb=s.rss_mb,
            mem_heap_mb=0,
            mem_stack_mb=0,
            num_goroutines=s.tasks,
            num_gc=s.gc_count,
            proc_cpu_percent=round(s.cpu_percent, 2),
        )

    def status(
        self,
        now: int,
        *,
        observations: dict[str, wire.NaraObservation] | None,
        ledger_total: int,
        ledger_by_service: dict[str, int],
        memory_mode: str,
        ledger_capacity: int,
    ) -> wire.NaraStatus:
        primary, secondary = self.aura(now)
        p = self.personality
        return wire.NaraStatus(
            license_plate=self.license_plate(now),
            flair=self.flair(now),
            host_stats=self.host_stats(),
            chattiness=self.chattiness(now),
            buzz=self.buzz.published(self.peer_buzz),
            observations=observations,
            trend=self.trend,
            trend_emoji=self.trend_emoji,
            personality=wire.Personality(p.agreeableness, p.sociability, p.chill),
            aura=wire.Aura(primary, secondary),
            version=VERSION,
            public_url=self.public_url,
            public_key=self.identity.public_key,
            id=self.identity.nara_id,
            mesh_enabled=False,
            mesh_ip="",
            coordinates=self.coordinates,
            transport_mode="mqtt",
            event_store_total=ledger_total,
            event_store_by_service=ledger_by_service,
            memory_mode=memory_mode,
            memory_max_events=ledger_capacity,
        )
