"""Benchmarks against the targets of "Fast and small at the size of a real network".

Every row is a ratio measured side by side in one run (shared machines are noisy: a ratio against
a baseline measured at the same moment means more than an absolute number), printed with the
absolute medians beside it. The run writes the table into bench/RESULTS.md (between the markers)
and exits 1 when a target is missed, 2 when a benchmark could not run.

    make bench                            # everything (about six minutes)
    .venv/bin/python bench/run.py crypto ingest neighbourhood   # some sections only

Sections: crypto, decode, ingest, neighbourhood (also api, static on the same node), sse (its own
node at the reference's uncompressed rates), bridge,
binary (cold start, size, idle memory; needs bin/nara from make build).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness as h
from bench.loadgen import FakeNara, Publisher, fleet
from nara.core import crypto, wire
from nara.core.events import SVC_HEY_THERE, make_hey_there
from nara.core.identity import determine_identity
from nara.core.protocol import Node
from nara.core.settings import NodeSettings

NS = 1_000_000_000
MIB = 1024 * 1024
RESULTS = h.ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
COMPRESSION = 10  # neighbourhood: time runs 10x faster than the reference's rates


@dataclass
class Row:
    what: str
    measured: str
    target: str
    ok: bool | None  # None: informational, or could not run
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        mark = {True: "ok  ", False: "MISS", None: "--  "}[row.ok]
        print(f"[{mark}] {row.what}: {row.measured} (target {row.target}) {row.note}", flush=True)


def median_rate(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return number / (time.perf_counter() - start)


# ---- crypto ----------------------------------------------------------------------------------


def bench_crypto(report: Report) -> float:
    """Ed25519 verify: the library nara uses (through nara.core.crypto) vs each candidate bare."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from nacl.bindings import crypto_sign_open

    seed = hashlib.sha256(b"bench").digest()
    message = os.urandom(400)  # about a newspaper's signed Status
    key = Ed25519PrivateKey.from_private_bytes(seed)
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    sig = key.sign(message)
    ours = crypto.SigningKey(seed)
    assert ours.sign(message) == sig and crypto.verify(pub, message, sig)
    candidates: dict[str, Callable[[], object]] = {
        "nara.core.crypto.verify": lambda: crypto.verify(pub, message, sig),
        "PyNaCl (libsodium) bare": lambda: crypto_sign_open(sig + message, pub),
        "cryptography (OpenSSL) bare": lambda: Ed25519PublicKey.from_public_bytes(pub).verify(
            sig, message
        ),
    }
    rates: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(7):  # interleaved rounds
        for name, fn in candidates.items():
            rates[name].append(median_rate(fn, 1500))
    med = {k: statistics.median(v) for k, v in rates.items()}
    fastest = max(v for k, v in med.items() if k.endswith("bare"))
    ratio = med["nara.core.crypto.verify"] / fastest
    detail = ", ".join(f"{k} {1e6 / v:.1f} µs" for k, v in med.items())
    pynacl_vs = med["PyNaCl (libsodium) bare"] / med["cryptography (OpenSSL) bare"]
    report.add(
        Row(
            "crypto: Ed25519 verify in use vs the fastest library",
            f"{ratio:.2f}× ({detail}; PyNaCl is {pynacl_vs:.2f}× cryptography)",
            "≥ 0.95×",
            ratio >= 0.95,
        )
    )
    return med["PyNaCl (libsodium) bare"]


def bench_decode(report: Report) -> None:
    ident = determine_identity("bench-peer", "", "host", hashlib.sha256(b"bench-peer").digest())
    peer = Node(ident, NodeSettings(), random.Random(1), 1_700_000_000 * NS)
    newspaper = wire.encode_newspaper(peer.key, "bench-peer", peer.own_status(0, False))
    hey = make_hey_there(peer.key, "bench-peer", ident.nara_id, 1_700_000_000 * NS).to_json()
    pub, sig = peer.key.public_raw, peer.key.sign(newspaper)
    rounds: dict[str, list[float]] = {"newspaper": [], "hey-there": [], "verify": []}
    for _ in range(5):
        rounds["newspaper"].append(
            median_rate(lambda: wire.decode_newspaper("bench-peer", newspaper), 500)
        )
        rounds["hey-there"].append(
            median_rate(lambda: wire.decode_sync_event(hey, SVC_HEY_THERE), 500)
        )
        rounds["verify"].append(median_rate(lambda: crypto.verify(pub, newspaper, sig), 500))
    med = {k: statistics.median(v) for k, v in rounds.items()}
    report.add(
        Row(
            "decode: newspaper / hey-there decode+verify vs one bare verify",
            f"{med['verify'] / med['newspaper']:.2f}× / "
            f"{med['verify'] / med['hey-there']:.2f}× the cost "
            f"({1e6 / med['newspaper']:.0f} / {1e6 / med['hey-there']:.0f} µs vs "
            f"{1e6 / med['verify']:.0f} µs)",
            "information",
            None,
        )
    )


# ---- plaza ingest ----------------------------------------------------------------------------


class SSEReader(threading.Thread):
    """A /events client in a thread that counts frames and remembers when each line arrived."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.frames = 0
        self._halt = threading.Event()

    def run(self) -> None:
        import http.client

        host, port = self.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/events")
        resp = conn.getresponse()
        while not self._halt.is_set():
            try:
                line = resp.fp.readline()
            except TimeoutError:
                continue
            if not line:
                return
            if line.startswith(b"data:"):
                self.frames += 1

    def stop(self) -> None:
        self._halt.set()


def settle_cpu(pid: int, quiet: float = 0.02, every: float = 0.5) -> float:
    """CPU seconds once the process has gone quiet (less than ``quiet`` s of CPU in ``every``)."""
    last = h.cpu_seconds(pid)
    while True:
        time.sleep(every)
        now = h.cpu_seconds(pid)
        if now - last < quiet:
            return now
        last = now


def bench_ingest(report: Report, verify_rate: float) -> None:
    count = 3000
    naras = fleet("ingest", count, seed=2)
    start_ns = time.time_ns()
    msgs = [n.hey_there(start_ns + i) for i, n in enumerate(naras)]
    msgs += [n.newspaper(1000) for n in naras]
    with h.Stack() as stack:
        broker = stack.mosquitto()
        node = stack.node(
            "bench-ingest",
            "-max-naras",
            str(count + 100),
            "-new-naras-per-s",
            "100000",
            "-new-naras-burst",
            "100000",
            "-ledger-capacity",
            "100000",
            broker=broker,
        )
        h.until(lambda: h.metric(node.metrics(), "nara_plaza_connected") == 1, 20, "connected")
        sse = SSEReader(node.url)
        sse.start()
        pub = Publisher("127.0.0.1", broker.port, "bench-ingest-load")
        cpu0 = settle_cpu(node.pid)
        t0 = time.perf_counter()
        pub.publish_all(msgs)
        pub.flush()

        # No polling while it works: a /metrics scrape at 3,000 naras costs the node ~0.1 s.
        for _ in range(60):
            cpu1 = settle_cpu(node.pid)
            wall = time.perf_counter() - t0
            text = node.metrics()
            if h.metric(text, "nara_messages_received") >= len(msgs):
                break
        else:
            raise TimeoutError("the node did not receive every message")
        dropped = h.metric(text, "nara_messages_dropped")
        online = h.metric(text, "nara_naras", status="ONLINE")
        pub.close()
        sse.stop()
    accepted = len(msgs) - dropped
    rate = accepted / (cpu1 - cpu0)
    ratio = rate / verify_rate
    report.add(
        Row(
            "plaza ingest, end to end (mosquitto → paho → decode, verify, ledger, projections, "
            "SSE)",
            f"{ratio:.2f}× ({rate:,.0f} msg per CPU-second vs {verify_rate:,.0f} bare verifies/s; "
            f"{accepted:.0f} accepted of {len(msgs)}, {online:.0f} ONLINE, "
            f"{cpu1 - cpu0:.2f} CPU-s in {wall:.1f} s, {sse.frames} SSE frames)",
            "≥ 0.5×",
            ratio >= 0.5 and dropped == 0,
        )
    )


# ---- neighbourhood, then API, static UI and the live stream on the same node ----------------


class SteadyLoad(threading.Thread):
    """Every fake nara posts newspapers at its interval and hey-theres every 120-240 s, both
    divided by ``compression`` (1: the reference's own rates)."""

    def __init__(
        self,
        pub: Publisher,
        naras: list[FakeNara],
        started: float,
        compression: float = COMPRESSION,
    ) -> None:
        super().__init__(daemon=True)
        self.pub, self.naras, self.started = pub, naras, started
        self.compression = compression
        self._halt = threading.Event()
        self.sent = 0
        rng = random.Random(3)
        now = time.monotonic()
        self.next_np = {n.name: now + rng.uniform(0, self._np_every(n)) for n in naras}
        self.next_hey = {n.name: now + rng.uniform(0, 240 / compression) for n in naras}
        self.rng = rng

    def _np_every(self, n: FakeNara) -> float:
        return (30 + 270 * (100 - n.chattiness) // 100) / self.compression

    def run(self) -> None:
        while not self._halt.is_set():
            now = time.monotonic()
            for n in self.naras:
                if self.next_np[n.name] <= now:
                    uptime = int(1000 + (now - self.started) * self.compression)
                    self.pub.publish(*n.newspaper(uptime))
                    self.next_np[n.name] = now + self._np_every(n)
                    self.sent += 1
                if self.next_hey[n.name] <= now:
                    self.pub.publish(*n.hey_there(time.time_ns()))
                    self.next_hey[n.name] = now + self.rng.uniform(120, 240) / self.compression
                    self.sent += 1
            self._halt.wait(0.05)

    def stop(self) -> None:
        self._halt.set()


def bench_neighbourhood(report: Report, sections: set[str]) -> None:
    count, steady_s = 1000, 60.0
    naras = fleet("hood", count, seed=4)
    with h.Stack() as stack:
        broker = stack.mosquitto()
        node = stack.node(
            "bench-hood",
            "-max-naras",
            str(count + 200),
            "-new-naras-per-s",
            "1000",
            "-new-naras-burst",
            "1000",
            "-missing-after",
            str(300 // COMPRESSION),
            broker=broker,
        )
        h.until(lambda: h.metric(node.metrics(), "nara_plaza_connected") == 1, 20, "connected")
        pub = Publisher("127.0.0.1", broker.port, "bench-hood-load")
        started = time.monotonic()
        now_ns = time.time_ns()
        pub.publish_all([n.hey_there(now_ns) for n in naras], per_s=500)
        pub.publish_all([n.newspaper(1000) for n in naras], per_s=500)
        h.until(lambda: node.online() >= count, 60, f"{count} ONLINE", 0.5)
        ramp = time.monotonic() - started
        load = SteadyLoad(pub, naras, started)
        load.start()
        cpu0, t0 = h.cpu_seconds(node.pid), time.monotonic()
        low, polls = count, 0
        while time.monotonic() - t0 < steady_s:
            text = node.metrics()
            low = min(low, int(h.metric(text, "nara_naras", status="ONLINE")))
            polls += 1
            time.sleep(1)
        cpu = (h.cpu_seconds(node.pid) - cpu0) / (time.monotonic() - t0)
        rss = h.rss_bytes(node.pid)
        text = node.metrics()
        flaps = count - low
        cpu_real = cpu / COMPRESSION
        report.add(
            Row(
                f"neighbourhood: {count} naras (real keys) on one mosquitto, {steady_s:.0f} s at "
                f"{COMPRESSION}× the reference's rates",
                f"lowest ONLINE {low} of {count} over {polls} polls ({flaps} flapped); CPU "
                f"{cpu * 100:.1f} % of a core compressed → {cpu_real * 100:.1f} % uncompressed; "
                f"RSS {rss / MIB:.0f} MiB; all ONLINE {ramp:.1f} s after the first hey-there; "
                f"{load.sent} messages in the window",
                "all ONLINE, none flaps; CPU ≤ 20 %; RSS ≤ 120 MiB",
                flaps == 0 and cpu_real <= 0.20 and rss <= 120 * MIB,
            )
        )
        try:
            if "api" in sections or "static" in sections:
                bench_http(report, stack, node, sections)
        finally:
            load.stop()
            load.join()
            pub.close()


def bench_http(report: Report, stack: h.Stack, node: h.Node, sections: set[str]) -> None:
    missing = h.ensure_debian_tools()
    if missing:
        report.add(
            Row("API / static UI vs nginx", f"not run: {', '.join(missing)} missing", "", None)
        )
        return
    root = stack.tmp / "www"
    (root / "assets").mkdir(parents=True)
    paths: list[tuple[str, str, float, list[str]]] = []
    if "api" in sections:
        for path in ("/narae.json", "/api.json"):
            paths.append((f"API {path} (1,000 naras)", path, 0.3, []))
    if "static" in sections:
        index = (h.ROOT / "nara" / "web" / "index.html").read_text()
        js = re.search(r'src="__NARA_BASE__(/assets/app-[^"]+\.js)"', index)
        assert js, "no app bundle named in nara/web/index.html"
        enc = ["Accept-Encoding: gzip"]
        paths.append(("static index.html (gzip)", "/index.html", 0.3, enc))
        paths.append((f"static {js.group(1)} (gzip)", js.group(1), 0.5, enc))
    for _, path, _, _ in paths:  # the very bytes the node serves, as files
        node_path = "/" if path == "/index.html" else path
        status, body = h.http_get(node.url, node_path)
        assert status == 200, f"{path}: {status}"
        (root / path.lstrip("/")).write_bytes(body)
        # gzip_static then sends the node's own gzip bytes (the web build's .gz for the bundle).
        status, packed = h.http_get(node.url, node_path, headers={"Accept-Encoding": "gzip"})
        assert status == 200, f"{path} (gzip): {status}"
        if packed == body:  # not compressed by the node (small): nginx's copy as gzip -9
            packed = gzip.compress(body, 9, mtime=0)
        (root / (path.lstrip("/") + ".gz")).write_bytes(packed)
    nginx = stack.nginx(root, workers=1)
    node_path = {"/index.html": "/"}
    for what, path, target, headers in paths:
        ours, theirs = [], []
        for _ in range(3):  # interleaved
            ours.append(h.wrk(node.url, node_path.get(path, path), 4, 50, headers))
            theirs.append(h.wrk(nginx, path, 4, 50, headers))
        o, t = statistics.median(ours), statistics.median(theirs)
        size = (root / path.lstrip("/")).stat().st_size
        report.add(
            Row(
                f"{what} c=50 vs nginx (1 worker), {size / 1024:.0f} KiB",
                f"{o / t:.2f}× ({o:,.0f} vs {t:,.0f} req/s)",
                f"≥ {target}×",
                o / t >= target,
            )
        )


async def _sse_clients(
    url: str, count: int, stalled: int, pub: Publisher, probes: list[FakeNara]
) -> list[float]:
    """``count`` reading clients and ``stalled`` ones that never read; returns every delay from
    publishing a probe's hey-there to a reading client seeing it."""
    host, port = url.removeprefix("http://").split(":")
    sent: dict[bytes, float] = {}
    delays: list[float] = []
    state = {"ready": 0, "finished": 0}
    all_ready, readers_done, release = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def client(read: bool) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n")
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            state["ready"] += 1
            if state["ready"] == count + stalled:
                all_ready.set()
            if not read:
                await release.wait()
                return
            seen: set[bytes] = set()
            while len(seen) < len(probes):
                line = await asyncio.wait_for(reader.readline(), 30)
                if not line:
                    return
                if line.startswith(b"data:"):
                    for name, at in list(sent.items()):
                        if name not in seen and name in line:
                            seen.add(name)
                            delays.append(time.monotonic() - at)
        except TimeoutError:
            return
        finally:
            writer.close()
            if read:
                state["finished"] += 1
                if state["finished"] == count:
                    readers_done.set()

    async def conductor() -> None:
        await asyncio.wait_for(all_ready.wait(), 60)
        await asyncio.sleep(0.5)
        for probe in probes:
            topic, payload = probe.hey_there(time.time_ns())
            sent[probe.name.encode()] = time.monotonic()
            pub.publish(topic, payload)
            await asyncio.sleep(0.5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(readers_done.wait(), 40)
        release.set()

    async with asyncio.TaskGroup() as group:
        group.create_task(conductor())
        for i in range(count + stalled):
            group.create_task(client(i >= stalled))
    return delays


def bench_sse(report: Report, compression: float = 1) -> None:
    """The live stream at the reference's own (uncompressed) rates: its own node with 1,000 fake
    naras (default -missing-after), each posting newspapers at its interval and hey-theres every
    120-240 s (~12 plaza messages/s in all), while 500 clients read /events and 10 never read.
    ``compression`` > 1 runs the load that much faster (a stress figure, not the target's)."""
    count, stalled, naras = 500, 10, 1000
    fleet_ = fleet("hood", naras, seed=4)
    probes = fleet("sse-probe", 20, seed=5)
    with h.Stack() as stack:
        broker = stack.mosquitto()
        node = stack.node(
            "bench-sse",
            "-max-naras",
            str(naras + 200),
            "-new-naras-per-s",
            "1000",
            "-new-naras-burst",
            "1000",
            broker=broker,
        )
        h.until(lambda: h.metric(node.metrics(), "nara_plaza_connected") == 1, 20, "connected")
        pub = Publisher("127.0.0.1", broker.port, "bench-sse-load")
        started = time.monotonic()
        now_ns = time.time_ns()
        pub.publish_all([n.hey_there(now_ns) for n in fleet_], per_s=500)
        pub.publish_all([n.newspaper(1000) for n in fleet_], per_s=500)
        h.until(lambda: node.online() >= naras, 60, f"{naras} ONLINE", 0.5)
        load = SteadyLoad(pub, fleet_, started, compression=compression)
        load.start()
        try:
            cpu0, t0, sent0 = h.cpu_seconds(node.pid), time.monotonic(), load.sent
            mine0 = time.process_time()  # the clients' side (this process) for comparison
            delays = asyncio.run(_sse_clients(node.url, count, stalled, pub, probes))
            wall = time.monotonic() - t0
            cpu = (h.cpu_seconds(node.pid) - cpu0) / wall
            clients_cpu = (time.process_time() - mine0) / wall
            rate = (load.sent - sent0) / wall
            text = node.metrics()
        finally:
            load.stop()
            load.join()
            pub.close()
    cut = h.metric(text, "nara_sse_clients_dropped")
    expected = count * len(probes)
    delays.sort()
    p50 = delays[len(delays) // 2] if delays else float("inf")
    p99 = delays[int(len(delays) * 0.99)] if delays else float("inf")
    got = len(delays)
    report.add(
        Row(
            f"live stream: {count} /events clients (+{stalled} that never read), plaza → "
            f"every client, {naras} naras at "
            + ("the reference's rates" if compression == 1 else f"{compression:g}× its rates"),
            f"p99 {p99 * 1000:.0f} ms, p50 {p50 * 1000:.0f} ms; {got} of {expected} deliveries; "
            f"{rate:.1f} plaza messages/s, node CPU {cpu * 100:.0f} % of a core (the clients' "
            f"process {clients_cpu * 100:.0f} %); "
            f"{cut:.0f} clients cut off",
            "p99 ≤ 250 ms, no client stalls the others",
            p99 <= 0.25 and got == expected,
        )
    )


# ---- two bridged brokers ---------------------------------------------------------------------


def _connected(node: h.Node) -> bool:
    return h.metric(node.metrics(), "nara_plaza_connected") == 1


def bench_bridge(report: Report) -> None:
    per = 500
    left, right = fleet("east", per, seed=6), fleet("west", per, seed=7)
    with h.Stack() as stack:
        a = stack.mosquitto()
        b = stack.mosquitto(bridge_to=a.port)
        args = ["-max-naras", "1200", "-new-naras-per-s", "1000", "-new-naras-burst", "1000"]
        na = stack.node("bench-east", *args, broker=a)
        nb = stack.node("bench-west", *args, broker=b)
        for n in (na, nb):
            h.until(partial(_connected, n), 20, f"{n.name} connected")
        # both nodes see each other first, so the bridge is up before the load starts
        h.until(lambda: na.online() >= 1 and nb.online() >= 1, 60, "the nodes to meet", 0.5)
        pa = Publisher("127.0.0.1", a.port, "bench-east-load")
        pb = Publisher("127.0.0.1", b.port, "bench-west-load")
        t0 = time.monotonic()
        now_ns = time.time_ns()
        for p, fl in ((pa, left), (pb, right)):
            p.publish_all([n.hey_there(now_ns) for n in fl], per_s=1000)
        for p, fl in ((pa, left), (pb, right)):
            p.publish_all([n.newspaper(1000) for n in fl], per_s=1000)
        want = 2 * per + 1  # the fleet and the other node
        times: dict[str, float] = {}
        deadline = t0 + 120
        while len(times) < 2 and time.monotonic() < deadline:
            for n in (na, nb):
                if n.name not in times and n.online() >= want:
                    times[n.name] = time.monotonic() - t0
            time.sleep(0.25)
        dup = {
            n.name: h.metric(n.metrics(), "nara_messages_dropped", reason="duplicate")
            + h.metric(n.metrics(), "nara_messages_dropped", reason="replay")
            for n in (na, nb)
        }
        pa.close()
        pb.close()
    slowest = max(times.values()) if len(times) == 2 else float("inf")
    report.add(
        Row(
            f"beyond one broker: two bridged mosquittos, {per} naras on each, one node on each",
            f"all {want} ONLINE on both after {slowest:.1f} s "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in times.items())}); duplicates/replays "
            f"dropped {dup}",
            "all within one newspaper interval (30 s, the shortest); nothing duplicated",
            slowest <= 30 and not any(dup.values()),
        )
    )


# ---- the binary ------------------------------------------------------------------------------


def _cold_start(cmd: list[str]) -> float:
    port = h.free_port()
    env = {"PATH": os.environ.get("PATH", ""), "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "-name", "bench", "-http-addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=h.ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if h.http_get(f"http://127.0.0.1:{port}", "/livez", 1)[0] == 200:
                    return time.perf_counter() - start
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"{cmd[0]} did not answer /livez within 60 s")
    finally:
        h.stop(proc)


def bench_binary(report: Report) -> None:
    binary = h.ROOT / "bin" / "nara"
    if not binary.exists():
        report.add(Row("binary", "bin/nara not built (make build)", "", None))
        return
    size = binary.stat().st_size
    report.add(Row("binary size", f"{size / MIB:.1f} MiB ({size:,} B)", "≤ 16 MB", size <= 16e6))
    py, frozen = [], []
    for _ in range(10):  # interleaved
        py.append(_cold_start([sys.executable, "-m", "nara"]))
        frozen.append(_cold_start([str(binary)]))
    p, f = statistics.median(py), statistics.median(frozen)
    report.add(
        Row(
            "cold start: exec → first 200 on /livez, bin/nara vs python -m nara (10 interleaved)",
            f"{f / p:.2f}× ({f:.2f} s vs {p:.2f} s)",
            "≤ 1.3×",
            f / p <= 1.3,
        )
    )
    rss = {}
    for label, cmd in (
        ("bin/nara", [str(binary)]),
        ("python -m nara", [sys.executable, "-m", "nara"]),
    ):
        with h.Stack() as stack:
            node = stack.node("bench-idle", command=cmd)
            for i in range(100):
                h.http_get(node.url, ("/livez", "/api.json", "/narae.json", "/")[i % 4])
            time.sleep(1)
            rss[label] = h.tree_rss(node.pid)
    report.add(
        Row(
            "idle memory: RSS after start and 100 requests, launcher + server",
            f"{rss['bin/nara'] / MIB:.1f} MiB "
            f"(python -m nara: {rss['python -m nara'] / MIB:.1f} MiB)",
            "≤ 55 MiB",
            rss["bin/nara"] <= 55 * MIB,
        )
    )


# ---- the report ------------------------------------------------------------------------------


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    try:
        import nacl

        nacl_version = nacl.__version__
    except ImportError:
        nacl_version = "absent"
    return (
        f"{os.cpu_count()} × {model or platform.processor()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}, PyNaCl {nacl_version}, "
        f"mosquitto {_version(['mosquitto', '-h'])}, nginx {_version(['nginx', '-v'])}; "
        f"load average at start {load[0]:.2f} (shared with other work)"
    )


def _version(cmd: list[str]) -> str:
    if not shutil.which(cmd[0]) and not Path("/usr/sbin/" + cmd[0]).exists():
        return "absent"
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", out.stdout + out.stderr)
    return match.group(1) if match else "?"


def write_results(report: Report, argv: list[str], started: str, where: str) -> None:
    lines = [
        BEGIN,
        f"Run `{' '.join(['python bench/run.py', *argv]).strip()}` at {started} on: {where}.",
        "",
        "| | what | measured | target |",
        "|---|---|---|---|",
    ]
    for r in report.rows:
        mark = {True: "✅", False: "❌", None: "·"}[r.ok]
        lines.append(f"| {mark} | {r.what} | {r.measured} | {r.target} |")
    lines.append(END)
    block = "\n".join(lines)
    text = RESULTS.read_text() if RESULTS.exists() else f"# Benchmark results\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text += "\n" + block + "\n"
    RESULTS.write_text(text)


ALL = ["crypto", "decode", "ingest", "neighbourhood", "api", "static", "sse", "bridge", "binary"]


def main(argv: list[str]) -> int:
    sections = set(argv) or set(ALL)
    unknown = sections - set(ALL)
    if unknown:
        print(f"bench: unknown section(s) {', '.join(sorted(unknown))}; known: {' '.join(ALL)}")
        return 2
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    where = machine()
    print(f"bench: {where}", flush=True)
    report = Report()
    failed = False
    verify_rate = 0.0
    steps: list[tuple[str, Callable[[], object]]] = [
        ("crypto", lambda: None),
        ("decode", lambda: bench_decode(report)),
        ("ingest", lambda: bench_ingest(report, verify_rate)),
        ("neighbourhood", lambda: bench_neighbourhood(report, sections)),
        ("sse", lambda: bench_sse(report)),
        ("bridge", lambda: bench_bridge(report)),
        ("binary", lambda: bench_binary(report)),
    ]
    if sections & {"ingest", "crypto"}:
        verify_rate = bench_crypto(report) if "crypto" in sections else 0.0
        if not verify_rate:
            verify_rate = bench_crypto(Report())
    hood = {"neighbourhood", "api", "static"}
    for name, step in steps:
        wanted = name in sections or (name == "neighbourhood" and sections & hood)
        if name == "crypto" or not wanted:
            continue
        try:
            step()
        except Exception as exc:  # one readable line; the other sections still run
            failed = True
            report.add(Row(name, f"could not run: {type(exc).__name__}: {exc}", "", None))
    write_results(report, argv, started, where)
    print(f"bench: wrote {RESULTS.relative_to(h.ROOT)}")
    if failed:
        return 2
    return 1 if any(r.ok is False for r in report.rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
