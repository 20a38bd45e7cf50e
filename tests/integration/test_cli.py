"""The command line as an operator meets it: --help and --version, Go- and GNU-style flags,
flag > env > default, one readable line and exit status 2 for unusable input (never echoing a
soul), a busy port, the identity/soul/healthcheck subcommands, PORT, and signal handling.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nara import buildinfo
from nara.config import SETTINGS
from nara.core.crypto import SigningKey
from nara.core.identity import Soul, is_generic_hostname, nara_id, native_soul_custom
from tests.conftest import ROOT, URL_LINE, Broker, NaraProcess, free_port
from tests.integration.helpers import until

Spawn = Callable[..., NaraProcess]
ALICE_SOUL = native_soul_custom(hashlib.sha256(b"cli").digest(), "alice")
# A command that hangs is a failure, not a stuck suite; no test relies on this being short.
SAFETY_TIMEOUT = 60


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no NARA_*/MQTT_*/PORT/HTTP_ADDR leaking in from the caller."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def nara(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nara", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else base_env(tmp_path),
        cwd=ROOT,
        timeout=SAFETY_TIMEOUT,
        check=False,
    )


def identity_json(tmp_path: Path, *args: str, **env: str) -> dict[str, object]:
    result = nara(tmp_path, "identity", *args, env=base_env(tmp_path, **env))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


# ---- 15: help, version, flag spellings, precedence ----------------------------------------------


def test_help_lists_every_setting_with_its_environment_variable(tmp_path: Path) -> None:
    """--help documents every option of the settings table in both spellings, with every
    environment variable (and *_FILE variant) that sets it, and the subcommands."""
    result = nara(tmp_path, "--help")
    assert result.returncode == 0 and not result.stderr
    text = result.stdout
    for setting in SETTINGS:
        for flag in setting.flags:
            assert re.search(rf"(^|[\s,])-{re.escape(flag)}\b", text), f"-{flag}"
            assert f"--{flag}" in text, f"--{flag}"
        for env in (*setting.env, *filter(None, [setting.file_env])):
            assert re.search(rf"\b{re.escape(env)}\b", text), env
    for command in ("serve", "identity", "soul", "healthcheck", "version"):
        assert command in text


@pytest.mark.parametrize("args", [["--version"], ["-version"], ["version"]])
def test_version(tmp_path: Path, args: list[str]) -> None:
    """--version, Go-style -version and the version subcommand exit 0 and print the version."""
    result = nara(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"nara {buildinfo.build_info()['version']}"


def test_flag_beats_env_beats_default(tmp_path: Path) -> None:
    """The name comes from -name (Go style, also -name=X) or --name (GNU style) over NARA_ID,
    and from NARA_ID over the default (the hostname, or a generated name for a generic one)."""
    assert identity_json(tmp_path, "-name", "flagname", NARA_ID="envname")["name"] == "flagname"
    assert identity_json(tmp_path, "--name", "gnuname", NARA_ID="envname")["name"] == "gnuname"
    assert identity_json(tmp_path, "-name=eqname", NARA_ID="envname")["name"] == "eqname"
    assert identity_json(tmp_path, "-nara-id", "aliasname")["name"] == "aliasname"
    assert identity_json(tmp_path, NARA_ID="envname")["name"] == "envname"
    default = identity_json(tmp_path)
    host = os.uname().nodename.split(".")[0]
    if is_generic_hostname(host):
        assert default["mode"] == "generated" and default["name"] != host
    else:
        assert (default["mode"], default["name"]) == ("custom", host)


def test_mqtt_host_in_go_and_gnu_spelling(mosquitto: Broker, spawn_nara: Spawn) -> None:
    """-mqtt-host URL (Go) and --mqtt-host URL (GNU) both connect the node to the broker."""
    go = spawn_nara("gostyle", "-mqtt-host", mosquitto.url)
    gnu = spawn_nara("gnustyle", f"--mqtt-host={mosquitto.url}")
    for node in (go, gnu):
        until(lambda n=node: n.get("/readyz")[0] == 200, 20, f"{node.name} on the plaza")
        assert json.loads(node.get("/readyz")[1])["checks"]["plaza"] is True


# ---- 16-17: unusable input -----------------------------------------------------------------------


def assert_usage_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nara: ") and "Traceback" not in result.stderr
    assert result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


BOB_WITH_ALICE_SOUL = ["-name", "bob", "-soul", ALICE_SOUL.text]


@pytest.mark.parametrize(
    ("args", "env", "needles"),
    [
        (["-bogus"], {}, ["-bogus"]),
        (["--no-such-flag=1"], {}, ["--no-such-flag"]),
        (["-memory-mode", "bogus"], {}, ["-memory-mode", "bogus"]),
        (["-http-addr", "nonsense"], {}, ["-http-addr", "nonsense"]),
        (["-http-addr", "127.0.0.1:99999"], {}, ["-http-addr"]),
        (["-log-level", "loud"], {}, ["-log-level"]),
        (["-mqtt-host", "bogus://127.0.0.1:1883"], {}, ["-mqtt-host"]),
        (["-name", "alice", "-soul", "notasoul"], {}, ["soul"]),
        (["-name", "alice", "-soul", "3" * 50], {}, ["soul"]),
        (BOB_WITH_ALICE_SOUL, {}, ["bob"]),
        (["-name", "bob"], {"NARA_SOUL": ALICE_SOUL.text}, ["bob"]),
        (["-name", "alice"], {"NARA_SOUL_FILE": "/nonexistent/soul"}, ["NARA_SOUL_FILE"]),
        (["-name", "alice"], {"NARA_SOUL_FILE": "/"}, ["NARA_SOUL_FILE"]),
    ],
    ids=[
        "unknown-flag",
        "unknown-gnu-flag",
        "memory-mode",
        "http-addr",
        "http-port-range",
        "log-level",
        "mqtt-scheme",
        "soul-not-base58",
        "soul-wrong-length",
        "soul-bonded-to-alice",
        "env-soul-bonded-to-alice",
        "soul-file-missing",
        "soul-file-is-a-directory",
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], needles: list[str]
) -> None:
    """Unusable configuration stops the node before it starts: exit status 2 and one readable
    line on stderr naming the culprit, never a traceback, and never the soul text itself."""
    # Should the input wrongly be accepted, the node must not take :8080 of the machine.
    safe = [] if "-http-addr" in args else ["-http-addr", "127.0.0.1:0"]
    result = nara(tmp_path, *args, *safe, env=base_env(tmp_path, **env))
    line = assert_usage_error(result, *needles)
    for secret in (ALICE_SOUL.text, "notasoul", "3" * 50):
        assert secret not in line


def test_busy_port_exits_2_naming_the_address(spawn_nara: Spawn, tmp_path: Path) -> None:
    """A second node on an address already in use exits 2 with one line that names the
    address and suggests -http-addr; the first keeps serving."""
    first = spawn_nara("alice")
    addr = first.url.removeprefix("http://").rstrip("/")
    result = nara(tmp_path, "-name", "bob", "-http-addr", addr)
    assert_usage_error(result, addr, "-http-addr")
    assert first.get("/livez")[0] == 200


# ---- 18: identity, soul, NARA_SOUL_FILE, PORT ---------------------------------------------------


def test_identity_and_soul_commands(tmp_path: Path) -> None:
    """``nara identity`` prints the public identity as JSON (key and ID follow from the soul)
    and never the soul; ``nara soul`` prints exactly the soul that -soul gave, or the one in
    NARA_SOUL_FILE."""
    soul: Soul = ALICE_SOUL
    data = identity_json(tmp_path, "-name", "alice", "-soul", soul.text)
    assert data["name"] == "alice" and data["mode"] == "custom" and data["bond_valid"] is True
    assert data["public_key"] == SigningKey(soul.seed).public_b64
    assert data["nara_id"] == nara_id(soul, "alice")
    assert data["native"] is False
    raw = nara(tmp_path, "identity", "-name", "alice", "-soul", soul.text)
    assert soul.text not in raw.stdout + raw.stderr and soul.seed.hex() not in raw.stdout

    printed = nara(tmp_path, "soul", "-name", "alice", "-soul", soul.text)
    assert printed.returncode == 0 and printed.stdout == soul.text + "\n"

    soul_file = tmp_path / "soul.txt"
    soul_file.write_text(soul.text + "\n")
    env = base_env(tmp_path, NARA_SOUL_FILE=str(soul_file))
    from_file = nara(tmp_path, "soul", "-name", "alice", env=env)
    assert from_file.returncode == 0 and from_file.stdout == soul.text + "\n"
    via_file = identity_json(tmp_path, "-name", "alice", NARA_SOUL_FILE=str(soul_file))
    assert via_file["public_key"] == data["public_key"]


@pytest.fixture
def bare_nara(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[bytes], Path]]]:
    """Start ``python -m nara`` with exactly the given arguments and environment."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"bare-{len(procs)}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "nara", *args], stdout=out, stderr=subprocess.STDOUT,
                env=env, cwd=ROOT,
            )  # fmt: skip
        procs.append(proc)
        return proc, log

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_port_env_is_honoured_without_http_addr(
    tmp_path: Path, bare_nara: Callable[..., tuple[subprocess.Popen[bytes], Path]]
) -> None:
    """PORT (Fly.io) sets the listening port when HTTP_ADDR is unset, on every interface;
    HTTP_ADDR wins when both are set."""
    port, other = free_port(), free_port()
    proc, log = bare_nara("-name", "alice", env=base_env(tmp_path, PORT=str(port)))

    def url() -> str | None:
        assert proc.poll() is None, log.read_text()
        match = URL_LINE.search(log.read_text())
        return match.group(1) if match else None

    assert until(url, 30, "the dashboard line").endswith(f":{port}")
    result = nara(tmp_path, "healthcheck", "--url", f"http://127.0.0.1:{port}/livez")
    assert result.returncode == 0, result.stderr

    env = base_env(tmp_path, PORT=str(port), HTTP_ADDR=f"127.0.0.1:{other}")
    proc, log = bare_nara("-name", "bob", env=env)
    assert until(url, 30, "the second dashboard line") == f"http://127.0.0.1:{other}"


# ---- 19-20: signals and healthcheck ------------------------------------------------------------


def test_double_sigint_exits_once_cleanly(mosquitto: Broker, spawn_nara: Spawn) -> None:
    """Two SIGINTs in quick succession (an impatient Ctrl-C) still mean one graceful shutdown:
    exit status 0 within 5 s, one "shutting down", the chau said, no traceback."""
    alice = spawn_nara("alice", broker=mosquitto)
    until(lambda: alice.get("/readyz")[0] == 200, 20, "alice on the plaza")
    alice.signal(signal.SIGINT)
    alice.signal(signal.SIGINT)
    assert alice.wait_exit(5) == 0, alice.output()
    output = alice.output()
    assert output.count("shutting down") == 1, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert "said chau" in output


def test_healthcheck_command(spawn_nara: Spawn, tmp_path: Path) -> None:
    """``nara healthcheck`` exits 0 against a running node (explicit --url, or derived from
    -http-addr) and 1 with one line against a closed port."""
    alice = spawn_nara("alice")
    port = alice.url.rsplit(":", 1)[1]
    ok = nara(tmp_path, "healthcheck", "--url", f"{alice.url}/livez")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    derived = nara(tmp_path, "healthcheck", "-http-addr", f"127.0.0.1:{port}")
    assert derived.returncode == 0, derived.stderr
    closed = nara(tmp_path, "healthcheck", "--url", f"http://127.0.0.1:{free_port()}/livez")
    assert closed.returncode == 1
    assert len(closed.stderr.strip().splitlines()) == 1, closed.stderr
