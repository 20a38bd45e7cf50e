"""The read model behind the dashboard (nara/readmodel.py), as a client of a real node on a real
broker sees it: ``/events?cards=1`` opens with a snapshot and then carries only the changed cards
and the change log (joined, left, came back, the plaza lost and found), resumes by Last-Event-ID
with exactly what changed since, and falls back to a snapshot when it cannot; ``/narae.json`` is
the same cards; the plaza's state is told the moment the broker goes away.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, SSEFrame, SSEStream, Stranger, until

Spawn = Callable[..., NaraProcess]
STEADY = {"NARA_MISSING_AFTER": "300"}


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


class CardStream(SSEStream):
    """``SSEStream`` with the URL's query string kept (the helper sends only the path)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        self.conn.connect()
        self._sock = self.conn.sock
        self.conn.request(
            "GET", f"{parts.path}?{parts.query}", headers={"Accept": "text/event-stream"}
        )
        self.response = self.conn.getresponse()
        self._sock.settimeout(None)
        self.status = self.response.status
        self.headers = dict(self.response.headers)
        self.frames = []
        self.comments = []
        self.ended = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="sse-reader", daemon=True)
        self._thread.start()


def cards_url(nara: NaraProcess, position: str = "") -> str:
    return nara.url + "/events?cards=1" + (f"&last_event_id={position}" if position else "")


def card_frames(stream: SSEStream) -> list[SSEFrame]:
    return [f for f in stream.snapshot() if f.event in ("snapshot", "naras")]


def changed_names(frame: SSEFrame) -> set[str]:
    return {c["Name"] for c in frame.data.get("changed", [])}


def wait_connected(nara: NaraProcess) -> None:
    until(
        lambda: nara.json("/api/node.json")["plaza"]["state"] == "connected", 15, "plaza connected"
    )


def test_cards_stream_snapshot_then_changes(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """A cards stream starts with ``connected`` (with the rev) and one ``snapshot`` holding every
    card, the change log, the plaza's state and this node; a stranger's hey-there then arrives as a
    ``naras`` frame carrying only its card and a "joined" change, its chau as one carrying its
    OFFLINE card and a "left" change. Every card frame's id is ``<seq>-<rev>`` with rising revs,
    and the cards agree with /narae.json."""
    alice = spawn_nara("alice", broker=mosquitto, env=STEADY)
    wait_connected(alice)
    with CardStream(cards_url(alice)) as stream:
        hello = stream.wait(lambda f: True, 10, "the first frame")
        assert hello.event == "connected" and isinstance(hello.data["rev"], int)
        snap = stream.wait(lambda f: f.event == "snapshot", 10, "the snapshot")
        assert snap.id is not None and snap.id.endswith(f"-{snap.data['rev']}")
        assert [c["Name"] for c in snap.data["naras"]] == ["alice"]
        assert snap.data["plaza"]["state"] == "connected"
        assert snap.data["node"]["name"] == "alice"
        assert snap.data["node"]["broker"] == mosquitto.url
        assert any(c["kind"] == "started" for c in snap.data["changes"])

        bob = Stranger.new("bob")
        plaza.publish("nara/plaza/hey_there", bob.hey_there().to_json())
        joined = stream.wait(lambda f: bob.name in changed_names(f), 10, "bob's card")
        assert joined.event == "naras"
        assert changed_names(joined) <= {bob.name, "alice"}
        kinds = {(c["kind"], c["name"]) for c in joined.data["changes"]}
        assert ("joined", bob.name) in kinds

        plaza.publish("nara/plaza/chau", bob.chau().to_json())

        def offline(f: SSEFrame) -> bool:
            return any(
                c["Name"] == bob.name and c["Online"] == "OFFLINE"
                for c in f.data.get("changed", [])
            )

        left = stream.wait(offline, 10, "bob OFFLINE")
        assert ("left", bob.name) in {(c["kind"], c["name"]) for c in left.data["changes"]}
        card = next(c for c in left.data["changed"] if c["Name"] == bob.name)
        assert card["StatusSince"] > 0 and card["UpSince"] == 0
        assert [s for _, s in card["History"]][-2:] == ["ONLINE", "OFFLINE"]

        revs = [int(f.id.split("-")[1]) for f in card_frames(stream) if f.id]
        assert revs == sorted(revs) and len(set(revs)) == len(revs)
        narae = {n["Name"]: n for n in alice.json("/narae.json")["naras"]}
        assert narae[bob.name]["Online"] == "OFFLINE"
        assert narae[bob.name]["History"] == card["History"]


def test_resume_by_last_event_id(mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza) -> None:
    """Reconnecting with the last frame's id gets the ledger events and the cards changed since,
    as one ``naras`` frame, and no snapshot; an id from before this run (or from the future) gets
    a snapshot."""
    alice = spawn_nara("alice", broker=mosquitto, env=STEADY)
    wait_connected(alice)
    with CardStream(cards_url(alice)) as first:
        first.wait(lambda f: f.event == "snapshot", 10, "the snapshot")
        early = Stranger.new("early")
        plaza.publish("nara/plaza/hey_there", early.hey_there().to_json())
        first.wait(lambda f: early.name in changed_names(f), 10, "early's card")
        position = [f.id for f in first.snapshot() if f.id][-1]
    assert position is not None

    late = [Stranger.new(f"late{i}") for i in range(3)]
    for s in late:
        plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
    until(lambda: {s.name for s in late} <= set(alice.statuses()), 15, "the late ones known")

    with CardStream(cards_url(alice, position)) as resumed:
        resumed.wait(lambda f: f.event == "connected", 10, "connected")
        catch = resumed.wait(lambda f: f.event in ("snapshot", "naras"), 10, "the catch-up")
        assert catch.event == "naras", "a near client gets a delta, not a snapshot"
        assert {s.name for s in late} <= changed_names(catch)
        assert early.name not in changed_names(catch)
        joined = {c["name"] for c in catch.data["changes"] if c["kind"] == "joined"}
        assert joined == {s.name for s in late}
        replayed = {f.data.get("emitter") for f in resumed.snapshot() if f.event == "hey-there"}
        assert {s.name for s in late} <= replayed

    seq = position.split("-")[0]
    for stale in (f"{seq}-1", f"{seq}-{10**17}"):
        with CardStream(cards_url(alice, stale)) as again:
            catch = again.wait(lambda f: f.event in ("snapshot", "naras"), 10, "the catch-up")
            assert catch.event == "snapshot", stale
            names = {c["Name"] for c in catch.data["naras"]}
            assert {early.name, "alice"} | {s.name for s in late} <= names


def test_plain_streams_get_no_cards(alone_nara: NaraProcess) -> None:
    """Without ``cards=1`` the stream is what it always was: no snapshot, no card frames, while a
    cards stream beside it gets both (this node's own card is refreshed every 10 s)."""
    with SSEStream(alone_nara.url + "/events") as plain, CardStream(cards_url(alone_nara)) as cards:
        plain.wait(lambda f: f.event == "connected", 10, "connected")
        cards.wait(lambda f: f.event == "snapshot", 10, "the snapshot")
        cards.wait(lambda f: f.event == "naras", 20, "this node's refreshed card")
        assert card_frames(plain) == []


@pytest.fixture
def alone_nara(spawn_nara: Spawn) -> NaraProcess:
    return spawn_nara("alice")


def test_alone_by_choice(alone_nara: NaraProcess) -> None:
    """With no broker configured the plaza's state is ``alone`` and the node says whom it is."""
    info = alone_nara.json("/api/node.json")
    assert info["plaza"]["state"] == "alone" and info["plaza"]["broker"] == ""
    assert info["node"]["name"] == "alice" and info["node"]["id"] and info["node"]["version"]
    assert info["counts"] == {"MISSING": 0, "OFFLINE": 0, "ONLINE": 1}


def test_broker_down_is_told_at_once(mosquitto: Broker, spawn_nara: Spawn) -> None:
    """Stopping the broker turns the plaza's state to ``reconnecting`` on the stream (a ``naras``
    frame with the plaza and a "plaza" change) and in /api/node.json; starting it again turns it
    back to ``connected``."""
    alice = spawn_nara("alice", broker=mosquitto, env=STEADY)
    wait_connected(alice)
    with CardStream(cards_url(alice)) as stream:
        stream.wait(lambda f: f.event == "snapshot", 10, "the snapshot")
        mosquitto.stop()

        def plaza_is(state: str) -> Callable[[SSEFrame], bool]:
            return lambda f: f.event == "naras" and f.data["plaza"]["state"] == state

        down = stream.wait(plaza_is("reconnecting"), 15, "the plaza lost")
        assert any(c["kind"] == "plaza" for c in down.data["changes"])
        assert alice.json("/api/node.json")["plaza"]["state"] == "reconnecting"
        mosquitto.start()
        stream.wait(plaza_is("connected"), 40, "the plaza back")
    changes = alice.json("/api/changes.json?kind=plaza")["changes"]
    assert [c["state"] for c in changes][:2] == ["connected", "reconnecting"]


def test_frames_are_small_next_to_the_document(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """With 40 naras known, a change costs the browser one card (about 1 kB), not /narae.json
    (the figure is printed for docs/security-notes/dashboard.md)."""
    alice = spawn_nara(
        "alice",
        "-new-naras-per-s",
        "1000",
        "-new-naras-burst",
        "2000",
        broker=mosquitto,
        env=STEADY,
    )
    wait_connected(alice)
    strangers = [Stranger.new(f"s{i}") for i in range(40)]
    for s in strangers:
        plaza.publish("nara/plaza/hey_there", s.hey_there().to_json())
    until(lambda: len(alice.statuses()) == 41, 15, "40 strangers known")
    with CardStream(cards_url(alice)) as stream:
        stream.wait(lambda f: f.event == "snapshot", 10, "the snapshot")
        plaza.publish("nara/plaza/chau", strangers[0].chau().to_json())
        frame = stream.wait(lambda f: strangers[0].name in changed_names(f), 10, "the chau's card")
    doc = len(alice.get("/narae.json")[1])
    size = len(json.dumps(frame.data, separators=(",", ":")).encode())
    print(f"\n/narae.json at 41 naras: {doc} bytes; one change frame: {size} bytes")
    assert size * 10 < doc
