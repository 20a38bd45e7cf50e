"""Benchmarks, printed as ratios measured side by side in one run (shared machines are noisy, so
absolute numbers mean little; ratios against a baseline measured at the same moment do).

1. Plaza decode cost: full newspaper / hey-there handling vs plain ``json.loads`` of the same bytes.
2. Ledger memory: bytes held per event vs the event's wire size.
3. Start-up: ``bin/nara`` (frozen, static) vs ``python -m nara`` until /livez answers, if built.

Run with ``make bench``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections.abc import Callable
from pathlib import Path

from nara.core import wire
from nara.core.events import SVC_HEY_THERE, make_hey_there
from nara.core.identity import determine_identity
from nara.core.ledger import Ledger
from nara.core.protocol import Node, NodeSettings

ROOT = Path(__file__).resolve().parents[1]
NS = 1_000_000_000
T0 = 1_700_000_000 * NS


def best_of(fn: Callable[[], object], number: int, repeat: int = 5) -> float:
    """Best per-call time in seconds over ``repeat`` runs of ``number`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def identity(name: str):  # type: ignore[no-untyped-def]
    return determine_identity(name, "", "host", hashlib.sha256(name.encode()).digest())


def bench_decode() -> None:
    peer = Node(identity("bench-peer"), NodeSettings(), random.Random(1), T0)
    newspaper = wire.encode_newspaper(peer.key, "bench-peer", peer.own_status(T0, False))
    hey = make_hey_there(peer.key, "bench-peer", peer.identity.nara_id, T0).to_json()
    base_np = best_of(lambda: json.loads(newspaper), 2000)
    full_np = best_of(lambda: wire.decode_newspaper("bench-peer", newspaper), 500)
    base_hey = best_of(lambda: json.loads(hey), 2000)
    full_hey = best_of(lambda: wire.decode_sync_event(hey, SVC_HEY_THERE), 500)
    print(
        f"decode newspaper ({len(newspaper)} B): {full_np * 1e6:7.1f} us, "
        f"{full_np / base_np:5.1f}x json.loads (includes Ed25519 verify)"
    )
    print(
        f"decode hey-there ({len(hey)} B): {full_hey * 1e6:7.1f} us, "
        f"{full_hey / base_hey:5.1f}x json.loads (includes Ed25519 verify)"
    )
    print(f"  → one core handles about {1 / full_np:,.0f} newspapers/s")


def bench_ledger_memory() -> None:
    peer = identity("bench-peer")
    key = peer.signing_key()
    events = [make_hey_there(key, f"nara-{i % 50}", peer.nara_id, T0 + i) for i in range(20_000)]
    wire_bytes = sum(len(e.to_json()) for e in events)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ledger = Ledger(20_000)
    for event in events:
        ledger.append(event)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per_event = (after - before) / len(ledger)
    print(
        f"ledger: {per_event:6.0f} B per event held (index + entry), "
        f"{(after - before) / wire_bytes:4.2f}x the wire size of the events themselves"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _startup(cmd: list[str]) -> float:
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", ""), "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "-name", "bench", "-http-addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1):
                    return time.perf_counter() - start
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"{cmd[0]} did not answer /livez within 60 s")
    finally:
        proc.terminate()
        proc.wait(10)


def bench_startup() -> None:
    binary = ROOT / "bin" / "nara"
    if not binary.exists():
        print("start-up: bin/nara not built (make build); skipped")
        return
    py, frozen = [], []
    for _ in range(3):  # interleaved, so both see the same machine load
        py.append(_startup([sys.executable, "-m", "nara"]))
        frozen.append(_startup([str(binary)]))
    p, f = statistics.median(py), statistics.median(frozen)
    print(f"start-up to /livez: bin/nara {f:.2f} s, python -m nara {p:.2f} s ({f / p:.2f}x)")


def main() -> None:
    bench_decode()
    bench_ledger_memory()
    bench_startup()


if __name__ == "__main__":
    main()
