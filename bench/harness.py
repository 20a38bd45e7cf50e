"""Processes and measurements for bench/run.py: mosquitto (alone or bridged), a nara node, nginx,
wrk, and what /proc says about a process (CPU seconds, RSS).

Everything is on loopback, in a temporary directory, and stopped by ``Stack.close()``.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
URL_LINE = re.compile(r"dashboard at (http://\S+?)/?$", re.M)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def tree_rss(pid: int) -> int:
    """RSS of a process and all its descendants (the one-file binary is launcher + server)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += rss_bytes(p)
        except OSError:
            continue
        todo += children(p)
    return total


def http_get(
    url: str, path: str, timeout: float = 10.0, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split("/", 1)[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def metric(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``; 0 when absent."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        base, _, rest = head.partition("{")
        if base not in (name, name + "_total"):
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(value)
    return total


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass
class Broker:
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"


@dataclass
class Node:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def metrics(self) -> str:
        return http_get(self.url, "/metrics")[1].decode()

    def online(self) -> int:
        return int(metric(self.metrics(), "nara_naras", status="ONLINE"))


@dataclass
class Stack:
    """Everything one benchmark section started; ``close()`` stops it in reverse order."""

    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="nara-bench-")))
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
        self.procs.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def mosquitto(self, bridge_to: int | None = None) -> Broker:
        """A mosquitto on a free loopback port; with ``bridge_to`` it bridges ``nara/#`` both ways
        to the broker on that port (mosquitto's own bridge)."""
        port = free_port()
        conf = self.tmp / f"mosquitto-{port}.conf"
        lines = [
            f"listener {port} 127.0.0.1",
            "allow_anonymous true",
            "persistence false",
            "max_queued_messages 100000",
        ]
        if bridge_to is not None:
            lines += [
                f"connection bridge-{port}",
                f"address 127.0.0.1:{bridge_to}",
                "topic nara/# both 0",
                "try_private true",
                "cleansession true",
                f"remote_clientid bridge-{port}",
            ]
        conf.write_text("\n".join(lines) + "\n")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.procs.append(proc)

        def up() -> bool:
            with socket.socket() as s:
                s.settimeout(0.2)
                return s.connect_ex(("127.0.0.1", port)) == 0

        until(up, 10, f"mosquitto on {port}")
        return Broker(port, proc)

    def node(
        self,
        name: str,
        *args: str,
        broker: Broker | None = None,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> Node:
        log = self.tmp / f"{name}.log"
        default = [sys.executable, "-m", "nara"]
        profile = os.environ.get("BENCH_PROFILE")  # a directory: cProfile each node into it
        if profile and command is None:
            default = [
                sys.executable,
                "-m",
                "cProfile",
                "-o",
                f"{profile}/{name}.prof",
                "-m",
                "nara",
            ]
        argv = [*(command or default), "-name", name]
        argv += ["-http-addr", "127.0.0.1:0", *args]
        if broker is not None:
            argv += ["-mqtt-host", broker.url]
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.tmp),
            "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT
            )
        self.procs.append(proc)
        node = Node(name, proc, log)

        def listening() -> str | None:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {log.read_text()[-2000:]}")
            match = URL_LINE.search(log.read_text(errors="replace"))
            return match.group(1) if match else None

        node.url = until(listening, 30, f"{name} to listen")
        return node

    def nginx(self, root: Path, workers: int = 1) -> str:
        """nginx with ``workers`` worker processes serving ``root`` on a free port."""
        port = free_port()
        self.tmp.chmod(0o755)  # nginx's workers run as an unprivileged user and must read root
        for d in [root, *root.rglob("*")]:
            if d.is_dir():
                d.chmod(0o755)
        conf = self.tmp / f"nginx-{port}.conf"
        conf.write_text(
            f"""worker_processes {workers};
daemon off;
pid {self.tmp}/nginx-{port}.pid;
error_log {self.tmp}/nginx-{port}.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  include /etc/nginx/mime.types;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path {self.tmp}/nginx-body;
  proxy_temp_path {self.tmp}/nginx-proxy;
  fastcgi_temp_path {self.tmp}/nginx-fastcgi;
  uwsgi_temp_path {self.tmp}/nginx-uwsgi;
  scgi_temp_path {self.tmp}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    gzip_static on;
  }}
}}
"""
        )
        proc = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", str(self.tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return http_get(url, "/", 1)[0] in (200, 403, 404)
            except OSError:
                return False

        until(up, 10, "nginx")
        return url


def ensure_debian_tools() -> list[str]:
    """Install nginx and wrk from Debian when missing (as scripts/bootstrap.sh does); the names
    still missing afterwards (not root, no network) are returned."""
    want = {"nginx": "nginx-light", "wrk": "wrk"}
    missing = [pkg for tool, pkg in want.items() if not shutil.which(tool)]
    if missing and os.geteuid() == 0:
        print(f"bench: installing {' '.join(missing)} from Debian", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            env=env,
            check=False,
        )
    return [tool for tool in want if not shutil.which(tool)]


def wrk(url: str, path: str, seconds: float, connections: int, headers: list[str]) -> float:
    """Requests per second from one ``wrk`` thread (non-2xx responses fail the run)."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s"]
    for h in headers:
        argv += ["-H", h]
    out = subprocess.run([*argv, url + path], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:  # once more, briefly, naming the first bad answer (a Lua hook slows wrk)
        script = Path(tempfile.gettempdir()) / "nara-bench-wrk.lua"
        script.write_text(
            "response = function(status, headers, body)\n"
            "  if status ~= 200 and not shown then\n"
            "    print('first non-200: ' .. status .. ' ' .. string.sub(body, 1, 200))\n"
            "    shown = true\n"
            "  end\nend\n"
        )
        again = subprocess.run(
            [*argv[:3], "-d1s", "-s", str(script), *argv[4:], url + path],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        first = re.search(r"first non-200: .*", again)
        raise RuntimeError(f"wrk {url}{path}: non-2xx answers ({first and first.group(0)})")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"wrk said:\n{out}")
    return float(match.group(1))
