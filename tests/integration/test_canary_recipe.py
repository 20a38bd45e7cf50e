"""The canary deploy recipes of docs/deployment.md ("Canary deploys and soul handover"), run as
written: the lines the docs show for plain processes and for the systemd template unit, with
the same environment variables, on free ports instead of 8080/8081, against a real mosquitto,
with a third nara and a recorder of every plaza message watching.

(tests/integration/test_handover.py tests the handover itself, flag by flag; this file tests
the recipes.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Broker, NaraProcess, free_port
from tests.integration.helpers import Plaza as Recorder
from tests.integration.helpers import make_identity, unique_name, until

Spawn = Callable[..., NaraProcess]
DOCS = ROOT / "docs" / "deployment.md"
UNIT = ROOT / "packaging" / "nara@.service"

# The plain-process recipe, exactly as docs/deployment.md shows it.
OLD_LINE = "NARA_ACCEPT_TAKEOVER=true HTTP_ADDR=127.0.0.1:8080 NARA_STATE_DIR=state/a nara serve"
DEPLOY_LINE = "NARA_STATE_DIR=state/b scripts/canary.sh http://127.0.0.1:8080 127.0.0.1:8081"
BACK_LINE = "NARA_STATE_DIR=state/a scripts/canary.sh http://127.0.0.1:8081 127.0.0.1:8080"
# The systemd template recipe: the slots' own env files.
SLOT_A_ENV = r"printf 'HTTP_ADDR=127.0.0.1:8080\n' | sudo tee /etc/nara/a.env"
SLOT_B_ENV = (
    r"printf 'HTTP_ADDR=127.0.0.1:8081\nNARA_TAKEOVER=http://127.0.0.1:8080\n'"
    r" | sudo tee /etc/nara/b.env"
)
HANDED_OVER = "handed over to the new instance: stopping (exit 0, no chau)"


def test_the_docs_show_these_commands() -> None:
    docs = DOCS.read_text()
    for line in (OLD_LINE, DEPLOY_LINE, BACK_LINE, SLOT_A_ENV, SLOT_B_ENV, HANDED_OVER):
        assert line in docs, line
    assert "test_canary_recipe.py" in docs
    assert HANDED_OVER in (ROOT / "nara" / "cli.py").read_text()


# ---- helpers ------------------------------------------------------------------------------------


class Ports:
    """8080 and 8081 of the docs, as two free ports."""

    def __init__(self) -> None:
        self.a, self.b = free_port(), free_port()

    def __call__(self, line: str) -> str:
        return line.replace("8080", str(self.a)).replace("8081", str(self.b))


def get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def ready(url: str) -> bool:
    try:
        return get(url + "/readyz", 2.0)[0] == 200
    except OSError:
        return False


def self_entry(url: str) -> dict[str, Any]:
    import json

    data = json.loads(get(url + "/api.json")[1])
    return next(i for i in data["naras"] if i["Name"] == data["server"])


def seen_by(observer: NaraProcess, name: str) -> list[dict[str, Any]]:
    return [i for i in observer.json("/api.json")["naras"] if i["Name"] == name]


def from_(recorder: Recorder, kind: str, name: str, since: float = 0.0) -> list[Any]:
    return [
        m
        for m in recorder.messages(f"nara/plaza/{kind}", since=since)
        if (m.json().get(kind) or {}).get("From") == name
    ]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its new parent) is not alive either.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A working directory like an operator's: `nara` on PATH (this checkout's node) and
    scripts/canary.sh; every process started here is killed at the end."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "nara"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m nara "$@"\n')
    shim.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    (work / "scripts").symlink_to(ROOT / "scripts")
    pids: list[int] = []
    yield {"bin": bin_dir, "work": work, "pids": pids}
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def operator_env(tmp_path: Path, bin_dir: Path, **settings: str) -> dict[str, str]:
    return {
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "NARA_MISSING_AFTER": "300",
        **settings,
    }


def start(line: str, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            ["bash", "-c", line], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def deploy(line: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    return done.returncode, done.stdout + done.stderr


def watch(
    spawn: Spawn, broker: Broker, name: str, url: str
) -> tuple[NaraProcess, dict[str, Any], dict[str, Any]]:
    """The observer, once it and the running instance know each other."""
    observer = spawn(unique_name("watcher"), broker=broker, env={"NARA_MISSING_AFTER": "300"})
    until(
        lambda: seen_by(observer, name) and seen_by(observer, name)[0]["Online"] == "ONLINE",
        60,
        "the observer to see the running instance",
    )
    until(
        lambda: any(i["Name"] == observer.name for i in _naras(url)),
        60,
        "the running instance to see the observer",
    )
    return observer, self_entry(url), seen_by(observer, name)[0]


def _naras(url: str) -> list[dict[str, Any]]:
    import json

    result: list[dict[str, Any]] = json.loads(get(url + "/api.json")[1])["naras"]
    return result


def assert_one_nara_unchanged(
    observer: NaraProcess, recorder: Recorder, name: str, viewed: dict[str, Any], url: str
) -> None:
    until(
        lambda: any(i["Name"] == observer.name for i in _naras(url)),
        60,
        "the serving instance to know the observer",
    )
    entries = seen_by(observer, name)
    assert len(entries) == 1, entries
    assert entries[0]["Online"] == "ONLINE"
    assert entries[0]["StartTime"] == viewed["StartTime"]
    assert entries[0]["Restarts"] == viewed["Restarts"]
    assert from_(recorder, "chau", name) == []
    assert "now OFFLINE" not in observer.output()


# ---- plain processes ----------------------------------------------------------------------------


@pytest.mark.timeout(600)  # four deploys, each a start of the node and its plaza check
def test_plain_process_recipe(
    mosquitto: Broker, spawn_nara: Spawn, tmp_path: Path, host: dict[str, Any]
) -> None:
    ports = Ports()
    name = unique_name("canary")
    soul = make_identity(name).soul.text
    env = operator_env(tmp_path, host["bin"], NARA_ID=name, NARA_SOUL=soul, MQTT_HOST=mosquitto.url)
    work: Path = host["work"]
    url_a, url_b = f"http://127.0.0.1:{ports.a}", f"http://127.0.0.1:{ports.b}"
    recorder = Recorder(mosquitto.host, mosquitto.port)
    try:
        old = start(ports(OLD_LINE), work, env, tmp_path / "old.log")
        host["pids"].append(old.pid)
        until(lambda: old.poll() is None and ready(url_a), 60, "the running instance")
        observer, before, viewed = watch(spawn_nara, mosquitto, name, url_a)
        t0 = time.monotonic()

        # The deploy: a → b.
        status, output = deploy(ports(DEPLOY_LINE), work, env)
        assert status == 0, output
        pid = int(re.findall(r"^pid=(\d+)$", output, re.M)[-1])
        host["pids"].append(pid)
        assert old.wait(30) == 0, (tmp_path / "old.log").read_text()
        old_log = (tmp_path / "old.log").read_text()
        assert HANDED_OVER in old_log and "said chau" not in old_log
        after = self_entry(url_b)
        assert (after["StartTime"], after["Restarts"]) == (before["StartTime"], before["Restarts"])
        assert list((work / "state" / "b").glob("state-*.json")), "the handover filled state/b"
        until(lambda: from_(recorder, "hey_there", name, t0), 30, "the new instance's hey-there")
        assert_one_nara_unchanged(observer, recorder, name, viewed, url_b)
        gap = _silence(recorder, name, t0)
        took = time.monotonic() - t0

        # A failed deploy b → a (the new one cannot reach the plaza): exit 2, nothing changed.
        dead = f"tcp://127.0.0.1:{free_port()}"
        status, output = deploy(ports(BACK_LINE), work, env | {"MQTT_HOST": dead})
        assert status == 2, output
        assert "the old instance keeps serving" in output
        assert alive(pid) and ready(url_b) and not ready(url_a)
        assert_one_nara_unchanged(observer, recorder, name, viewed, url_b)

        # Another soul: refused by the soul check before anything starts.
        intruder = make_identity(name).soul.text
        status, output = deploy(ports(BACK_LINE), work, env | {"NARA_SOUL": intruder})
        assert status == 2 and "would refuse" in output, output
        assert alive(pid) and ready(url_b)

        # The deploy back, b → a, from the instance the script started: it accepts too.
        status, output = deploy(ports(BACK_LINE), work, env)
        assert status == 0, output
        host["pids"].append(int(re.findall(r"^pid=(\d+)$", output, re.M)[-1]))
        until(lambda: not alive(pid), 30, "the b instance to exit")
        assert HANDED_OVER in (tmp_path / f"nara-{ports.b}.log").read_text()
        back = self_entry(url_a)
        assert (back["StartTime"], back["Restarts"]) == (before["StartTime"], before["Restarts"])
        assert_one_nara_unchanged(observer, recorder, name, viewed, url_a)
        print(
            f"deploy a → b took {took:.1f} s; the plaza heard nothing from {name} for {gap:.2f} s"
        )
    finally:
        recorder.close()


def _silence(recorder: Recorder, name: str, since: float) -> float:
    """Seconds between the last plaza message from ``name`` before the new instance's first
    hey-there (the old instance's last word) and that hey-there."""
    first = min(m.at for m in from_(recorder, "hey_there", name, since))
    earlier = [m.at for m in recorder.messages(since=since) if m.at < first and _by(m, name)]
    return float(first - max(earlier, default=since))


def _by(message: Any, name: str) -> bool:
    if message.topic.endswith("/" + name):
        return True
    try:
        body = message.json()
    except ValueError:
        return False
    return isinstance(body, dict) and any(
        isinstance(v, dict) and v.get("From") == name for v in body.values()
    )


# ---- the systemd template unit ------------------------------------------------------------------

SLOT_B_DONE = "sudo sed -i '/^NARA_TAKEOVER=/d' /etc/nara/b.env"


class Slot:
    """``systemctl start nara@<slot>`` without systemd: the unit's ExecStart with the environment
    systemd would give it (its Environment= lines, then its EnvironmentFile= files), its
    specifiers resolved, and /etc, /var/lib, /run and the binary moved under ``root``."""

    def __init__(self, root: Path, bin_dir: Path, slot: str) -> None:
        self.root, self.slot = root, slot
        self.settings = unit_settings(UNIT.read_text())
        self.creds = root / "credentials" / slot
        self.creds.mkdir(parents=True, exist_ok=True)
        (root / "run" / f"nara-{slot}").mkdir(parents=True, exist_ok=True)
        self.shim = bin_dir / "nara"

    def path(self, text: str) -> str:
        text = text.replace("%i", self.slot).replace("%t", str(self.root / "run"))
        text = text.replace("%d", str(self.creds)).replace("/usr/local/bin/nara", str(self.shim))
        for top in ("/etc/", "/var/lib/"):
            text = text.replace(top, f"{self.root}{top}")
        return text

    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for line in self.settings["Environment"]:
            for assignment in line.split():
                key, _, value = assignment.partition("=")
                env[key] = self.path(value)
        for name in self.settings["EnvironmentFile"]:
            file = Path(self.path(name.lstrip("-")))
            if file.exists():
                for line in file.read_text().splitlines():
                    if line.strip() and not line.startswith("#"):
                        key, _, value = line.partition("=")
                        env[key.strip()] = value.strip()
        return env

    def start(self, log: Path) -> subprocess.Popen[bytes]:
        for credential in self.settings["LoadCredential"]:
            cred, _, source = credential.partition(":")
            (self.creds / cred).write_bytes(Path(self.path(source)).read_bytes())
        state = Path(self.path("/var/lib/nara-%i"))
        state.mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "PYTHONUNBUFFERED": "1",
            **self.environment(),
        }
        (exec_start,) = self.settings["ExecStart"]
        argv = [self.path(word) for word in exec_start.split()]
        with open(log, "wb") as out:
            return subprocess.Popen(
                argv, cwd=self.root, env=env, stdout=out, stderr=subprocess.STDOUT
            )


def unit_settings(text: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def run_doc_line(line: str, root: Path) -> None:
    """A line of the docs that writes under /etc/nara, run as shown (without sudo)."""
    command = line.replace("sudo ", "").replace("/etc/", f"{root}/etc/")
    subprocess.run(["bash", "-c", command], check=True, capture_output=True, timeout=30)


@pytest.mark.timeout(600)
def test_systemd_template_recipe(
    mosquitto: Broker, spawn_nara: Spawn, tmp_path: Path, host: dict[str, Any]
) -> None:
    settings = unit_settings(UNIT.read_text())
    assert settings["Restart"] == ["on-failure"], "exit 0 after a handover must be final"
    assert settings["RestartPreventExitStatus"] == ["2"], "a failed takeover must not loop"
    assert "NARA_ACCEPT_TAKEOVER=true" in settings["Environment"]
    assert SLOT_B_DONE in DOCS.read_text()

    ports = Ports()
    name = unique_name("slots")
    root = tmp_path / "root"
    (root / "etc" / "nara").mkdir(parents=True)
    # What the docs' nara.service steps put in /etc/nara: the soul and the shared settings.
    (root / "etc" / "nara" / "soul").write_text(make_identity(name).soul.text + "\n")
    (root / "etc" / "nara" / "env").write_text(
        f"NARA_ID={name}\nMQTT_HOST={mosquitto.url}\nNARA_MISSING_AFTER=300\n"
    )
    url_a, url_b = f"http://127.0.0.1:{ports.a}", f"http://127.0.0.1:{ports.b}"
    recorder = Recorder(mosquitto.host, mosquitto.port)
    try:
        run_doc_line(ports(SLOT_A_ENV), root)
        a = Slot(root, host["bin"], "a").start(tmp_path / "nara@a.log")
        host["pids"].append(a.pid)
        until(lambda: a.poll() is None and ready(url_a), 60, "nara@a")
        observer, before, viewed = watch(spawn_nara, mosquitto, name, url_a)

        run_doc_line(ports(SLOT_B_ENV), root)
        b = Slot(root, host["bin"], "b").start(tmp_path / "nara@b.log")
        host["pids"].append(b.pid)
        until(lambda: b.poll() is not None or ready(url_b), 120, "nara@b ready")
        assert b.poll() is None, (tmp_path / "nara@b.log").read_text()
        assert a.wait(30) == 0, (tmp_path / "nara@a.log").read_text()
        assert HANDED_OVER in (tmp_path / "nara@a.log").read_text()
        after = self_entry(url_b)
        assert (after["StartTime"], after["Restarts"]) == (before["StartTime"], before["Restarts"])
        assert list((root / "var" / "lib" / "nara-b").glob("state-*.json"))
        assert_one_nara_unchanged(observer, recorder, name, viewed, url_b)

        # The docs' last step, then a reboot of slot b: a plain start on its own state, counted
        # as the restart it is.
        run_doc_line(SLOT_B_DONE, root)
        assert "NARA_TAKEOVER" not in (root / "etc" / "nara" / "b.env").read_text()
        b.send_signal(signal.SIGTERM)
        assert b.wait(30) == 0
        again = Slot(root, host["bin"], "b").start(tmp_path / "nara@b-again.log")
        host["pids"].append(again.pid)
        until(lambda: again.poll() is None and ready(url_b), 60, "nara@b after a reboot")
        rebooted = self_entry(url_b)
        assert rebooted["StartTime"] == before["StartTime"]
        assert rebooted["Restarts"] == before["Restarts"] + 1
    finally:
        recorder.close()


# ---- Fly.io: a crash after a deploy ---------------------------------------------------------


def test_fly_machine_restarted_on_a_fresh_disk_starts_afresh(
    mosquitto: Broker, spawn_nara: Spawn, tmp_path: Path
) -> None:
    """A green machine that crashed keeps the deploy's NARA_TAKEOVER, but its old machine is
    destroyed and its disk was reset: with fly.toml's NARA_TAKEOVER_IF_GONE it starts afresh
    rather than exiting 2 for good. Without it, it exits 2 (test_handover.py)."""
    import tomllib

    fly_env = tomllib.loads((ROOT / "fly.toml").read_text())["env"]
    name = unique_name("green")
    gone = f"http://127.0.0.1:{free_port()}"
    nara = spawn_nara(
        name,
        "-state-dir",
        str(tmp_path / "fresh-disk"),
        broker=mosquitto,
        env={
            "NARA_SOUL": make_identity(name).soul.text,
            "NARA_TAKEOVER": gone,
            "NARA_ACCEPT_TAKEOVER": fly_env["NARA_ACCEPT_TAKEOVER"],
            "NARA_TAKEOVER_IF_GONE": fly_env["NARA_TAKEOVER_IF_GONE"],
        },
    )
    assert "no state of its own: starting afresh" in nara.output()
    assert self_entry(nara.url.rstrip("/"))["Restarts"] == 0
    assert nara.get("/api/takeover")[0] == 200, "and it accepts the next deploy's takeover"
