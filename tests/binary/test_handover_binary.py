"""Soul handover across builds (issue 12): the frozen ``bin/nara`` hands over to ``python -m nara``,
which hands back to a new ``bin/nara``. A third nara (``python -m nara``) observes, with a raw MQTT
recorder of every message: through both handovers it lists one nara of that name, ONLINE, with the
same start time and restart count, and nobody ever says chau. Each handed-over process exits 0.

The binary is the one ``scripts/build-binary.sh`` left in ``bin/nara`` (tests/binary/conftest.py);
it runs here as an ordinary process (the empty-root runs are in test_binary.py).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza as Recorder
from tests.integration.helpers import make_identity, self_entry, sync_event_from, unique_name, until
from tests.integration.test_handover import STEADY, changes_of, chaus_from, seen_by

Spawn = Callable[..., NaraProcess]
PYTHON = [sys.executable, "-m", "nara"]


def test_bin_nara_hands_over_to_python_and_back(
    mosquitto: Broker, spawn_nara: Spawn, nara_binary: Path, tmp_path: Path
) -> None:
    binary = [str(nara_binary)]
    name = unique_name("mover")
    env = STEADY | {"NARA_SOUL": make_identity(name).soul.text}
    recorder = Recorder(mosquitto.host, mosquitto.port)
    try:
        first = spawn_nara(
            name,
            "-accept-takeover",
            "-state-dir",
            str(tmp_path / "first"),
            broker=mosquitto,
            env=env,
            command=binary,
        )
        observer = spawn_nara(unique_name("watcher"), broker=mosquitto, env=STEADY)
        until(
            lambda: [e["Online"] for e in seen_by(observer, name)] == ["ONLINE"],
            30,
            "the observer to list the first instance ONLINE",
        )
        until(
            lambda: first.statuses().get(observer.name) == "ONLINE",
            30,
            "the first instance to list the observer",
        )
        origin = self_entry(first)
        viewed = seen_by(observer, name)[0]

        def one_nara_no_restart(stage: str) -> None:
            entries = seen_by(observer, name)
            assert len(entries) == 1, (stage, entries)
            assert entries[0]["Online"] == "ONLINE", (stage, entries)
            assert entries[0]["StartTime"] == viewed["StartTime"], (stage, entries, viewed)
            assert entries[0]["Restarts"] == viewed["Restarts"], (stage, entries, viewed)
            assert chaus_from(recorder, name, 0) == [], stage
            assert "now OFFLINE" not in observer.output(), stage
            assert changes_of(observer, name) == ["joined"], stage

        def hand_over(old: NaraProcess, command: list[str], where: str) -> NaraProcess:
            since = time.monotonic()
            new = spawn_nara(
                name,
                "-takeover",
                old.url,
                "-accept-takeover",
                "-state-dir",
                str(tmp_path / where),
                broker=mosquitto,
                env=env,
                command=command,
            )
            assert old.wait_exit(20) == 0, old.output()
            assert "handed over to the new instance" in old.output(), old.output()
            assert "said chau" not in old.output()
            recorder.wait(
                "nara/plaza/hey_there",
                lambda m: sync_event_from(m, "hey-there", name),
                since=since,
                what=f"the {where} instance's hey-there",
            )
            mine = self_entry(new)
            figures = ("StartTime", "Restarts", "LastRestart")
            assert [mine[k] for k in figures] == [origin[k] for k in figures], (where, mine, origin)
            saved = json.loads(next((tmp_path / where).glob("state-*.json")).read_text())
            assert (saved["start_time_s"], saved["restarts"]) == (
                origin["StartTime"],
                origin["Restarts"],
            ), saved
            until(
                lambda: new.statuses().get(observer.name) == "ONLINE",
                30,
                f"the {where} instance to list the observer",
            )
            one_nara_no_restart(where)
            return new

        one_nara_no_restart("first")
        second = hand_over(first, PYTHON, "second")  # bin/nara → python -m nara
        third = hand_over(second, binary, "third")  # python -m nara → bin/nara
        assert third.proc.poll() is None
        one_nara_no_restart("after both")
    finally:
        recorder.close()
