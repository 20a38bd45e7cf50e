"""Soul handover (-takeover / -accept-takeover; nara/handover.py, nara/core/handover.py).

Real processes on a real mosquitto: an old instance of a nara, a new one with the same soul and
``-takeover`` pointing at the old one, and a third nara observing, plus a raw MQTT recorder of
every message. A good handover: no chau, no restart counted, one nara. A failed one (bad proof,
another soul, the new instance cannot reach the plaza, the old one is gone, the old one does not
accept takeovers): nothing changes and the old instance keeps serving.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from nara.core import handover
from tests.conftest import ROOT, Broker, NaraProcess, free_port
from tests.integration.helpers import Plaza as Recorder
from tests.integration.helpers import make_identity, self_entry, unique_name, until

Spawn = Callable[..., NaraProcess]
STEADY = {"NARA_MISSING_AFTER": "300"}


def post(url: str, body: bytes = b"", timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def seen_by(observer: NaraProcess, name: str) -> list[dict[str, Any]]:
    return [item for item in observer.json("/api.json")["naras"] if item["Name"] == name]


def changes_of(observer: NaraProcess, name: str) -> list[str]:
    """The kinds in the observer's change log for ``name`` (/api/changes.json): a nara that never
    left, went missing or restarted there has "joined" and nothing else."""
    return [c["kind"] for c in observer.json(f"/api/changes.json?name={name}")["changes"]]


def chaus_from(recorder: Recorder, name: str, since: float) -> list[Any]:
    return [
        m
        for m in recorder.messages("nara/plaza/chau", since=since)
        if (m.json().get("chau") or {}).get("From") == name
    ]


def hey_theres_from(recorder: Recorder, name: str, since: float) -> list[Any]:
    return [
        m
        for m in recorder.messages("nara/plaza/hey_there", since=since)
        if (m.json().get("hey_there") or {}).get("From") == name
    ]


def old_and_observer(
    spawn: Spawn, broker: Broker, tmp_path: Path, *, accept: bool = True
) -> tuple[str, str, NaraProcess, NaraProcess]:
    name = unique_name("mover")
    soul = make_identity(name).soul.text
    extra = ["-accept-takeover"] if accept else []
    env = STEADY | {"NARA_SOUL": soul}
    old = spawn(
        name, "-state-dir", str(tmp_path / "old"), *extra, broker=broker, env=env, wait=False
    )
    observer = spawn(unique_name("watcher"), broker=broker, env=STEADY, wait=False)
    for nara in (old, observer):
        nara.url = until(partial(_listening, nara), 30, f"{nara.name} to listen", interval=0.1)
    until(
        lambda: seen_by(observer, name) and seen_by(observer, name)[0]["Online"] == "ONLINE",
        30,
        "the observer to see the old instance",
    )
    until(
        lambda: any(i["Name"] == observer.name for i in old.json("/api.json")["naras"]),
        30,
        "the old instance to see the observer",
    )
    return name, soul, old, observer


def _listening(nara: NaraProcess) -> str | None:
    from tests.conftest import URL_LINE

    if nara.proc.poll() is not None:
        raise AssertionError(f"{nara.name} exited with {nara.proc.returncode}:\n{nara.output()}")
    match = URL_LINE.search(nara.output())
    return match.group(1) if match else None


def test_handover_no_restart_no_chau_no_second_nara(
    mosquitto: Broker, spawn_nara: Spawn, tmp_path: Path
) -> None:
    recorder = Recorder(mosquitto.host, mosquitto.port)
    try:
        name, soul, old, observer = old_and_observer(spawn_nara, mosquitto, tmp_path)
        before = self_entry(old)
        viewed = seen_by(observer, name)[0]
        old_events = {e["id"] for e in old.json("/api/inspector/events?limit=500")["events"]}
        assert old_events
        t0 = time.monotonic()

        new = spawn_nara(
            name,
            "-takeover",
            old.url,
            "-state-dir",
            str(tmp_path / "new"),
            broker=mosquitto,
            env=STEADY | {"NARA_SOUL": soul},
        )
        assert old.wait_exit(15) == 0, old.output()
        assert "handed over to the new instance" in old.output()
        assert "said chau" not in old.output()

        after = self_entry(new)
        assert after["StartTime"] == before["StartTime"]
        assert after["Restarts"] == before["Restarts"]
        assert after["LastRestart"] == before["LastRestart"], "the same run goes on"
        saved = json.loads(next((tmp_path / "new").glob("state-*.json")).read_text())
        assert saved["restarts"] == before["Restarts"]
        assert saved["start_time_s"] == before["StartTime"]
        new_events = {e["id"] for e in new.json("/api/inspector/events?limit=500")["events"]}
        assert old_events <= new_events, "the old instance's ledger came along"

        # The network: the new instance announces; the observer sees one nara, ONLINE, with
        # the same start time and restart count, and nobody ever said chau.
        until(lambda: hey_theres_from(recorder, name, t0), 30, "the new instance's hey-there")
        until(
            lambda: (
                new.json("/api.json")["naras"]
                and any(i["Name"] == observer.name for i in new.json("/api.json")["naras"])
            ),
            30,
            "the new instance to meet the observer",
        )
        entries = seen_by(observer, name)
        assert len(entries) == 1
        assert entries[0]["Online"] == "ONLINE"
        assert entries[0]["Restarts"] == viewed["Restarts"]
        assert entries[0]["StartTime"] == viewed["StartTime"]
        assert chaus_from(recorder, name, 0) == []
        assert "now OFFLINE" not in observer.output()
        assert changes_of(observer, name) == ["joined"]

        # Later the new instance restarts (a crash, a reboot) with the same -takeover: the old
        # one is gone, but its own state directory knows this nara, so it starts on that, as
        # the restart it is.
        new.signal(signal.SIGTERM)
        assert new.wait_exit(15) == 0
        again = spawn_nara(
            name,
            "-takeover",
            old.url,
            "-state-dir",
            str(tmp_path / "new"),
            broker=mosquitto,
            env=STEADY | {"NARA_SOUL": soul},
        )
        assert self_entry(again)["Restarts"] == before["Restarts"] + 1
        assert self_entry(again)["StartTime"] == before["StartTime"]

        # And so even while the plaza is unreachable: that the old one is gone is found out
        # before the plaza check, so the restart does not exit 2 on a broker outage.
        again.signal(signal.SIGTERM)
        assert again.wait_exit(15) == 0
        offline = spawn_nara(
            name,
            "-takeover",
            old.url,
            "-state-dir",
            str(tmp_path / "new"),
            "-mqtt-host",
            f"tcp://127.0.0.1:{free_port()}",
            broker=None,
            env=STEADY | {"NARA_SOUL": soul},
        )
        assert offline.get("/livez")[0] == 200
        assert self_entry(offline)["Restarts"] == before["Restarts"] + 2
        assert "takeover failed" not in offline.output()
    finally:
        recorder.close()


def test_failed_takeovers_change_nothing(
    mosquitto: Broker, spawn_nara: Spawn, tmp_path: Path
) -> None:
    recorder = Recorder(mosquitto.host, mosquitto.port)
    try:
        name, soul, old, observer = old_and_observer(spawn_nara, mosquitto, tmp_path)
        before = self_entry(old)
        viewed = seen_by(observer, name)[0]
        base = old.url.rstrip("/")

        # A bad proof: a nonce signed by another key; a replayed nonce; no nonce; a huge body.
        status, body = post(base + "/api/takeover/challenge")
        assert status == 200
        nonce = json.loads(body)["nonce"]
        intruder = make_identity(name)
        forged = {
            "name": name,
            "nara_id": intruder.nara_id,
            "nonce": nonce,
            "signature": handover.sign_proof(intruder.signing_key(), name, intruder.nara_id, nonce),
        }
        assert post(base + "/api/takeover", json.dumps(forged).encode())[0] == 403
        assert post(base + "/api/takeover", json.dumps(forged).encode())[0] == 403  # spent
        assert post(base + "/api/takeover", b"{}")[0] in (403, 429)
        big = json.dumps({"nonce": "x" * (handover.MAX_PROOF_BYTES + 10)}).encode()
        assert post(base + "/api/takeover", big)[0] in (413, 429)

        # The checker: another soul is refused, the right one would be accepted.
        def identity(soul_text: str) -> dict[str, Any]:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "nara",
                    "identity",
                    "-nara-id",
                    name,
                    "-soul",
                    soul_text,
                    "-takeover",
                    old.url,
                ],
                capture_output=True,
                check=True,
                cwd=ROOT,
                timeout=60,
            ).stdout
            answer: dict[str, Any] = json.loads(out)["takeover"]
            return answer

        # (the endpoints share a bucket of 5 at 1/s: the clients wait out a 429 themselves)
        assert identity(soul)["accepted"] is True
        refused = identity(intruder.soul.text)
        assert refused["accepted"] is False

        # New instances that must fail: another soul; no plaza for the new one; old one gone.
        dead = f"tcp://127.0.0.1:{free_port()}"
        cases = [
            (["-takeover", old.url], {"NARA_SOUL": intruder.soul.text}, None),
            (["-takeover", old.url, "-mqtt-host", dead], {"NARA_SOUL": soul}, None),
            (["-takeover", f"http://127.0.0.1:{free_port()}"], {"NARA_SOUL": soul}, mosquitto),
        ]
        for args, env, broker in cases:
            failed = spawn_nara(name, *args, broker=broker, env=STEADY | env, wait=False)
            assert failed.wait_exit(60) == 2, failed.output()
            assert "takeover failed" in failed.output()

        # Nothing changed: the old instance serves, the observer's view is the same, no chau.
        assert old.proc.poll() is None
        assert old.get("/livez")[0] == 200
        assert self_entry(old)["Restarts"] == before["Restarts"]
        entries = seen_by(observer, name)
        assert len(entries) == 1 and entries[0]["Online"] == "ONLINE"
        assert entries[0]["Restarts"] == viewed["Restarts"]
        assert entries[0]["StartTime"] == viewed["StartTime"]
        assert chaus_from(recorder, name, 0) == []
    finally:
        recorder.close()


def test_takeover_endpoints_are_off_unless_asked(
    mosquitto: Broker, spawn_nara: Spawn, tmp_path: Path
) -> None:
    name, soul, old, _ = old_and_observer(spawn_nara, mosquitto, tmp_path, accept=False)
    assert old.get("/api/takeover")[0] == 404
    assert post(old.url.rstrip("/") + "/api/takeover/challenge")[0] == 404
    new = spawn_nara(name, "-takeover", old.url, env=STEADY | {"NARA_SOUL": soul}, wait=False)
    assert new.wait_exit(60) == 2, new.output()
    assert old.proc.poll() is None and old.get("/livez")[0] == 200


def test_an_unhealthy_new_instance_exits_2_and_the_old_one_keeps_announcing(
    mosquitto: Broker, spawn_nara: Spawn, tmp_path: Path
) -> None:
    """The new instance's own checks come before it asks the old one anything: a state
    directory it cannot write, or a plaza it cannot reach, makes it exit 2 with the reason. The
    old instance never hears of it: it keeps serving and announcing (a newspaper after the
    failures), the observer lists it ONLINE with the same figures, and nobody says chau."""
    recorder = Recorder(mosquitto.host, mosquitto.port)
    try:
        name, soul, old, observer = old_and_observer(spawn_nara, mosquitto, tmp_path)
        viewed = seen_by(observer, name)[0]
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory\n")
        dead = f"tcp://127.0.0.1:{free_port()}"
        cases = [
            (
                ["-state-dir", str(blocker / "state")],
                mosquitto,
                "state directory cannot be written",
            ),
            (["-mqtt-host", dead], None, "cannot reach the plaza"),
        ]
        for args, broker, reason in cases:
            failed = spawn_nara(
                name,
                "-takeover",
                old.url,
                *args,
                broker=broker,
                env=STEADY | {"NARA_SOUL": soul},
                wait=False,
            )
            assert failed.wait_exit(60) == 2, failed.output()
            assert "takeover failed" in failed.output() and reason in failed.output()
        assert "handing over" not in old.output()
        t_failed = time.monotonic()

        # The old instance goes on: serving, and announcing (it posts a newspaper every 30 s
        # while booting, and it is at most a minute old here).
        assert old.proc.poll() is None and old.get("/livez")[0] == 200
        recorder.wait(
            f"nara/newspaper/{name}",
            since=t_failed,
            timeout=70,
            what="a newspaper of the old instance after the failed takeovers",
        )
        assert old.get("/api/takeover")[0] == 200, "its desk is still open"
        entries = seen_by(observer, name)
        assert len(entries) == 1 and entries[0]["Online"] == "ONLINE", entries
        assert entries[0]["Restarts"] == viewed["Restarts"]
        assert entries[0]["StartTime"] == viewed["StartTime"]
        assert chaus_from(recorder, name, 0) == []
        assert "now OFFLINE" not in observer.output()
        assert changes_of(observer, name) == ["joined"]
    finally:
        recorder.close()
