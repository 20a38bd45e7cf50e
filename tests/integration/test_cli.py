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


def _flag_count(text: str, spelling: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", text))


def test_help_lists_each_flag_once_and_each_command_only_its_own(tmp_path: Path) -> None:
    """`nara --help` (serve's options) shows every GNU spelling exactly once; a command's
    --help shows only the settings that command reads."""
    text = nara(tmp_path, "--help").stdout
    for setting in SETTINGS:
        for flag in setting.flags:
            assert _flag_count(text, f"--{flag}") == 1, flag
    assert _flag_count(text, "--version") == 1 and _flag_count(text, "--url") == 0
    identity = nara(tmp_path, "identity", "--help")
    assert identity.returncode == 0 and not identity.stderr
    assert "--nara-id" in identity.stdout and "--soul" in identity.stdout
    assert "--mqtt-host" not in identity.stdout and "--http-addr" not in identity.stdout
    health = nara(tmp_path, "healthcheck", "-h").stdout
    for flag in ("--url", "--http-addr", "--base-path"):
        assert _flag_count(health, flag) == 1, flag
    assert "--nara-id" not in health and "--mqtt-host" not in health
    version = nara(tmp_path, "version", "--help").stdout
    assert "--nara-id" not in version and "--http-addr" not in version


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["identity", "-mqtt-host", "tcp://127.0.0.1:1"], ["-mqtt-host", "nara identity --help"]),
        (["identity", "-http-addr", "127.0.0.1:0"], ["-http-addr", "nara identity --help"]),
        (["soul", "--memory-mode=hog"], ["--memory-mode", "nara soul --help"]),
        (["soul", "--version"], ["--version"]),
        (["healthcheck", "-name", "alice"], ["-name", "nara healthcheck --help"]),
        (["version", "-name", "alice"], ["-name", "nara version --help"]),
        (["serve", "-url", "http://127.0.0.1:1/livez"], ["-url", "nara --help"]),
        (["-url", "http://127.0.0.1:1/livez"], ["-url"]),
        (["-name", "alice", "identity"], ["identity", "command comes first"]),
        (["bogus"], ["bogus", "healthcheck"]),
    ],
    ids=[
        "identity-mqtt-host",
        "identity-http-addr",
        "soul-memory-mode",
        "soul-version",
        "healthcheck-name",
        "version-name",
        "serve-url",
        "default-serve-url",
        "command-after-flags",
        "unknown-command",
    ],
)
def test_a_flag_the_command_does_not_read_exits_2(
    tmp_path: Path, args: list[str], needles: list[str]
) -> None:
    """Each command takes only the flags it reads: anything else is one line and exit 2
    (never a half-applied setting, never argparse's `-h` + `ttp-addr` misreading)."""
    assert_usage_error(nara(tmp_path, *args), *needles)


def test_every_existing_spelling_still_works(tmp_path: Path) -> None:
    """`nara -V`, `nara serve -version`, `nara identity -soul ...` with env vars, and the
    flags-first form all keep their meaning."""
    for args in (["-V"], ["serve", "-version"], ["-name", "x", "--version"]):
        result = nara(tmp_path, *args)
        assert result.returncode == 0 and result.stdout.startswith("nara "), (args, result.stderr)
    data = identity_json(tmp_path, "-soul", ALICE_SOUL.text, NARA_ID="alice")
    assert data["name"] == "alice" and data["bond_valid"] is True


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
        # finding 10
        (["-mqtt-host", "tcp://[::1"], {}, ["-mqtt-host"]),
        (["-mqtt-host", "tcp://exa mple:1883"], {}, ["-mqtt-host", "spaces"]),
        (["-mqtt-host", "tcp://host\x07:1883"], {}, ["-mqtt-host", "control"]),
        (["-mqtt-host", "tcp://host:65536"], {}, ["-mqtt-host"]),
        (["-mqtt-host", "tcp://host:0"], {}, ["-mqtt-host", "1 to 65535"]),
        (["-mqtt-host", "tcp://u:hunter2@host"], {}, ["-mqtt-host", "(hidden)"]),
        ([], {"MQTT_HOST": "tcp://[::1"}, ["MQTT_HOST"]),
        (["-ledger-capacity", "1000000000000"], {}, ["-ledger-capacity", "1,000,000"]),
        (["-ledger-capacity=-5"], {}, ["-ledger-capacity"]),
        (["-missing-after", "nan"], {}, ["-missing-after", "86,400"]),
        (["-missing-after", "inf"], {}, ["-missing-after"]),
        (["-missing-after", "1e400"], {}, ["-missing-after"]),
        (["-missing-after", "1000000"], {}, ["-missing-after"]),
        (["-gossip-missing-after", "nan"], {}, ["-gossip-missing-after"]),
        (["-gossip-missing-after=-inf"], {}, ["-gossip-missing-after"]),
        ([], {"NARA_GOSSIP_MISSING_AFTER": "inf"}, ["NARA_GOSSIP_MISSING_AFTER"]),
        (["-nara-id", "a/b"], {}, ["-nara-id"]),
        (["-nara-id", "a+b"], {}, ["-nara-id"]),
        (["-nara-id", "a#b"], {}, ["-nara-id"]),
        (["-nara-id", "a\nb"], {}, ["-nara-id"]),
        (["-nara-id", "a b"], {}, ["-nara-id"]),
        (["-nara-id", "x" * 300], {}, ["-nara-id", "300 characters"]),
        ([], {"NARA_ID": "evil/+/#"}, ["NARA_ID"]),
        (
            ["-name", "alice"],
            {"NARA_SOUL": ALICE_SOUL.text, "NARA_SOUL_FILE": "/etc/hostname"},
            ["NARA_SOUL", "NARA_SOUL_FILE"],
        ),
        (
            ["-name", "alice"],
            {"MQTT_PASS": "hunter2", "MQTT_PASS_FILE": "/etc/hostname"},
            ["MQTT_PASS", "MQTT_PASS_FILE"],
        ),
        (
            ["-name", "alice"],
            {"NARA_SOUL_FILE": "/dev/zero"},
            ["NARA_SOUL_FILE", "not a regular file"],
        ),
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
        "mqtt-unclosed-ipv6",
        "mqtt-host-space",
        "mqtt-host-control",
        "mqtt-port-range",
        "mqtt-port-zero",
        "mqtt-credentials-in-url",
        "mqtt-env-unclosed-ipv6",
        "ledger-capacity-10e12",
        "ledger-capacity-negative",
        "missing-after-nan",
        "missing-after-inf",
        "missing-after-overflow",
        "missing-after-huge",
        "gossip-missing-after-nan",
        "gossip-missing-after-minus-inf",
        "env-gossip-missing-after-inf",
        "name-slash",
        "name-plus",
        "name-hash",
        "name-newline",
        "name-space",
        "name-300-chars",
        "env-name-wildcards",
        "soul-and-soul-file",
        "pass-and-pass-file",
        "soul-file-endless",
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
    for secret in (ALICE_SOUL.text, "notasoul", "3" * 50, "hunter2"):
        assert secret not in line


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe\x00\x81\x9c" + ALICE_SOUL.text.encode(), "is not UTF-8 text"),
        (b"", "is empty"),
        (b" \n\t\n", "is empty"),
    ],
    ids=["binary", "empty", "blank"],
)
@pytest.mark.parametrize("variable", ["NARA_SOUL_FILE", "MQTT_PASS_FILE"])
def test_unusable_secret_file_exits_2_with_one_line(
    tmp_path: Path, content: bytes, needle: str, variable: str
) -> None:
    """A soul or password file that is binary, empty or blank is a configuration error (not
    "derive a soul", not a UnicodeDecodeError traceback); the line names the file, never its
    content."""
    secret = tmp_path / "secret"
    secret.write_bytes(content)
    env = base_env(tmp_path, **{variable: str(secret)})
    result = nara(tmp_path, "-name", "alice", "-http-addr", "127.0.0.1:0", env=env)
    line = assert_usage_error(result, variable, needle, str(secret))
    assert ALICE_SOUL.text not in line


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "50-MiB", "directory"])
@pytest.mark.parametrize("variable", ["NARA_SOUL_FILE", "MQTT_PASS_FILE"])
def test_secret_files_that_would_hang_or_exhaust_memory_exit_2(
    tmp_path: Path, kind: str, variable: str
) -> None:
    """A FIFO (opening it would wait for a writer), /dev/zero (endless) or a 50 MiB file is
    refused at once with one line: only a small regular file holds a secret."""
    if kind == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
        needle = "is not a regular file"
    elif kind == "dev-zero":
        path, needle = Path("/dev/zero"), "is not a regular file"
    elif kind == "directory":
        path, needle = tmp_path, "is not a regular file"
    else:
        path = tmp_path / "big"
        with open(path, "wb") as handle:
            handle.truncate(50 * 1024 * 1024)
        needle = "is larger than"
    env = base_env(tmp_path, **{variable: str(path)})
    result = nara(tmp_path, "-name", "alice", "-http-addr", "127.0.0.1:0", env=env)
    assert_usage_error(result, variable, needle)


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


# ---- finding 11: the state directory ----------------------------------------------------------


def own_entry(node: NaraProcess) -> dict[str, object]:
    """This nara's own row of /api.json (StartTime, Restarts)."""
    [me] = [n for n in node.json("/api.json")["naras"] if n["Name"] == node.name]
    assert isinstance(me, dict)
    return me


def test_restarts_and_start_time_survive_restarts(spawn_nara: Spawn, tmp_path: Path) -> None:
    """Same soul, same -state-dir: the first run is restart 0, the next (after a clean SIGTERM)
    restart 1 with the same start time, and a crash (SIGKILL) still counts: restart 2. The file
    is keyed by the nara ID and never holds the soul."""
    state = tmp_path / "state"
    args = ("-soul", ALICE_SOUL.text, "-state-dir", str(state))
    first = spawn_nara("alice", *args)
    me = own_entry(first)
    assert me["Restarts"] == 0
    start = me["StartTime"]
    first.signal(signal.SIGTERM)
    assert first.wait_exit(10) == 0, first.output()

    second = spawn_nara("alice", *args)
    assert (own_entry(second)["Restarts"], own_entry(second)["StartTime"]) == (1, start)
    second.signal(signal.SIGKILL)
    second.wait_exit(10)

    third = spawn_nara("alice", *args)
    assert (own_entry(third)["Restarts"], own_entry(third)["StartTime"]) == (2, start)
    path = state / f"state-{nara_id(ALICE_SOUL, 'alice')}.json"
    assert [p.name for p in state.iterdir()] == [path.name]
    raw = path.read_text()
    assert ALICE_SOUL.text not in raw and ALICE_SOUL.seed.hex() not in raw
    assert json.loads(raw)["restarts"] == 2


def test_default_state_dir_is_under_xdg_state_home(spawn_nara: Spawn, tmp_path: Path) -> None:
    """Without -state-dir the state lives in $XDG_STATE_HOME/nara (else ~/.local/state/nara)."""
    xdg = tmp_path / "xdg"
    node = spawn_nara("alice", "-soul", ALICE_SOUL.text, env={"XDG_STATE_HOME": str(xdg)})
    assert own_entry(node)["Restarts"] == 0
    assert (xdg / "nara" / f"state-{nara_id(ALICE_SOUL, 'alice')}.json").is_file()
    home = spawn_nara("bob")
    assert own_entry(home)["Restarts"] == 0
    assert list((tmp_path / ".local" / "state" / "nara").glob("state-*.json"))


def warning_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "WARNING" in line]


def test_a_corrupt_state_file_warns_once_and_is_set_aside(
    spawn_nara: Spawn, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    path = state / f"state-{nara_id(ALICE_SOUL, 'alice')}.json"
    path.write_bytes(b"\x00\xffnot json at all")
    node = spawn_nara("alice", "-soul", ALICE_SOUL.text, "-state-dir", str(state))
    assert own_entry(node)["Restarts"] == 0
    [warning] = warning_lines(node.output())
    assert "set aside" in warning and "Traceback" not in node.output()
    [aside] = state.glob(f"{path.name}.corrupt-*")
    assert aside.read_bytes() == b"\x00\xffnot json at all"
    assert json.loads(path.read_text())["restarts"] == 0


def test_an_unusable_state_dir_warns_and_runs_with_memory_only(
    spawn_nara: Spawn, tmp_path: Path
) -> None:
    """A state directory that cannot be created (its parent is a file: true for root too) is
    one warning, not an exit: the node serves, with memory only, and says so once."""
    (tmp_path / "a-file").write_text("")
    node = spawn_nara("alice", "-state-dir", str(tmp_path / "a-file" / "state"))
    assert node.get("/livez")[0] == 200
    assert own_entry(node)["Restarts"] == 0
    [warning] = warning_lines(node.output())
    assert "memory only" in warning
    node.signal(signal.SIGTERM)
    assert node.wait_exit(10) == 0
    assert len(warning_lines(node.output())) == 1, node.output()
