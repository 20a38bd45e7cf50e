"""The node's settings: one frozen value, the one place their defaults live.

``nara/config.py``'s settings table reads its defaults from here and resolves flags and env vars
straight into a ``NodeSettings`` (``Config.node``), which ``build_app`` hands to the core as it is:
no second copy of these values exists anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

MEMORY_MODE_CAPACITY = {"short": 2_000, "medium": 20_000, "hog": 200_000}  # ledger events
MIN_VOTERS = 5  # MinVotersRequired: votes a proposal needs, and signatures a final must carry


@dataclass(frozen=True, slots=True)
class NodeSettings:
    ledger_capacity: int = MEMORY_MODE_CAPACITY["medium"]
    max_naras: int = 1000  # the roster bound (security.md, "Sybils")
    new_naras_per_s: float = 5.0  # admissions of naras never seen before
    new_naras_burst: int = 50
    howdys_per_s: float = 2.0  # howdy replies we send
    howdys_burst: int = 10
    ledger_requests_per_s: float = 5.0  # ledger requests we answer
    ledger_requests_burst: int = 20
    clock_skew_s: float = 300.0  # accepted |ts - our clock| of a hey-there or chau
    missing_after_s: float = 300.0
    gossip_missing_after_s: float = 3600.0
    memory_mode: str = "medium"
    # Checkpoints (checkpoint_service.go:27-33): propose at most once per interval, with at least
    # ``checkpoint_min_voters`` + 1 other naras ONLINE; finalize after the vote window.
    checkpoint_interval_s: float = 86400.0
    checkpoint_check_s: float = 900.0
    checkpoint_vote_window_s: float = 60.0
    checkpoint_min_voters: int = MIN_VOTERS
    checkpoint_vote_after_s: float = 60.0  # no votes while we have run for less than this
    prune_every_s: float = 300.0
    public_url: str = ""
    hostname: str = ""


DEFAULTS = NodeSettings()
