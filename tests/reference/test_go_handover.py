"""A real reference Go nara watches one of ours hand over its soul (-takeover, issue 12).

A Go nara (eljojo/nara at 2e593e1, built by scripts/build-reference.sh) and a Python observer
share a mosquitto with the old instance of a Python nara (``-accept-takeover``). A new instance
with the same soul and ``-takeover`` takes its place. Judged by what each side reports itself:
the Go nara's /api.json and log, the Python observer's /api.json, and a raw MQTT recorder.

What the reference counts (read in its source, docs/protocol.md "Soul handover"): its figure
``Restarts`` for another nara is bumped in ``recordObservationOnlineNara`` (observations.go:
439-446) only when that nara, last seen OFFLINE or MISSING, is seen again; its ``StartTime`` is
its own observation, refined by its opinion passes (observations.go:126-143). A handover
therefore shows as no restart exactly when the Go nara never sees the nara leave: no chau (which
makes it OFFLINE, presence_chau.go) and no gap past its 300 s MISSING threshold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, sync_event_from, until
from tests.integration.test_handover import (
    STEADY,
    changes_of,
    chaus_from,
    old_and_observer,
    seen_by,
)
from tests.reference.conftest import GoNara

Spawn = Callable[..., NaraProcess]
SpawnGo = Callable[..., GoNara]
WATCHED = ("Online", "StartTime", "Restarts", "LastRestart")


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def go_view(gopher: GoNara, name: str) -> list[dict[str, Any]]:
    """The Go nara's entries for ``name`` in its /api.json (its own observation of that nara)."""
    return [n for n in gopher.json("/api.json")["naras"] or [] if n["Name"] == name]


def go_updates(gopher: GoNara, name: str) -> int:
    """How many hey-theres of the known nara ``name`` the Go nara has taken in: it logs
    "📝 Updated NAME: PublicKey=…" for each (presence_heythere.go:317)."""
    return len(gopher.log_lines(f"Updated {name}: PublicKey="))


def go_uptime(gopher: GoNara) -> int:
    """The reference's own uptime as it computes it: its LastSeen minus its LastRestart."""
    own = gopher.own()
    return int(own["LastSeen"]) - int(own["LastRestart"])


def go_chau_lines(gopher: GoNara, name: str) -> list[str]:
    """Any line of the Go log about a chau or departure of ``name`` (presence_chau.go:93-111)."""
    return [
        line
        for line in gopher.output().splitlines()
        if name in line and any(w in line for w in ("chau", "bounced", "left the network"))
    ]


@pytest.mark.timeout(480)
def test_a_go_nara_sees_one_nara_no_restart_and_no_chau_across_a_handover(
    mosquitto: Broker, spawn_nara: Spawn, spawn_go: SpawnGo, plaza: Plaza, tmp_path: Path
) -> None:
    gopher = spawn_go("gopher", mosquitto)
    plaza.wait(
        "nara/plaza/hey_there",
        lambda m: sync_event_from(m, "hey-there", "gopher"),
        what="gopher's hey-there",
    )
    # Past its boot (uptime 120 s, nara.go:222) the reference records a nara it meets for the
    # first time with a first-seen event, whose time becomes its StartTime for that nara, and
    # reports every restart it counts: so the old instance comes only then.
    until(lambda: go_uptime(gopher) >= 120, 240, "gopher past its boot", interval=1.0)
    name, soul, old, observer = old_and_observer(spawn_nara, mosquitto, tmp_path)
    until(lambda: gopher.statuses().get(name) == "ONLINE", 30, f"gopher to list {name} ONLINE")
    until(lambda: seen_by(observer, "gopher"), 60, "the observer to list gopher")
    (before,) = go_view(gopher, name)
    assert before["Online"] == "ONLINE", before
    assert before["StartTime"] > 0, before  # the time gopher first saw it
    ours_before = seen_by(observer, name)[0]
    updates = go_updates(gopher, name)
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
    plaza.wait(
        "nara/plaza/hey_there",
        lambda m: sync_event_from(m, "hey-there", name),
        since=t0,
        what="the new instance's hey-there",
    )
    # The Go nara has taken in the new instance's hey-there (it logs every one of a known nara).
    until(lambda: go_updates(gopher, name) > updates, 20, "gopher to take in the new hey-there")
    # Watch its view for a while after: its restart report is delayed (observations.go:696-716)
    # and its opinion of a nara is rewritten on its next newspaper or hey-there.
    views: list[list[dict[str, Any]]] = []
    watch_until = time.monotonic() + 10
    while time.monotonic() < watch_until:
        views.append(go_view(gopher, name))
        time.sleep(0.5)  # the sampling period, not a wait for a condition
    for view in views:
        assert len(view) == 1, view
        assert {k: view[0][k] for k in WATCHED} == {k: before[k] for k in WATCHED}, (before, view)
    assert go_chau_lines(gopher, name) == []
    assert chaus_from(plaza, name, 0) == []

    # Our observer agrees: one nara, ONLINE, same start time and restart count.
    entries = seen_by(observer, name)
    assert len(entries) == 1 and entries[0]["Online"] == "ONLINE", entries
    assert entries[0]["StartTime"] == ours_before["StartTime"]
    assert entries[0]["Restarts"] == ours_before["Restarts"]
    assert changes_of(observer, name) == ["joined"]
    # And the new instance sees the Go nara.
    until(lambda: new.statuses().get("gopher") == "ONLINE", 60, "the new instance to list gopher")
    figures = {k: before[k] for k in WATCHED}
    print(f"\ngo handover: gopher's view of {name}, {len(views)} samples after: {figures}")
