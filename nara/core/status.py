"""NaraStatus (what a newspaper and a howdy's ``Me`` carry) and NaraObservation (spec §4.3, §4.4).

Python attributes are snake_case; the JSON keys are Go's: untagged fields use the Go field name
(``LicensePlate``, ``PublicKey``…), tagged ones their tag (``coordinates``, ``transport_mode``,
the snake_case observation keys, ``primary``/``secondary``). Key order is Go's struct order.
Integer fields reject floats and bools and values outside the Go type (a float there makes a Go
peer drop the whole message, §0.5); float fields accept JSON integers, as Go does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self

from nara.core import gojson
from nara.core.gojson import (
    UINT32,
    UINT64,
    field_bool,
    field_float,
    field_int,
    field_obj,
    field_str,
)

__all__ = [
    "Aura",
    "Coordinates",
    "HostStats",
    "NaraObservation",
    "NaraStatus",
    "Personality",
    "encode_status",
    "status_from_json",
    "status_to_dict",
]


def _omit(out: dict[str, object], key: str, value: object) -> None:
    if value:  # Go omitempty: "", 0, 0.0, False, empty map
        out[key] = value


@dataclass(frozen=True)
class NaraObservation:
    """One nara's view of another (or itself); every key is omitempty. Times in seconds."""

    restarts: int = 0
    total_uptime: int = 0
    start_time: int = 0
    online: str = ""
    last_seen: int = 0
    last_restart: int = 0
    cluster_name: str = ""
    cluster_emoji: str = ""
    last_ping_rtt: float = 0.0
    avg_ping_rtt: float = 0.0
    last_ping_time: int = 0

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        _omit(out, "restarts", self.restarts)
        _omit(out, "total_uptime", self.total_uptime)
        _omit(out, "start_time", self.start_time)
        _omit(out, "online", self.online)
        _omit(out, "last_seen", self.last_seen)
        _omit(out, "last_restart", self.last_restart)
        _omit(out, "cluster_name", self.cluster_name)
        _omit(out, "cluster_emoji", self.cluster_emoji)
        _omit(out, "last_ping_rtt", float(self.last_ping_rtt))
        _omit(out, "avg_ping_rtt", float(self.avg_ping_rtt))
        _omit(out, "last_ping_time", self.last_ping_time)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, object] | None) -> Self:
        if d is None:
            return cls()
        return cls(
            restarts=field_int(d, "restarts"),
            total_uptime=field_int(d, "total_uptime"),
            start_time=field_int(d, "start_time"),
            online=field_str(d, "online"),
            last_seen=field_int(d, "last_seen"),
            last_restart=field_int(d, "last_restart"),
            cluster_name=field_str(d, "cluster_name"),
            cluster_emoji=field_str(d, "cluster_emoji"),
            last_ping_rtt=field_float(d, "last_ping_rtt"),
            avg_ping_rtt=field_float(d, "avg_ping_rtt"),
            last_ping_time=field_int(d, "last_ping_time"),
        )


@dataclass(frozen=True)
class HostStats:
    """Host/runtime numbers (Go sensors.go); integral fields must stay JSON integers."""

    uptime: int = 0  # uint64, host uptime in seconds
    load_avg: float = 0.0
    mem_alloc_mb: int = 0  # uint64
    mem_sys_mb: int = 0  # uint64
    mem_heap_mb: int = 0  # uint64
    mem_stack_mb: int = 0  # uint64
    num_goroutines: int = 0  # int
    num_gc: int = 0  # uint32
    proc_cpu_percent: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "Uptime": self.uptime,
            "LoadAvg": float(self.load_avg),
            "MemAllocMB": self.mem_alloc_mb,
            "MemSysMB": self.mem_sys_mb,
            "MemHeapMB": self.mem_heap_mb,
            "MemStackMB": self.mem_stack_mb,
            "NumGoroutines": self.num_goroutines,
            "NumGC": self.num_gc,
            "ProcCPUPercent": float(self.proc_cpu_percent),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, object] | None) -> Self:
        if d is None:
            return cls()
        return cls(
            uptime=field_int(d, "Uptime", bounds=UINT64),
            load_avg=field_float(d, "LoadAvg"),
            mem_alloc_mb=field_int(d, "MemAllocMB", bounds=UINT64),
            mem_sys_mb=field_int(d, "MemSysMB", bounds=UINT64),
            mem_heap_mb=field_int(d, "MemHeapMB", bounds=UINT64),
            mem_stack_mb=field_int(d, "MemStackMB", bounds=UINT64),
            num_goroutines=field_int(d, "NumGoroutines"),
            num_gc=field_int(d, "NumGC", bounds=UINT32),
            proc_cpu_percent=field_float(d, "ProcCPUPercent"),
        )


@dataclass(frozen=True)
class Personality:
    agreeableness: int = 0
    sociability: int = 0
    chill: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "Agreeableness": self.agreeableness,
            "Sociability": self.sociability,
            "Chill": self.chill,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, object] | None) -> Self:
        if d is None:
            return cls()
        return cls(
            agreeableness=field_int(d, "Agreeableness"),
            sociability=field_int(d, "Sociability"),
            chill=field_int(d, "Chill"),
        )


@dataclass(frozen=True)
class Aura:
    primary: str = ""  # "#RRGGBB", uppercase hex
    secondary: str = ""

    def to_json(self) -> dict[str, object]:
        return {"primary": self.primary, "secondary": self.secondary}

    @classmethod
    def from_json(cls, d: Mapping[str, object] | None) -> Self:
        if d is None:
            return cls()
        return cls(primary=field_str(d, "primary"), secondary=field_str(d, "secondary"))


@dataclass(frozen=True)
class Coordinates:
    """Vivaldi coordinates; new Go nodes start near the origin with height 1e-5, error 1."""

    x: float = 0.0
    y: float = 0.0
    height: float = 0.0
    error: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "x": float(self.x),
            "y": float(self.y),
            "height": float(self.height),
            "error": float(self.error),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> Self:
        return cls(
            x=field_float(d, "x"),
            y=field_float(d, "y"),
            height=field_float(d, "height"),
            error=field_float(d, "error"),
        )


@dataclass(frozen=True)
class NaraStatus:
    """Go's NaraStatus (nara.go:52-82), fields in marshal order.

    ``observations`` is ``None`` in newspapers (``"Observations":null``) and a map in a howdy's
    ``Me``; ``coordinates``/``event_store_by_service`` ``None`` means omitted.
    """

    license_plate: str = ""
    flair: str = ""
    host_stats: HostStats = field(default_factory=HostStats)
    chattiness: int = 0
    buzz: int = 0
    observations: Mapping[str, NaraObservation] | None = None
    trend: str = ""
    trend_emoji: str = ""
    personality: Personality = field(default_factory=Personality)
    aura: Aura = field(default_factory=Aura)
    version: str = ""
    public_url: str = ""
    public_key: str = ""
    id: str = ""
    mesh_enabled: bool = False
    mesh_ip: str = ""
    coordinates: Coordinates | None = None
    transport_mode: str = ""
    event_store_total: int = 0
    event_store_by_service: Mapping[str, int] | None = None
    event_store_critical: int = 0
    memory_mode: str = ""
    memory_budget_mb: int = 0
    memory_max_events: int = 0
    stash_stored: int = 0
    stash_bytes: int = 0
    stash_confidants: int = 0


def status_to_dict(s: NaraStatus) -> dict[str, object]:
    """Go-ordered dict; maps get Go's sorted key order. Feed to ``gojson.dumps``."""
    observations: dict[str, object] | None = None
    if s.observations is not None:
        observations = {k: s.observations[k].to_json() for k in sorted(s.observations)}
    out: dict[str, object] = {
        "LicensePlate": s.license_plate,
        "Flair": s.flair,
        "HostStats": s.host_stats.to_json(),
        "Chattiness": s.chattiness,
        "Buzz": s.buzz,
        "Observations": observations,
        "Trend": s.trend,
        "TrendEmoji": s.trend_emoji,
        "Personality": s.personality.to_json(),
        "Aura": s.aura.to_json(),
        "Version": s.version,
        "PublicUrl": s.public_url,
        "PublicKey": s.public_key,
        "ID": s.id,
        "MeshEnabled": s.mesh_enabled,
        "MeshIP": s.mesh_ip,
    }
    if s.coordinates is not None:
        out["coordinates"] = s.coordinates.to_json()
    _omit(out, "transport_mode", s.transport_mode)
    _omit(out, "event_store_total", s.event_store_total)
    if s.event_store_by_service:
        by_svc = s.event_store_by_service
        out["event_store_by_service"] = {k: by_svc[k] for k in sorted(by_svc)}
    _omit(out, "event_store_critical", s.event_store_critical)
    _omit(out, "memory_mode", s.memory_mode)
    _omit(out, "memory_budget_mb", s.memory_budget_mb)
    _omit(out, "memory_max_events", s.memory_max_events)
    _omit(out, "stash_stored", s.stash_stored)
    _omit(out, "stash_bytes", s.stash_bytes)
    _omit(out, "stash_confidants", s.stash_confidants)
    return out


def encode_status(s: NaraStatus) -> bytes:
    """The Status bytes as Go's ``json.Marshal`` would write them."""
    return gojson.dumps(status_to_dict(s))


def _observations(d: Mapping[str, object]) -> dict[str, NaraObservation] | None:
    raw = field_obj(d, "Observations")
    if raw is None:
        return None
    out: dict[str, NaraObservation] = {}
    for name, value in raw.items():
        if value is not None and not isinstance(value, dict):
            raise ValueError("Observations: expected objects")
        out[gojson.clean_str(name)] = NaraObservation.from_json(value)
    return out


def _by_service(d: Mapping[str, object]) -> dict[str, int] | None:
    raw = field_obj(d, "event_store_by_service")
    if raw is None:
        return None
    return {gojson.clean_str(k): field_int(raw, k) for k in raw}


def status_from_json(d: Mapping[str, object]) -> NaraStatus:
    """Read a NaraStatus object; missing keys take Go's zero value, wrong types raise ValueError."""
    if not isinstance(d, dict):
        raise ValueError("Status: expected object")
    coords = field_obj(d, "coordinates")
    return NaraStatus(
        license_plate=field_str(d, "LicensePlate"),
        flair=field_str(d, "Flair"),
        host_stats=HostStats.from_json(field_obj(d, "HostStats")),
        chattiness=field_int(d, "Chattiness"),
        buzz=field_int(d, "Buzz"),
        observations=_observations(d),
        trend=field_str(d, "Trend"),
        trend_emoji=field_str(d, "TrendEmoji"),
        personality=Personality.from_json(field_obj(d, "Personality")),
        aura=Aura.from_json(field_obj(d, "Aura")),
        version=field_str(d, "Version"),
        public_url=field_str(d, "PublicUrl"),
        public_key=field_str(d, "PublicKey"),
        id=field_str(d, "ID"),
        mesh_enabled=field_bool(d, "MeshEnabled"),
        mesh_ip=field_str(d, "MeshIP"),
        coordinates=None if coords is None else Coordinates.from_json(coords),
        transport_mode=field_str(d, "transport_mode"),
        event_store_total=field_int(d, "event_store_total"),
        event_store_by_service=_by_service(d),
        event_store_critical=field_int(d, "event_store_critical"),
        memory_mode=field_str(d, "memory_mode"),
        memory_budget_mb=field_int(d, "memory_budget_mb"),
        memory_max_events=field_int(d, "memory_max_events"),
        stash_stored=field_int(d, "stash_stored"),
        stash_bytes=field_int(d, "stash_bytes"),
        stash_confidants=field_int(d, "stash_confidants"),
    )
