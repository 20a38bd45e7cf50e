"""Bounds on everything nara keeps from a peer (security.md, "Fat peers").

The reference never sends more than a few dozen characters in any NaraStatus string, a handful of
services in ``event_store_by_service`` and at most 10 howdy neighbours (presence_howdy.go:216-286);
these limits leave generous room above that. A status that breaks one is dropped whole
(``oversized_field``), never truncated: truncating would keep something the peer never signed.
Integers that feed our own numbers (buzz, chattiness) are clamped where they are used.
"""

from __future__ import annotations

from typing import Final

from nara.core.status import NaraStatus

MAX_NEWSPAPER_BYTES: Final = 64 * 1024  # a Go newspaper is about 1 KiB
MAX_HOWDY_NEIGHBOURS: Final = 32  # Go sends at most 10
MAX_OBSERVATIONS: Final = 10_000  # a howdy's Me.Observations (one per nara the sender knows)
MAX_SERVICES: Final = 32
MAX_SERVICE_NAME: Final = 32

# field → the most characters we keep
STRING_LIMITS: Final[dict[str, int]] = {
    "LicensePlate": 32,
    "Flair": 128,
    "Trend": 64,
    "TrendEmoji": 16,
    "Version": 32,
    "PublicUrl": 512,
    "PublicKey": 64,
    "ID": 64,
    "MeshIP": 64,
    "transport_mode": 16,
    "memory_mode": 16,
    "Aura.primary": 16,
    "Aura.secondary": 16,
}


def _strings(s: NaraStatus) -> dict[str, str]:
    return {
        "LicensePlate": s.license_plate,
        "Flair": s.flair,
        "Trend": s.trend,
        "TrendEmoji": s.trend_emoji,
        "Version": s.version,
        "PublicUrl": s.public_url,
        "PublicKey": s.public_key,
        "ID": s.id,
        "MeshIP": s.mesh_ip,
        "transport_mode": s.transport_mode,
        "memory_mode": s.memory_mode,
        "Aura.primary": s.aura.primary,
        "Aura.secondary": s.aura.secondary,
    }


def status_problem(status: NaraStatus) -> str:
    """Why a peer's status is too big to keep, or "" when every field is within bounds."""
    for key, value in _strings(status).items():
        if len(value) > STRING_LIMITS[key]:
            return f"{key} is {len(value)} characters (at most {STRING_LIMITS[key]})"
    by_service = status.event_store_by_service or {}
    if len(by_service) > MAX_SERVICES:
        return f"event_store_by_service has {len(by_service)} entries (at most {MAX_SERVICES})"
    if any(len(k) > MAX_SERVICE_NAME for k in by_service):
        return "event_store_by_service has an over-long service name"
    if status.observations is not None and len(status.observations) > MAX_OBSERVATIONS:
        return f"Observations has {len(status.observations)} entries (at most {MAX_OBSERVATIONS})"
    return ""


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
