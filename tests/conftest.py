"""Shared fixtures: a real mosquitto broker on a free loopback port, and nara nodes started as
separate processes (``python -m nara``) with their HTTP port read back from the log line.

Everything waits on conditions with deadlines; a failure prints the child's output.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
URL_LINE = re.compile(r"dashboard at (http://\S+?)/?$", re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:
            last_exc = exc
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout:.0f} s waiting for {what or predicate}: {last_exc!r}"
    )


def mosquitto_binary() -> str:
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "mosquitto is not installed: run `make test` (it installs it) or apt-get install mosquitto"
    )


@dataclass
class Broker:
    host: str
    port: int
    proc: subprocess.Popen[bytes]
    conf: Path

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def stop(self) -> None:
        stop_process(self.proc)

    def start(self) -> None:
        """(Re)start on the same port."""
        self.stop()
        self.proc = _spawn_mosquitto(self.conf)
        _wait_port(self.host, self.port, self.proc)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it is still running 5 s later; waits for the exit."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _spawn_mosquitto(conf: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [mosquitto_binary(), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _wait_port(host: str, port: int, proc: subprocess.Popen[bytes]) -> None:
    def up() -> bool:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"mosquitto exited: {err}")
        with socket.socket() as s:
            s.settimeout(0.2)
            return s.connect_ex((host, port)) == 0

    wait_for(up, 10, what=f"mosquitto on {host}:{port}")


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    """A fresh mosquitto on a free loopback port, stopped after the test."""
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = _spawn_mosquitto(conf)
    broker = Broker("127.0.0.1", port, proc, conf)
    _wait_port(broker.host, port, proc)
    yield broker
    broker.stop()


@dataclass
class NaraProcess:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes, dict[str, str]]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
                return resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)

    def json(self, path: str) -> Any:
        status, body, _ = self.get(path)
        assert status == 200, f"GET {path} → {status}: {body[:200]!r}"
        return json.loads(body)

    def statuses(self) -> dict[str, str]:
        return {n["Name"]: n["Online"] for n in self.json("/narae.json")["naras"]}

    def metrics(self) -> str:
        return self.get("/metrics")[1].decode()

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> int:
        return self.proc.wait(timeout)


def nara_command() -> list[str]:
    return [sys.executable, "-m", "nara"]


@pytest.fixture
def spawn_nara(tmp_path: Path) -> Iterator[Callable[..., NaraProcess]]:
    """Start naras as real processes; all are killed at the end, and their logs shown on failure."""
    started: list[NaraProcess] = []

    def spawn(
        name: str,
        *args: str,
        broker: Broker | None = None,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
        wait: bool = True,
    ) -> NaraProcess:
        log_path = tmp_path / f"{name}-{len(started)}.log"
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "TMPDIR": os.environ.get("TMPDIR", tempfile.gettempdir()),
            "PYTHONUNBUFFERED": "1",
            "NARA_MISSING_AFTER": "4",
        }
        full_env.update(env or {})
        argv = [*(command or nara_command()), "-name", name, "-http-addr", "127.0.0.1:0", *args]
        if broker is not None:
            argv += ["-mqtt-host", broker.url]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT
            )
        nara = NaraProcess(name, proc, log_path)
        started.append(nara)
        if wait:

            def listening() -> str | None:
                if proc.poll() is not None:
                    raise AssertionError(f"{name} exited with {proc.returncode}:\n{nara.output()}")
                match = URL_LINE.search(nara.output())
                return match.group(1) if match else None

            nara.url = wait_for(listening, 30, what=f"{name} to listen")
        return nara

    yield spawn
    for nara in started:
        if nara.proc.poll() is None:
            nara.proc.kill()
            nara.proc.wait(5)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure, attach every nara's log to the report (the child's output explains the why)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        tmp = item.funcargs.get("tmp_path") if hasattr(item, "funcargs") else None
        if isinstance(tmp, Path):
            for log in sorted(tmp.glob("*.log")):
                with contextlib.suppress(OSError):
                    report.sections.append(
                        (f"log {log.name}", log.read_text(errors="replace")[-6000:])
                    )
