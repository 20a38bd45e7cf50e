"""Fixtures for running the real reference Go nara beside ours (the issue "Test against the real
reference nara, not only our reading of it").

The reference lives beside this checkout in ``../shared/reference`` (``NARA_REFERENCE_DIR``
overrides it). ``scripts/build-reference.sh`` builds it once into ``build/reference/nara-go``
(gitignored; the shared script caches) and installs Go 1.23 when no Go >= 1.23 is present. When the
reference or a Go cannot be had, every test here FAILS with the reason: it never skips silently.

A Go nara phones home unless told not to, so ``spawn_go`` always runs it on loopback only: our test
broker (``-mqtt-host tcp://127.0.0.1:PORT``), ``-no-mesh -transport mqtt``, its HTTP server on
``127.0.0.1``, and HTTP(S)_PROXY pointing at the discard port so any stray outbound request dies
on loopback (its boot fetches ``https://nara.network/narae.json``).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Broker, free_port, stop_process, wait_for

BUILD_SCRIPT = ROOT / "scripts" / "build-reference.sh"
TARBALL = "nara-go-2e593e1-vendored.tar.gz"
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, a request fails at once


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "soak: long interop runs against the reference (NARA_REFERENCE_SOAK=1)"
    )


def reference_dir() -> Path:
    """NARA_REFERENCE_DIR, else ``../shared/reference`` beside this checkout, else the workplace's
    shared folder (a CI clone may live elsewhere than the developers' checkout)."""
    configured = os.environ.get("NARA_REFERENCE_DIR")
    if configured:
        return Path(configured)
    candidates = [ROOT.parent / "shared" / "reference", Path("/work/shared/reference")]
    return next((c for c in candidates if (c / "build-go-nara.sh").is_file()), candidates[0])


@pytest.fixture(scope="session")
def go_nara_binary() -> Path:
    """``build/reference/nara-go``, built once per session (cached across sessions)."""
    where = reference_dir()
    if not (where / "build-go-nara.sh").is_file() or not (where / TARBALL).is_file():
        pytest.fail(
            f"the reference Go nara is not at {where} (want build-go-nara.sh and {TARBALL}): "
            "set NARA_REFERENCE_DIR to the folder that holds them",
            pytrace=False,
        )
    env = {**os.environ, "NARA_REFERENCE_DIR": str(where)}
    try:
        done = subprocess.run(
            ["bash", str(BUILD_SCRIPT)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("building the reference Go nara took over 15 minutes", pytrace=False)
    binary = ROOT / "build" / "reference" / "nara-go"
    if done.returncode != 0 or not os.access(binary, os.X_OK):
        pytest.fail(
            f"could not build the reference Go nara (scripts/build-reference.sh exit "
            f"{done.returncode}; it needs Go >= 1.23, installed as root from bookworm-backports):\n"
            f"{done.stderr[-3000:]}{done.stdout[-1000:]}",
            pytrace=False,
        )
    return binary


@dataclass
class GoNara:
    """A reference Go nara as a process; its view is read over its own HTTP API."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    url: str

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=5) as resp:
            return json.loads(resp.read())

    def statuses(self) -> dict[str, str]:
        """Name → ONLINE/OFFLINE/MISSING as the Go nara's /narae.json shows them."""
        return {n["Name"]: n["Online"] for n in self.json("/narae.json")["naras"] or []}

    def own(self) -> dict[str, Any]:
        """Its own entry in its /api.json (its NaraStatus: PublicKey, ID, ...)."""
        data = self.json("/api.json")
        return next(n for n in data["naras"] if n["Name"] == data["server"])

    def log_lines(self, needle: str) -> list[str]:
        return [line for line in self.output().splitlines() if needle in line]


def go_env(home: Path) -> dict[str, str]:
    """A minimal environment: no MQTT_* or NARA_* from the caller, every proxy a dead end."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[key] = DEAD_PROXY
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@pytest.fixture
def spawn_go(go_nara_binary: Path, tmp_path: Path) -> Iterator[Callable[..., GoNara]]:
    """Start reference Go naras on the test broker, loopback only; all are killed at the end.

    Their logs are ``tmp_path/go-*.log``, so a failing test shows them (tests/conftest.py)."""
    started: list[GoNara] = []

    def spawn(
        name: str, broker: Broker, *args: str, chattiness: int = 100, env_soul: str | None = None
    ) -> GoNara:
        """``name`` is its -nara-id; ``env_soul`` goes in NARA_SOUL (kept out of argv)."""
        port = free_port()
        home = tmp_path / f"go-home-{len(started)}"
        home.mkdir()
        argv = [
            str(go_nara_binary),
            "-mqtt-host",
            broker.url,
            "-no-mesh",
            "-transport",
            "mqtt",
            "-serve-ui",
            "-http-addr",
            f"127.0.0.1:{port}",
            "-nara-id",
            name,
            "-show-neighbours=false",
            "-memory-mode",
            "short",
            # the reference's own knob for time: a newspaper every 30 s (it has none for MISSING)
            "-force-chattiness",
            str(chattiness),
            *args,
        ]
        log_path = tmp_path / f"go-{name or 'generated'}-{len(started)}.log"
        env = go_env(home)
        if env_soul:
            env["NARA_SOUL"] = env_soul
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=home)
        nara = GoNara(name, proc, log_path, f"http://127.0.0.1:{port}")
        started.append(nara)

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"Go nara {name} exited with {proc.returncode}")
            try:
                nara.json("/api.json")
            except (OSError, urllib.error.URLError, ValueError):
                return False
            return "Connected to MQTT" in nara.output()

        try:
            wait_for(up, 20, what=f"Go nara {name} to serve HTTP and reach the broker")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{nara.output()[-4000:]}") from None
        nara.name = nara.json("/api.json")["server"]  # a generic name turns into a generated one
        return nara

    yield spawn
    for nara in started:
        if nara.proc.poll() is None:
            nara.proc.kill()
            nara.proc.wait(5)


def stop_go(nara: GoNara) -> int:
    """SIGTERM (its graceful exit: a chau, then exit 0) and wait for the exit status."""
    stop_process(nara.proc)
    return nara.proc.returncode
