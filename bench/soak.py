"""Soak: a real nara under 100,000 hostile messages on a real broker (``make soak``).

It starts mosquitto on a free loopback port and the node as a real process (``python -m nara``),
introduces two honest peers, then publishes every hostile class of bench/soak_messages.py, one
phase per class, while a separate process probes ``/livez`` and ``/api.json`` every 50 ms and
samples the node's RSS, and another watches what the node publishes. At the end it prints one
line per check (PASS/FAIL, measured value against its limit) and exits 0 only if all pass.

    .venv/bin/python bench/soak.py [--messages 100000] [--seed N] [--keep-logs]

Flow control: the node's ``nara_messages_received_total`` says how far it has read; the harness
keeps at most ``--window`` messages (and 16 MiB) in flight, so mosquitto never has to drop and
what is measured is the node, not a broker queue. Each phase has a time budget, so a node that
stalls makes the run fail, not hang.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import queue
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "bench")) if p not in sys.path]

import paho.mqtt.client as mqtt  # noqa: E402
import soak_messages as sm  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from nara.core.names import valid_name  # noqa: E402
from nara.core.status import HostStats  # noqa: E402
from tests.integration.helpers import Stranger, make_identity  # noqa: E402

NODE = "soak-node"
URL_LINE = re.compile(rb"dashboard at (http://\S+?)/?$", re.M)
MiB = 1024 * 1024
# what the node publishes on topics it subscribes to, so the broker hands it back
ECHOED = frozenset(
    {"nara/plaza/hey_there", "nara/plaza/chau", "nara/plaza/howdy", "nara/newspaper/+"}
)
OUTBOUND_REASONS = frozenset({"outbox_full"})  # counted in the same metric, not inbound drops
FUTURE_SLACK_S = 300  # a LastSeen further ahead than this means "ONLINE forever"


# ---- small tools -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            value = predicate()
            if value:
                return value
        if time.monotonic() >= deadline:
            raise SoakError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


class SoakError(Exception):
    """The harness itself could not go on (the node never started, the broker died…)."""


def http_get(base: str, path: str, timeout: float) -> tuple[int, bytes]:
    host, _, port = base.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def summarise_states(seen: list[tuple[str, dict[str, Any] | None]]) -> str:
    """ "OFFLINE after random..fat, absent after sybils..end" from (phase, entry) pairs."""
    runs: list[tuple[str, list[str]]] = []
    for phase, entry in seen:
        state = str(entry.get("Online")) if entry else "absent (evicted)"
        if runs and runs[-1][0] == state:
            runs[-1][1].append(phase)
        else:
            runs.append((state, [phase]))
    return ", ".join(
        f"{state} after {names[0]}" + (f"..{names[-1]}" if len(names) > 1 else "")
        for state, names in runs
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Metrics:
    received: dict[str, float] = field(default_factory=dict)
    dropped: dict[str, float] = field(default_factory=dict)
    published: dict[str, float] = field(default_factory=dict)
    naras: dict[str, float] = field(default_factory=dict)
    plaza_connected: float = 0.0
    plaza_connects: float = 0.0
    text_bytes: int = 0

    @property
    def progress(self) -> int:
        """Messages the node has read, minus its own (the broker echoes them back)."""
        echoes = sum(v for k, v in self.published.items() if k in ECHOED)
        return int(sum(self.received.values()) - echoes)

    def inbound_dropped(self) -> dict[str, float]:
        return {k: v for k, v in self.dropped.items() if k not in OUTBOUND_REASONS}


_SAMPLE = re.compile(r'^(nara_[a-z_]+)(?:\{(\w+)="((?:[^"\\]|\\.)*)"\})?\s+(\S+)$')


def parse_metrics(text: str) -> Metrics:
    m = Metrics(text_bytes=len(text))
    for line in text.splitlines():
        if not line.startswith(("nara_messages_", "nara_plaza_", "nara_naras{")):
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        name, _, label, raw = match.groups()
        value = float(raw)
        if name == "nara_messages_received_total":
            m.received[label] = value
        elif name == "nara_messages_dropped_total":
            m.dropped[label] = value
        elif name == "nara_messages_published_total":
            m.published[label] = value
        elif name == "nara_naras":
            m.naras[label] = value
        elif name == "nara_plaza_connected":
            m.plaza_connected = value
        elif name == "nara_plaza_connects_total":
            m.plaza_connects = value
    return m


def scrape(base: str, timeout: float = 20.0) -> Metrics:
    status, body = http_get(base, "/metrics", timeout)
    if status != 200:
        raise SoakError(f"/metrics answered {status}")
    return parse_metrics(body.decode("utf-8", "replace"))


# ---- the probe process: /livez, /api.json, RSS -----------------------------------------------


def probe_main(
    base: str,
    pid: int,
    stop: Any,
    results: Any,
    rss_now: Any,
    interval: float,
    livez_timeout: float,
    api_timeout: float,
) -> None:
    samples: dict[str, list[tuple[float, float, bool]]] = {"livez": [], "api": []}
    rss: list[tuple[float, int]] = []

    def probe(name: str, path: str, timeout: float) -> None:
        while not stop.is_set():
            start = time.monotonic()
            ok = False
            with contextlib.suppress(Exception):
                status, _ = http_get(base, path, timeout)
                ok = status == 200
            took = time.monotonic() - start
            samples[name].append((start, took, ok and took <= timeout))
            stop.wait(max(0.0, interval - took))

    def sample_rss() -> None:
        while not stop.is_set():
            kb = read_status_kb(pid, "VmRSS")
            if kb:
                rss.append((time.monotonic(), kb))
                rss_now.value = kb
            stop.wait(0.5)

    threads = [
        threading.Thread(target=probe, args=("livez", "/livez", livez_timeout), daemon=True),
        threading.Thread(target=probe, args=("api", "/api.json", api_timeout), daemon=True),
        threading.Thread(target=sample_rss, daemon=True),
    ]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(api_timeout + 2)
    results.put({"samples": samples, "rss": rss, "hwm_kb": read_status_kb(pid, "VmHWM")})


def read_status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---- the watch process: what the node publishes ----------------------------------------------


def watch_main(
    host: str, port: int, node: str, honest: str, stop: Any, ready: Any, results: Any
) -> None:
    lock = threading.Lock()
    state: dict[str, Any] = {
        "bytes": 0,
        "by_topic": Counter(),
        "bytes_by_topic": Counter(),
        "marker_hits": 0,
        "marker_topics": Counter(),
        "self_restarts": [],
        "self_start": [],
        "honest_restarts": [],
        "last": time.monotonic(),
    }
    howdy_prefix = json.dumps({"From": node}, separators=(",", ":"))[:-1].encode() + b","
    emitter = f'"emitter":"{node}"'.encode()
    marker = sm.MARKER.encode()

    def label(topic: str) -> str:
        return "nara/ledger/+/response" if topic.startswith("nara/ledger/") else topic

    def on_message(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        topic, payload = msg.topic, bytes(msg.payload)
        ours = (
            topic == f"nara/newspaper/{node}"
            or topic.startswith("nara/ledger/")
            or (topic == "nara/plaza/howdy" and payload.startswith(howdy_prefix))
            or (topic in ("nara/plaza/hey_there", "nara/plaza/chau") and emitter in payload[:400])
        )
        with lock:
            state["last"] = time.monotonic()
            if not ours:
                return
            size = len(payload) + len(topic.encode("utf-8", "replace"))
            state["bytes"] += size
            state["by_topic"][label(topic)] += 1
            state["bytes_by_topic"][label(topic)] += size
            if marker in payload or sm.MARKER in topic:
                state["marker_hits"] += 1
                state["marker_topics"][label(topic)] += 1
            n = state["by_topic"]["nara/plaza/howdy"]
            sample = topic == "nara/plaza/howdy" and (n <= 20 or n % 25 == 0)
        if sample:
            with contextlib.suppress(Exception):
                observations = json.loads(payload)["Me"]["Observations"] or {}
                with lock:
                    own = observations.get(node) or {}
                    state["self_restarts"].append(int(own.get("restarts", 0)))
                    state["self_start"].append(int(own.get("start_time", 0)))
                    if honest in observations:
                        state["honest_restarts"].append(
                            int(observations[honest].get("restarts", 0))
                        )

    subacks: list[int] = []

    def on_subscribe(client: mqtt.Client, *rest: Any) -> None:
        subacks.append(1)
        if len(subacks) == 5:
            ready.set()

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        for topic in (
            "nara/plaza/hey_there",
            "nara/plaza/chau",
            "nara/plaza/howdy",
            f"nara/newspaper/{node}",
            "nara/ledger/+/response",
        ):
            client.subscribe(topic, qos=0)

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"soak-watch-{os.getpid()}")
    client.on_message = on_message
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.connect(host, port, keepalive=60)
    client.loop_start()
    stop.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # let the broker hand over what it still holds
        with lock:
            idle = time.monotonic() - state["last"]
        if idle > 1.5:
            break
        time.sleep(0.2)
    client.disconnect()
    client.loop_stop()
    with lock:
        state.pop("last")
        state["by_topic"] = dict(state["by_topic"])
        state["bytes_by_topic"] = dict(state["bytes_by_topic"])
        state["marker_topics"] = dict(state["marker_topics"])
        results.put(state)


# ---- the run ---------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    planned: int
    sent: int = 0
    bytes: int = 0
    must_drop: int = 0
    honest: int = 0  # honest keep-alive messages sent during the phase
    received: int = 0
    dropped: float = 0.0
    dropped_by: dict[str, float] = field(default_factory=dict)
    start: float = 0.0
    end: float = 0.0
    truncated: bool = False
    lost: int = 0
    rss_kb: int = 0
    peers: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # after the phase


@dataclass
class Check:
    name: str
    ok: bool
    measured: str
    limit: str


class Publisher:
    """One paho client for everything the harness sends, with flow control on the node."""

    def __init__(self, host: str, port: int, base: str, window: int, window_bytes: int) -> None:
        self.base = base
        self.window = window
        self.window_bytes = window_bytes
        self.sent = 0
        self.sent_bytes = 0
        self.failed = 0
        self.lost = 0  # messages written off after a stall (never read by the node)
        self.cum_bytes: list[int] = [0]
        self.last_progress = 0
        self.metrics = Metrics()
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"soak-{os.getpid()}")
        self.client.max_queued_messages_set(0)
        self.client.on_connect = lambda *a: self.connected.set()
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        wait_for(self.connected.is_set, 10, "the harness's MQTT connection")

    def publish(self, topic: str, payload: bytes) -> None:
        if not self.connected.is_set():
            wait_for(self.connected.is_set, 10, "the harness's MQTT connection to come back")
        info = self.client.publish(topic, payload, qos=0)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            self.failed += 1
            return
        self.sent += 1
        size = len(payload) + len(topic.encode("utf-8", "replace"))
        self.sent_bytes += size
        self.cum_bytes.append(self.cum_bytes[-1] + size)

    def in_flight(self) -> tuple[int, int]:
        done = min(self.sent, max(0, self.metrics.progress + self.lost))
        return self.sent - done, self.cum_bytes[self.sent] - self.cum_bytes[done]

    def refresh(self) -> None:
        with contextlib.suppress(Exception):
            self.metrics = scrape(self.base)

    def throttle(self, deadline: float, stall_s: float = 20.0) -> None:
        """Wait while too much is in flight. A node that reads nothing for ``stall_s`` has its
        backlog written off (counted as lost) so the run goes on."""
        msgs, size = self.in_flight()
        if msgs < self.window and size < self.window_bytes:
            return
        stalled_since = time.monotonic()
        progress = self.metrics.progress
        while time.monotonic() < deadline:
            time.sleep(0.1)
            self.refresh()
            msgs, size = self.in_flight()
            if msgs < self.window // 2 and size < self.window_bytes // 2:
                return
            if self.metrics.progress != progress:
                progress, stalled_since = self.metrics.progress, time.monotonic()
            elif time.monotonic() - stalled_since > stall_s:
                self.write_off(msgs)
                return

    def write_off(self, msgs: int) -> None:
        self.lost += msgs

    def drain(self, timeout: float) -> int:
        """Wait until the node has read everything sent; the count it never read."""
        deadline = time.monotonic() + timeout
        while True:
            self.refresh()
            msgs, _ = self.in_flight()
            if msgs <= 0 or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        if msgs > 0:
            self.write_off(msgs)
        return max(0, msgs)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Soak:
    def __init__(self, args: argparse.Namespace, seed: int, workdir: Path) -> None:
        self.args = args
        self.seed = seed
        self.workdir = workdir
        self.rng = random.Random(seed)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.children: list[Any] = []
        self.phases: list[Phase] = []
        self.checks: list[Check] = []
        self.notes: list[str] = []

    # -- processes --

    def start_broker(self) -> int:
        port = free_port()
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 0\nmax_inflight_messages 0\n"
            "log_dest stderr\nlog_type error\nlog_type warning\n"
        )
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.access(binary, os.X_OK):
            raise SoakError("mosquitto is not installed: run `make bootstrap`")
        with open(self.workdir / "mosquitto.log", "wb") as log:
            self.broker = subprocess.Popen(
                [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=log
            )
        self.procs.append(self.broker)

        def up() -> bool:
            if self.broker.poll() is not None:
                raise SoakError(f"mosquitto exited with {self.broker.returncode}")
            with socket.socket() as s:
                s.settimeout(0.2)
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_for(up, 10, f"mosquitto on 127.0.0.1:{port}")
        return port

    def start_node(self, broker_port: int) -> str:
        home = self.workdir / "home"
        home.mkdir()
        self.node_log = self.workdir / "node.log"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "TMPDIR": os.environ.get("TMPDIR", tempfile.gettempdir()),
            "PYTHONUNBUFFERED": "1",
        }
        argv = [sys.executable, "-m", "nara", "-name", NODE, "-http-addr", "127.0.0.1:0"]
        argv += ["-mqtt-host", f"tcp://127.0.0.1:{broker_port}"]
        if self.args.max_naras:
            argv += ["-max-naras", str(self.args.max_naras)]
        argv += self.args.node_arg
        with open(self.node_log, "wb") as log:
            self.node = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.args.node_cwd
            )
        self.procs.append(self.node)

        def listening() -> str | None:
            if self.node.poll() is not None:
                tail = self.node_log.read_bytes()[-2000:].decode(errors="replace")
                raise SoakError(f"the node exited with {self.node.returncode}:\n{tail}")
            match = URL_LINE.search(self.node_log.read_bytes())
            return match.group(1).decode() if match else None

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            url = listening()
            if url:
                return url
            time.sleep(0.1)
        raise SoakError("the node did not start listening within 30 s")

    def spawn(self, target: Callable[..., None], *args: Any) -> Any:
        proc = self.mp.Process(target=target, args=args, daemon=True)
        proc.start()
        self.children.append(proc)
        return proc

    # -- state --

    def api(self, timeout: float = 30.0) -> tuple[dict[str, Any] | None, bytes]:
        status, body = http_get(self.base, "/api.json", timeout)
        if status != 200:
            raise SoakError(f"/api.json answered {status}")
        if len(body) > self.args.max_inspect_mib * MiB:
            return None, body
        return json.loads(body), body

    def naras(self) -> dict[str, dict[str, Any]]:
        data, _ = self.api()
        return {} if data is None else {n["Name"]: n for n in data["naras"]}

    # -- the flood --

    def run(self) -> int:
        args = self.args
        self.mp = mp.get_context("spawn")
        print(f"soak: seed {self.seed}, {args.messages} messages, work dir {self.workdir}")
        broker_port = self.start_broker()
        t0 = time.monotonic()
        self.base = self.start_node(broker_port)
        print(f"soak: node pid {self.node.pid} at {self.base}, broker 127.0.0.1:{broker_port}")
        stop = self.mp.Event()
        ready = self.mp.Event()
        probe_q = self.mp.Queue()
        watch_q = self.mp.Queue()
        rss_now = self.mp.Value("q", 0)
        self.stop_event = stop
        honest = Stranger(make_identity(f"honest-a-{self.seed % 10_000:04d}"))
        replayed = Stranger(make_identity(f"honest-b-{self.seed % 10_000:04d}"))
        self.spawn(watch_main, "127.0.0.1", broker_port, NODE, honest.name, stop, ready, watch_q)
        t = time.monotonic()
        pool = sm.hypothesis_pool(self.seed, args.hypothesis_values)
        print(f"soak: {len(pool)} hypothesis values in {time.monotonic() - t:.1f} s")
        wait_for(lambda: scrape(self.base).plaza_connected == 1, 30, "the node on the plaza")
        wait_for(ready.is_set, 30, "the watcher's subscriptions")
        pub = Publisher("127.0.0.1", broker_port, self.base, args.window, 16 * MiB)
        self.pub = pub

        # Honest peers: A stays ONLINE all along; B is captured, says chau, then is replayed.
        honest_np = honest.newspaper(host_stats=HostStats(uptime=1000))
        for topic, payload in [
            ("nara/plaza/hey_there", honest.hey_there().to_json()),
            (f"nara/newspaper/{honest.name}", honest_np),
        ]:
            pub.publish(topic, payload)
        b_hey = replayed.hey_there().to_json()
        b_np = replayed.newspaper()
        pub.publish("nara/plaza/hey_there", b_hey)
        pub.publish(f"nara/newspaper/{replayed.name}", b_np)
        wait_for(
            lambda: all(
                self.naras().get(n, {}).get("Online") == "ONLINE"
                for n in (honest.name, replayed.name)
            ),
            30,
            "both honest peers ONLINE",
        )
        pub.publish("nara/plaza/chau", replayed.chau().to_json())
        wait_for(
            lambda: self.naras().get(replayed.name, {}).get("Online") == "OFFLINE",
            30,
            "the replayed peer OFFLINE after its chau",
        )
        time.sleep(1.0)  # let a tick pass: the baseline is what the node shows when idle
        baseline = self.naras()
        base_self, base_honest = dict(baseline[NODE]), dict(baseline[honest.name])
        pub.drain(30)
        start_metrics = pub.metrics
        print(
            f"soak: baseline taken {time.monotonic() - t0:.1f} s after start "
            f"(self Restarts {base_self.get('Restarts')}, StartTime {base_self.get('StartTime')})"
        )

        self.spawn(
            probe_main,
            self.base,
            self.node.pid,
            stop,
            probe_q,
            rss_now,
            0.05,
            args.livez_timeout,
            args.api_timeout,
        )
        ctx = sm.Ctx(
            node=NODE,
            now_ns=time.time_ns,
            honest_name=honest.name,
            honest_key_b64=honest.key.public_b64,
            honest_id=honest.identity.nara_id,
            replayed=[("nara/plaza/hey_there", b_hey), (f"nara/newspaper/{replayed.name}", b_np)],
            replayed_name=replayed.name,
            hypothesis_values=pool,
            seed=self.seed,
        )
        plan = sm.plan(args.messages)
        aborted = ""
        next_keepalive = next_hey = time.monotonic() + 10.0
        uptime = 1000
        flood_start = time.monotonic()
        for name, _, generator in sm.CLASSES:
            phase = Phase(name, plan[name])
            self.phases.append(phase)
            before = pub.metrics
            before_sent = pub.sent
            phase.start = time.monotonic()
            budget = max(15.0, args.budget * plan[name] / args.messages)
            deadline = phase.start + budget
            rng = random.Random(f"{self.seed}:{name}")
            for msg in generator(ctx, rng, plan[name]):
                now = time.monotonic()
                if now > deadline:
                    phase.truncated = True
                    break
                if rss_now.value > args.rss_abort_mib * 1024:
                    aborted = f"node RSS {rss_now.value / 1024:.0f} MiB > {args.rss_abort_mib} MiB"
                    break
                if self.node.poll() is not None:
                    aborted = f"the node exited with {self.node.returncode}"
                    break
                if now >= next_keepalive:  # the honest peer keeps talking, as a real one would
                    uptime += 10  # a fresh status each time, as a real nara's HostStats are
                    paper = honest.newspaper(host_stats=HostStats(uptime=uptime))
                    pub.publish(f"nara/newspaper/{honest.name}", paper)
                    phase.honest += 1
                    if now >= next_hey:
                        pub.publish("nara/plaza/hey_there", honest.hey_there().to_json())
                        phase.honest += 1
                        next_hey = now + 60.0
                    next_keepalive = now + 10.0
                pub.throttle(deadline)
                must = msg.must_drop or sm.decoder_drops(msg.topic, msg.payload, NODE)
                pub.publish(msg.topic, msg.payload)
                phase.bytes += len(msg.payload)
                phase.must_drop += must
            phase.sent = pub.sent - before_sent - phase.honest
            lost_before = pub.lost
            pub.drain(10.0)
            phase.lost = pub.lost - lost_before
            phase.end = time.monotonic()
            after = pub.metrics
            phase.received = after.progress - before.progress
            inbound_before = before.inbound_dropped()
            phase.dropped_by = {
                k: v - inbound_before.get(k, 0.0)
                for k, v in after.inbound_dropped().items()
                if v - inbound_before.get(k, 0.0) > 0
            }
            phase.dropped = sum(phase.dropped_by.values())
            phase.rss_kb = int(rss_now.value)
            with contextlib.suppress(Exception):  # the peers as the node shows them now
                now_naras = self.naras()
                phase.peers = {n: now_naras.get(n) for n in (honest.name, replayed.name)}
            print(
                f"soak: {name:<13} sent {phase.sent:>6} ({phase.bytes / MiB:6.1f} MiB) in "
                f"{phase.end - phase.start:5.1f} s; node read {phase.received}, dropped "
                f"{phase.dropped:.0f} (must drop {phase.must_drop}); "
                f"RSS {phase.rss_kb / 1024:.0f} MiB" + (" TRUNCATED" if phase.truncated else "")
            )
            if aborted:
                print(f"soak: ABORTED: {aborted}")
                break
        flood_s = time.monotonic() - flood_start
        time.sleep(2.0)  # a couple of ticks after the last message
        return self.finish(
            ctx,
            honest,
            replayed,
            base_self,
            base_honest,
            start_metrics,
            stop,
            probe_q,
            watch_q,
            flood_s,
            aborted,
        )

    # -- verdict --

    def finish(
        self,
        ctx: sm.Ctx,
        honest: Stranger,
        replayed: Stranger,
        base_self: dict[str, Any],
        base_honest: dict[str, Any],
        start_metrics: Metrics,
        stop: Any,
        probe_q: Any,
        watch_q: Any,
        flood_s: float,
        aborted: str,
    ) -> int:
        args = self.args
        pub = self.pub
        alive = self.node.poll() is None
        final = pub.metrics  # the last scrape, if the node no longer answers
        views: dict[str, bytes] = {}
        data: dict[str, Any] | None = None
        if alive:
            with contextlib.suppress(Exception):
                final = scrape(self.base, 60)
            for path in ("/narae.json", "/metrics"):
                with contextlib.suppress(Exception):
                    views[path] = http_get(self.base, path, 60)[1]
            with contextlib.suppress(Exception):
                data, views["/api.json"] = self.api(60)
            views["/api/inspector/events"] = self.ledger_pages()
        stop.set()
        try:
            probe = probe_q.get(timeout=60)
            watch = watch_q.get(timeout=60)
        except queue.Empty:
            raise SoakError("the probe or watch process gave no results") from None
        now_s = time.time()

        add = self.check
        add(
            "node alive",
            alive and bool(views.get("/api.json")),
            "running" if alive else f"exited {self.node.returncode}",
            "running, answering",
        )
        add(
            "run complete",
            not aborted and not any(p.truncated for p in self.phases),
            aborted or ", ".join(p.name for p in self.phases if p.truncated) or "all phases",
            "every phase sent within its budget",
        )
        live = [s for s in probe["samples"]["livez"]]
        api = [s for s in probe["samples"]["api"]]
        live_fail = sum(1 for s in live if not s[2])
        api_fail = sum(1 for s in api if not s[2])
        add(
            "/livez always answers",
            live_fail == 0 and bool(live),
            f"{live_fail} failed of {len(live)}",
            f"0 (timeout {args.livez_timeout:g} s)",
        )
        p99 = percentile([s[1] * 1000 for s in live], 0.99)
        add(
            "/livez p99 under load",
            p99 < args.livez_p99_ms,
            f"{p99:.0f} ms",
            f"< {args.livez_p99_ms:g} ms",
        )
        add(
            "/api.json always answers",
            api_fail == 0 and bool(api),
            f"{api_fail} failed of {len(api)}",
            f"0 (timeout {args.api_timeout:g} s)",
        )
        hwm_kb = max(probe["hwm_kb"], max((kb for _, kb in probe["rss"]), default=0))
        add(
            "RSS peak",
            hwm_kb < args.rss_limit_mib * 1024,
            f"{hwm_kb / 1024:.0f} MiB",
            f"< {args.rss_limit_mib} MiB",
        )

        roster = data["naras"] if data else []
        bad_names = [n.get("Name") for n in roster if not valid_name(n.get("Name"))]
        add(
            "every name valid",
            data is not None and not bad_names,
            f"{len(bad_names)} invalid of {len(roster)}" if data else "api.json not inspectable",
            "0 (nara.core.names.valid_name)",
        )
        add(
            "roster bounded",
            data is not None and len(roster) <= (args.max_naras or 1000) + 1,
            f"{len(roster)} naras"
            if data
            else (
                f"api.json {len(views['/api.json']) / MiB:.0f} MiB"
                if views.get("/api.json")
                else "api.json not fetched"
            ),
            f"<= {args.max_naras or 1000} + self",
        )
        served = {p: b.count(sm.MARKER.encode()) for p, b in views.items()}
        add(
            "no hostile value served",
            not any(served.values()) and bool(views),
            ", ".join(f"{p} {n}" for p, n in served.items() if n)
            or ("none" if views else "nothing fetched"),
            f"no {sm.MARKER!r} in /api.json, /narae.json, /metrics, the ledger",
        )
        add(
            "no hostile value published",
            watch["marker_hits"] == 0,
            f"{watch['marker_hits']} messages {watch['marker_topics'] or ''}".strip(),
            "0",
        )
        ratio = watch["bytes"] / max(1, pub.sent_bytes)
        add(
            "no amplification",
            ratio < 1.0,
            f"{watch['bytes'] / MiB:.1f} MiB published / {pub.sent_bytes / MiB:.1f} MiB received "
            f"= {ratio:.3f}",
            "< 1",
        )

        uncounted = {
            p.name: p.must_drop - p.dropped for p in self.phases if p.dropped < p.must_drop
        }
        add(
            "every drop counted",
            not uncounted,
            ", ".join(f"{k} {v:.0f} uncounted" for k, v in uncounted.items())
            or f"{sum(p.dropped for p in self.phases):.0f} dropped >= "
            f"{sum(p.must_drop for p in self.phases)} that must be",
            "dropped >= must-drop, per phase",
        )
        sent = sum(p.sent + p.honest for p in self.phases)
        read = sum(p.received for p in self.phases)
        add(
            "every message delivered",
            pub.lost == 0 and pub.failed == 0,
            f"node read {read} of {sent}; lost {pub.lost}, publish failures {pub.failed}",
            "all (else the node stalled or the broker dropped)",
        )
        reconnects = final.plaza_connects - start_metrics.plaza_connects
        add(
            "plaza connection kept",
            final.plaza_connected == 1 and reconnects == 0,
            f"connected {final.plaza_connected:g}, {max(0, reconnects):g} reconnects",
            "connected, 0",
        )

        naras = {n["Name"]: n for n in roster}
        a = naras.get(honest.name)
        keys = ("Restarts", "StartTime", "PublicKey", "ID", "Flair", "Version")
        changed = [k for k in keys if a is None or a.get(k) != base_honest.get(k)]
        diffs = ", ".join(f"{k} {base_honest.get(k)!r}->{(a or {}).get(k)!r}" for k in changed)
        add(
            "honest peer intact",
            a is not None and a.get("Online") == "ONLINE" and not changed,
            "absent" if a is None else f"{a.get('Online')}, " + (diffs or "values unchanged"),
            "ONLINE, Restarts/StartTime/key/ID/Flair/Version unchanged",
        )
        # After every phase too: a peer evicted at the end may have been ONLINE in between.
        seen_b = [(p.name, p.peers.get(replayed.name)) for p in self.phases if p.peers]
        seen_b.append(("end", naras.get(replayed.name) if data else {"Online": "?"}))
        wrong_b = [
            (n, (v or {}).get("Online")) for n, v in seen_b if v and v.get("Online") != "OFFLINE"
        ]
        add(
            "replayed peer stays OFFLINE",
            not wrong_b,
            ", ".join(f"{v} after {n}" for n, v in wrong_b) or summarise_states(seen_b),
            "OFFLINE (or evicted) after every phase",
        )
        bad_a = [
            p.name
            for p in self.phases
            if p.peers
            and not (
                (p.peers.get(honest.name) or {}).get("Online") == "ONLINE"
                and all((p.peers.get(honest.name) or {}).get(k) == base_honest.get(k) for k in keys)
            )
        ]
        add(
            "honest peer intact, every phase",
            not bad_a,
            ("not ONLINE or changed after " + ", ".join(bad_a)) if bad_a else "yes",
            "ONLINE with its own values after each phase",
        )
        me = naras.get(NODE, {})
        own_changed = [k for k in ("Restarts", "StartTime") if me.get(k) != base_self.get(k)]
        add(
            "own restarts/start time intact",
            bool(me) and not own_changed,
            ", ".join(f"{k} {base_self.get(k)}->{me.get(k)}" for k in own_changed) or "unchanged",
            f"Restarts {base_self.get('Restarts')}, StartTime {base_self.get('StartTime')}",
        )
        pub_restarts = set(watch["self_restarts"]) | set(watch["honest_restarts"])
        pub_start = set(watch["self_start"]) - {0, base_self.get("StartTime")}
        pub_bad = [
            r
            for r in pub_restarts
            if r > max(base_self.get("Restarts", 0), base_honest.get("Restarts", 0))
        ]
        add(
            "own published values intact",
            not pub_bad and not pub_start,
            f"restarts seen {sorted(pub_restarts)[:4]}, start times {sorted(pub_start)[:4]}"
            if pub_bad or pub_start
            else f"{len(watch['self_restarts'])} howdys sampled, unchanged",
            "restarts/start time in our howdys as in the baseline",
        )
        future = [n["Name"] for n in roster if int(n.get("LastSeen") or 0) > now_s + FUTURE_SLACK_S]
        time_online = [
            n for n in ctx.chau_after_future if naras.get(n, {}).get("Online") == "ONLINE"
        ]
        add(
            "no nara ONLINE forever",
            data is not None and not future and not time_online,
            f"{len(future)} LastSeen in the future, {len(time_online)} far-future senders ONLINE "
            "after their chau",
            f"0 (LastSeen <= now + {FUTURE_SLACK_S} s)",
        )
        log = self.node_log.read_bytes()
        tracebacks = log.count(b"Traceback (most recent call last)")
        add("no tracebacks in the node's log", tracebacks == 0, f"{tracebacks}", "0")
        raw = {
            "ESC": log.count(b"\x1b"),
            "NUL": log.count(b"\x00"),
            "U+202E": log.count("\u202e".encode()),
            "forged lines": len(re.findall(rb"^" + re.escape(sm.FORGED_LOG_LINE), log, re.M)),
        }
        add(
            "no log injection",
            not any(raw.values()),
            ", ".join(f"{k} {v}" for k, v in raw.items() if v) or "none",
            "no raw ESC/NUL/bidi from peers, no line a peer wrote",
        )

        self.report(probe, watch, final, flood_s, log)
        return 0 if all(c.ok for c in self.checks) else 1

    def check(self, name: str, ok: bool, measured: str, limit: str) -> None:
        self.checks.append(Check(name, ok, measured, limit))

    def ledger_pages(self, pages: int = 50) -> bytes:
        chunks: list[bytes] = []
        for page in range(pages):
            try:
                status, body = http_get(
                    self.base, f"/api/inspector/events?limit=500&offset={page * 500}", 30
                )
            except Exception:
                break
            if status != 200:
                break
            chunks.append(body)
            if b'"has_more":false' in body:
                break
        return b"\n".join(chunks)

    def report(
        self,
        probe: dict[str, Any],
        watch: dict[str, Any],
        final: Metrics,
        flood_s: float,
        log: bytes,
    ) -> None:
        pub = self.pub
        samples = probe["samples"]
        print()
        print(
            f"{'phase':<14}{'sent':>7}{'MiB':>7}{'must':>7}{'read':>7}{'dropped':>8}{'kept':>6}"
            f"{'lost':>6}{'secs':>6}{'msg/s':>7}{'livez p99':>10}{'api p99':>9}{'RSS max':>8}"
        )
        for p in self.phases:

            def p99(name: str, p: Phase = p) -> str:
                vals = [s[1] * 1000 for s in samples[name] if p.start <= s[0] < p.end]
                return f"{percentile(vals, 0.99):.0f}ms" if vals else "-"

            rss = [kb for t, kb in probe["rss"] if p.start <= t < p.end] or [p.rss_kb]
            secs = max(1e-9, p.end - p.start)
            print(
                f"{p.name:<14}{p.sent:>7}{p.bytes / MiB:>7.1f}{p.must_drop:>7}{p.received:>7}"
                f"{p.dropped:>8.0f}{p.received - p.dropped:>6.0f}{p.lost:>6}{secs:>6.1f}"
                f"{p.sent / secs:>7.0f}{p99('livez'):>10}{p99('api'):>9}"
                f"{max(rss) / 1024:>7.0f}M"
            )
        total = sum(p.sent for p in self.phases)
        read = sum(p.received for p in self.phases)
        dropped = sum(p.dropped for p in self.phases)
        print(
            f"{'total':<14}{total:>7}{sum(p.bytes for p in self.phases) / MiB:>7.1f}"
            f"{sum(p.must_drop for p in self.phases):>7}{read:>7}{dropped:>8.0f}"
            f"{read - dropped:>6.0f}{pub.lost:>6}{flood_s:>6.1f}{total / flood_s:>7.0f}"
        )
        print(
            "(must: what the node has to drop, by construction or by nara's own decoder; "
            "read: what it read;\n kept: read - dropped, i.e. accepted or a duplicate; "
            "lost: never read; honest keep-alives are in read, not in sent)"
        )
        print()
        print(
            "dropped by reason (nara_messages_dropped_total, whole run): "
            + ", ".join(f"{k} {v:.0f}" for k, v in sorted(final.dropped.items()) if v)
            or "none"
        )
        for p in self.phases:
            if p.dropped_by:
                print(
                    f"  {p.name}: "
                    + ", ".join(f"{k} {v:.0f}" for k, v in sorted(p.dropped_by.items()))
                )
        print(
            "node published (watched): "
            + ", ".join(
                f"{k} {n} ({watch['bytes_by_topic'].get(k, 0) / MiB:.2f} MiB)"
                for k, n in sorted(watch["by_topic"].items())
            )
            or "nothing"
        )
        live = [s[1] * 1000 for s in samples["livez"]]
        api = [s[1] * 1000 for s in samples["api"]]
        if live:
            print(
                f"/livez: {len(live)} probes, p50 {percentile(live, 0.5):.1f} ms, "
                f"p99 {percentile(live, 0.99):.1f} ms, max {max(live):.0f} ms"
            )
        if api:
            print(
                f"/api.json: {len(api)} probes, p50 {percentile(api, 0.5):.1f} ms, "
                f"p99 {percentile(api, 0.99):.1f} ms, max {max(api):.0f} ms"
            )
        rss = [kb for _, kb in probe["rss"]]
        if rss:
            print(
                f"RSS: start {rss[0] / 1024:.0f} MiB, end {rss[-1] / 1024:.0f} MiB, "
                f"peak (VmHWM) {probe['hwm_kb'] / 1024:.0f} MiB, "
                f"median {statistics.median(rss) / 1024:.0f} MiB"
            )
        lines = log.count(b"\n")
        print(f"node log: {lines} lines; /metrics {final.text_bytes / 1024:.0f} KiB")
        print()
        for c in self.checks:
            print(f"{'PASS' if c.ok else 'FAIL'}  {c.name:<32} {c.measured}  (limit: {c.limit})")
        passed = sum(c.ok for c in self.checks)
        print(
            f"\nsoak: {passed}/{len(self.checks)} checks passed (seed {self.seed}, "
            f"{pub.sent} messages sent)"
        )

    def close(self) -> None:
        if hasattr(self, "stop_event"):
            self.stop_event.set()
        if hasattr(self, "pub"):
            with contextlib.suppress(Exception):
                self.pub.close()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        for child in self.children:
            child.join(5)
            if child.is_alive():
                child.kill()


def parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=100_000, help="hostile messages (100000)")
    p.add_argument("--seed", type=int, default=None, help="seed (random, printed, by default)")
    p.add_argument("--keep-logs", action="store_true", help="keep the work dir (node, broker logs)")
    p.add_argument("--budget", type=float, default=180.0, help="flood time budget, s (180)")
    p.add_argument("--window", type=int, default=2000, help="messages in flight at most (2000)")
    p.add_argument("--hypothesis-values", type=int, default=1500, help="hypothesis pool size")
    p.add_argument(
        "--max-naras",
        type=int,
        default=100,
        help="the node's -max-naras, and the roster bound checked (100: low enough that the "
        "sybils fill the roster in a short run and eviction is exercised; 0: leave the node's "
        "default, 1000)",
    )
    p.add_argument("--rss-limit-mib", type=int, default=150)
    p.add_argument("--rss-abort-mib", type=int, default=2048, help="stop the flood above this")
    p.add_argument("--livez-p99-ms", type=float, default=250.0)
    p.add_argument("--livez-timeout", type=float, default=2.0)
    p.add_argument("--api-timeout", type=float, default=5.0)
    p.add_argument("--max-inspect-mib", type=int, default=64, help="largest api.json parsed")
    p.add_argument("--node-arg", action="append", default=[], help="extra node flag (repeat)")
    p.add_argument(
        "--node-cwd",
        default=str(ROOT),
        help="run `python -m nara` from this source tree (default: this checkout), e.g. an "
        "older commit exported with `git archive` to measure it",
    )
    return p.parse_args(list(argv) if argv is not None else None)


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    workdir = Path(tempfile.mkdtemp(prefix="nara-soak-"))
    soak = Soak(args, seed, workdir)
    try:
        return soak.run()
    except SoakError as exc:
        print(f"soak: cannot go on: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        soak.close()
        if args.keep_logs:
            print(f"soak: logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
