"""Naras as real processes on a real mosquitto: meeting, leaving, dying, refusing forgeries and
garbage, surviving a broker restart, and speaking the Go wire format (spec §2-§4).

A raw MQTT client (``helpers.Plaza``) watches and forges traffic; ``helpers.Stranger`` is a nara
that exists only inside the test and signs with ``nara.core`` encoders.

Spawned naras default to a 4 s MISSING threshold. Between hey-theres (every 120-240 s) a live nara's
only fresh evidence is a newspaper (every 30 s while booting) turned into at most one "seen" event a
minute, so with 4 s even a live nara reads MISSING most of the time. Tests that need naras to stay
ONLINE therefore run them with the production threshold (``STEADY``).
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nara.core import wire
from nara.core.crypto import SigningKey, verify_b64
from nara.core.events import SVC_HEY_THERE, HeyThere, SyncEvent, new_event
from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import (
    Plaza,
    SSEStream,
    Stranger,
    dropped,
    hey_there_claiming,
    howdy_signed_by,
    metric,
    newspaper_signed_by,
    now_ns,
    self_entry,
    start_naras,
    sync_event_from,
    unique_name,
    until,
)

STEADY = {"NARA_MISSING_AFTER": "300"}
Spawn = Callable[..., NaraProcess]


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    """A test client subscribed to ``nara/#`` on the test broker."""
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def see_each_other(naras: list[NaraProcess], status: str = "ONLINE") -> bool:
    names = {n.name for n in naras}
    for nara in naras:
        seen = nara.statuses()
        if not all(seen.get(other) == status for other in names - {nara.name}):
            return False
    return True


def wait_announced(plaza: Plaza, nara: NaraProcess, since: float = 0.0) -> SyncEvent:
    """The node's own hey-there as the plaza carried it (sent 0-5 s after connecting)."""
    msg = plaza.wait(
        "nara/plaza/hey_there",
        lambda m: sync_event_from(m, "hey-there", nara.name),
        since=since,
        what=f"{nara.name}'s hey-there",
    )
    decoded = wire.decode_sync_event(msg.payload, "hey-there")
    assert isinstance(decoded, SyncEvent), decoded
    return decoded


# ---- 1-3: meeting, leaving, dying ------------------------------------------------------------


def test_three_naras_see_each_other_online(mosquitto: Broker, spawn_nara: Spawn) -> None:
    """Three naras in separate processes on one broker find each other through hey-there and
    howdy: each lists all three in /narae.json as ONLINE, itself (and only itself) with IsSelf."""
    naras = start_naras(spawn_nara, ["alice", "bob", "carol"], broker=mosquitto, env=STEADY)
    until(lambda: see_each_other(naras), 30, "all three naras ONLINE at each other")
    for nara in naras:
        data = nara.json("/narae.json")
        assert data["server"] == nara.name
        by_name = {item["Name"]: item for item in data["naras"]}
        assert set(by_name) == {"alice", "bob", "carol"}
        assert {n for n, item in by_name.items() if item["IsSelf"]} == {nara.name}
        assert all(item["Online"] == "ONLINE" for item in by_name.values())


def test_sigterm_exits_cleanly_says_chau_and_goes_offline(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """SIGTERM is a graceful exit: status 0 within 5 s, a signed chau on ``nara/plaza/chau``
    (verifiable with the leaver's own key), and the others mark it OFFLINE, not MISSING."""
    naras = start_naras(spawn_nara, ["alice", "bob", "carol"], broker=mosquitto, env=STEADY)
    alice, bob, carol = naras
    until(lambda: see_each_other(naras), 30, "all three naras ONLINE at each other")
    carol_key = self_entry(carol)["PublicKey"]

    carol.signal(signal.SIGTERM)
    assert carol.wait_exit(5) == 0, carol.output()

    msg = plaza.wait("nara/plaza/chau", lambda m: sync_event_from(m, "chau", "carol"))
    chau = wire.decode_sync_event(msg.payload, "chau")
    assert isinstance(chau, SyncEvent), chau  # decoding verifies the signature
    assert chau.svc == "chau" and chau.emitter == "carol" and chau.sig
    assert chau.payload.public_key == carol_key  # type: ignore[union-attr]
    assert chau.verify(carol_key)

    for other in (alice, bob):
        until(
            lambda o=other: o.statuses().get("carol") == "OFFLINE",
            10,
            f"carol OFFLINE at {other.name}",
        )
    assert alice.statuses()["bob"] == "ONLINE"
    assert "said chau" in carol.output()


def test_sighup_is_a_graceful_stop_with_chau(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """SIGHUP (a closed terminal, ``kill -HUP``) stops the node as SIGTERM does: exit 0 and a
    signed chau, never a silent death."""
    dora = spawn_nara("dora", broker=mosquitto, env=STEADY)
    wait_announced(plaza, dora)
    dora.signal(signal.SIGHUP)
    assert dora.wait_exit(5) == 0, dora.output()
    plaza.wait("nara/plaza/chau", lambda m: sync_event_from(m, "chau", "dora"))
    assert "SIGHUP received" in dora.output()


def test_sigkill_turns_missing_after_the_threshold(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """A nara killed with SIGKILL says no chau; the others' projection turns it MISSING once its
    last evidence is older than the (shortened, 4 s) threshold, and /events streams the change
    as ``event: status`` with online MISSING, previous ONLINE. (A live nara would read MISSING
    too under a 4 s threshold, see the module docstring; what this pins down is that silence
    means MISSING, never OFFLINE, and that the verdict waits for the threshold.)"""
    alice, carol = start_naras(spawn_nara, ["alice", "carol"], broker=mosquitto)
    streams = [SSEStream(alice.url + "/events"), SSEStream(carol.url + "/events")]
    try:
        for stream in streams:
            stream.wait(lambda f: f.event == "connected", 10, "the connected frame")
        bob = spawn_nara("bob", broker=mosquitto)
        # bob's hey-there makes it ONLINE at both observers for 4 s: kill it inside that window.
        until(
            lambda: (
                alice.statuses().get("bob") == "ONLINE" and carol.statuses().get("bob") == "ONLINE"
            ),
            30,
            "bob ONLINE at alice and carol",
        )
        bob.signal(signal.SIGKILL)
        killed_at = time.monotonic()
        assert bob.wait_exit(5) == -signal.SIGKILL

        for observer, stream in zip((alice, carol), streams, strict=True):
            frame = stream.wait(
                lambda f: f.event == "status" and f.data.get("name") == "bob" and f.at >= killed_at,
                15,
                f"bob's status change at {observer.name}",
            )
            assert frame.data == {"name": "bob", "online": "MISSING", "previous": "ONLINE"}
            assert observer.statuses()["bob"] == "MISSING"

            # The MISSING verdict is the node's own observation, made only after the threshold:
            # its timestamp is at least 4 s after the newest ONLINE evidence about bob.
            events = observer.json("/api/inspector/events?subject=bob&limit=500")["events"]
            missing = [
                e
                for e in events
                if e["service"] == "observation" and "missing" in e["ui_format"]["text"]
            ]
            assert missing, events
            evidence = [e["timestamp"] for e in events if e["timestamp"] < missing[0]["timestamp"]]
            assert evidence and missing[0]["timestamp"] - max(evidence) >= 4_000_000_000
    finally:
        for stream in streams:
            stream.close()
    assert not plaza.messages("nara/plaza/chau"), "a killed nara cannot say chau"


# ---- 4-5: forged and garbage input ----------------------------------------------------------


def test_forged_and_unsigned_announcements_are_refused(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """Forgeries never create (or take offline) a nara, and /metrics counts them by reason:
    a hey-there signed by key A claiming key B, one with a bad signature, a newspaper whose
    Status is signed by another key than Status.PublicKey, a tampered newspaper, a howdy and a
    chau signed by the wrong key → bad_signature; an unsigned hey-there or newspaper → unsigned.
    A correctly signed hey-there and newspaper from throwaway identities DO create naras."""
    alice = spawn_nara("alice", broker=mosquitto, env=STEADY)
    wait_announced(plaza, alice)
    before = alice.metrics()
    key_a, key_b = SigningKey(b"A" * 32), SigningKey(b"B" * 32)
    forged: list[str] = []

    def name(kind: str) -> str:
        forged.append(unique_name(kind))
        return forged[-1]

    # hey-there signed by A but carrying B's key (id and content consistent: only the key lies)
    plaza.publish("nara/plaza/hey_there", hey_there_claiming(key_b, key_a, name("foreign-key")))
    # a genuine hey-there whose signature was replaced by one over other bytes
    event = Stranger.new("badsig").hey_there()
    forged.append(event.emitter)
    bad = {**event.to_dict(), "sig": key_a.sign_b64(b"something else")}
    plaza.publish("nara/plaza/hey_there", json.dumps(bad))
    # newspaper: Status claims B's key, signed by A
    victim = Stranger.new("impostor")
    forged.append(victim.name)
    status = victim.status(public_key=key_b.public_b64)
    plaza.publish(f"nara/newspaper/{victim.name}", newspaper_signed_by(key_a, victim.name, status))
    # newspaper tampered with after signing
    tampered = Stranger.new("tampered")
    forged.append(tampered.name)
    paper = tampered.newspaper(buzz=1)
    assert b'"Buzz":1,' in paper
    plaza.publish(f"nara/newspaper/{tampered.name}", paper.replace(b'"Buzz":1,', b'"Buzz":99,'))
    # howdy to alice "from" a stranger whose Me.PublicKey is B, signed by A
    howdy_from = name("howdy")
    me = Stranger.new("x").status(public_key=key_b.public_b64)
    plaza.publish("nara/plaza/howdy", howdy_signed_by(key_a, howdy_from, "alice", 1, me))
    n_bad = 4  # the howdy's sender is unknown: refused before its signature is even checked

    # unsigned: a hey-there without emitter/sig, and a newspaper with an empty Signature
    unsigned_name = name("unsigned")
    payload = HeyThere(from_=unsigned_name, public_key=key_b.public_b64, mesh_ip="", id="")
    plaza.publish("nara/plaza/hey_there", new_event(SVC_HEY_THERE, payload, now_ns()).to_json())
    blank = Stranger.new("blank")
    forged.append(blank.name)
    unsigned_paper = json.loads(blank.newspaper())
    unsigned_paper["Signature"] = ""
    plaza.publish(f"nara/newspaper/{blank.name}", json.dumps(unsigned_paper))
    n_unsigned = 2

    def counted() -> bool:
        after = alice.metrics()
        return (
            dropped(after, "bad_signature") - dropped(before, "bad_signature") >= n_bad
            and dropped(after, "unknown_sender") - dropped(before, "unknown_sender") >= 1
            and dropped(after, "unsigned") - dropped(before, "unsigned") >= n_unsigned
        )

    until(counted, 15, "the forgeries counted in /metrics")

    # Positive controls: the same path accepts what is correctly signed.
    friend = Stranger.new("friend")
    plaza.publish("nara/plaza/hey_there", friend.hey_there().to_json())
    reader = Stranger.new("reader")
    plaza.publish(f"nara/newspaper/{reader.name}", reader.newspaper())
    until(
        lambda: alice.statuses().get(friend.name) == "ONLINE" and reader.name in alice.statuses(),
        15,
        "the correctly signed hey-there and newspaper to create their naras",
    )
    # A chau signed by the wrong key must not take the friend offline.
    fake_chau = {**friend.chau().to_dict(), "sig": key_a.sign_b64(b"nope")}
    plaza.publish("nara/plaza/chau", json.dumps(fake_chau))
    n_bad += 1
    until(
        lambda: (
            dropped(alice.metrics(), "bad_signature") - dropped(before, "bad_signature") >= n_bad
        ),
        15,
        "the forged chau counted",
    )

    after = alice.metrics()
    assert dropped(after, "bad_signature") - dropped(before, "bad_signature") == n_bad
    assert dropped(after, "unsigned") - dropped(before, "unsigned") == n_unsigned
    statuses = alice.statuses()
    assert statuses[friend.name] == "ONLINE"
    assert not set(forged) & set(statuses), statuses
    for forged_name in forged:
        assert alice.get(f"/profile/{forged_name}.json")[0] == 404, forged_name
    assert alice.get(f"/status/{reader.name}.json")[0] == 200


GARBAGE: list[tuple[str, bytes, str]] = [
    ("random bytes", bytes(range(256)) * 4, "invalid_json"),
    ("invalid UTF-8", b'{"From":"\xff\xfe\xfd"}', "invalid_json"),
    ("empty", b"", "invalid_json"),
    ("an array", b"[]", "invalid_schema"),
    ("an empty object", b"{}", "invalid_schema"),
    ("null", b"null", "invalid_schema"),
    ("a number", b"42", "invalid_schema"),
    ("NaN", b'{"ts":NaN}', "invalid_json"),
    ("huge", b'{"From":"' + b"a" * (300 * 1024) + b'"}', "too_large"),
    ("deep arrays", b"[" * 30_000 + b"]" * 30_000, "invalid_json"),
    ("deep objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "invalid_json"),
    (
        "ts as float",
        b'{"id":"0","ts":1.5,"svc":"hey-there","hey_there":{"From":"x","PublicKey":"y"}}',
        "invalid_schema",
    ),
    (
        "ts as string",
        b'{"id":"0","ts":"1","svc":"chau","chau":{"From":"x","PublicKey":"y"}}',
        "invalid_schema",
    ),
]
TOPIC_GARBAGE: dict[str, list[tuple[str, bytes, str]]] = {
    "nara/plaza/howdy": [
        ("Seq as string", b'{"From":"x","To":"alice","Seq":"1","Me":{}}', "invalid_schema"),
        ("Me as list", b'{"From":"x","To":"alice","Seq":1,"Me":[]}', "invalid_schema"),
    ],
    "nara/newspaper/x": [
        ("Status as string", b'{"From":"x","Status":"hi","Signature":"x"}', "invalid_schema"),
        ("Buzz as string", b'{"From":"x","Status":{"Buzz":"9"},"Signature":"x"}', "invalid_schema"),
    ],
    "nara/ledger/alice/request": [
        ("Subjects as string", b'{"From":"x","Subjects":"bob"}', "invalid_schema"),
        ("From as number", b'{"From":7,"Subjects":[]}', "invalid_schema"),
    ],
    "nara/plaza/hey_there": [
        ("svc of the wrong topic", Stranger.new("wrong").chau().to_json(), "invalid_schema"),
    ],
}


RECEIVED_LABELS = [  # /metrics topic labels of the topics below, in order
    "nara/plaza/hey_there",
    "nara/plaza/chau",
    "nara/plaza/howdy",
    "nara/newspaper/+",
    "nara/ledger/+/request",
]


def decode(topic: str, payload: bytes) -> Any:
    if topic == "nara/plaza/hey_there":
        return wire.decode_sync_event(payload, "hey-there")
    if topic == "nara/plaza/chau":
        return wire.decode_sync_event(payload, "chau")
    if topic == "nara/plaza/howdy":
        return wire.decode_howdy(payload)
    if topic.startswith("nara/newspaper/"):
        return wire.decode_newspaper(topic.rsplit("/", 1)[1], payload)
    return wire.decode_ledger_request(payload)


def test_garbage_on_every_topic_is_dropped_and_counted(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """Garbage on every subscribed topic (random bytes, invalid UTF-8, [], {}, null, > 256 KiB,
    wrong types, deep nesting) is dropped and counted by reason; the node keeps serving, creates
    no nara, appends nothing to its ledger and answers nothing."""
    alice = spawn_nara("alice", broker=mosquitto, env=STEADY)
    wait_announced(plaza, alice)
    until(lambda: alice.json("/api/inspector/events")["total"] >= 1, 10, "alice's own hey-there")
    ledger_before = alice.json("/api/inspector/events")["total"]
    before = alice.metrics()
    sent_at = time.monotonic()

    topics = [
        "nara/plaza/hey_there",
        "nara/plaza/chau",
        "nara/plaza/howdy",
        "nara/newspaper/x",
        "nara/ledger/alice/request",
    ]
    expected: dict[str, int] = {}
    for topic in topics:
        for what, payload, reason in GARBAGE + TOPIC_GARBAGE.get(topic, []):
            # Guard the table itself: nara's decoder gives the reason we expect.
            assert decode(topic, payload).reason == reason, f"{what} on {topic}"
            plaza.publish(topic, payload)
            expected[reason] = expected.get(reason, 0) + 1
            assert alice.get("/livez")[0] == 200, f"{what} on {topic}"
    total = sum(expected.values())

    def all_dropped() -> bool:
        after = alice.metrics()
        return sum(dropped(after, r) - dropped(before, r) for r in expected) >= total

    until(all_dropped, 30, f"{total} garbage messages counted as dropped")

    after = alice.metrics()
    for reason, count in expected.items():
        assert dropped(after, reason) - dropped(before, reason) == count, reason
    for topic, label in zip(topics, RECEIVED_LABELS, strict=True):
        sent = len(GARBAGE) + len(TOPIC_GARBAGE.get(topic, []))
        received = [
            metric(m, "nara_messages_received_total", topic=label) or 0 for m in (before, after)
        ]
        assert received[1] - received[0] >= sent, topic
    assert not metric(after, "nara_messages_dropped_total", reason="internal_error")
    assert alice.get("/livez")[0] == 200
    assert alice.get("/readyz")[0] in (200, 503)
    assert set(alice.statuses()) == {"alice"}
    assert alice.json("/api/inspector/events")["total"] == ledger_before
    replies = [
        m
        for m in plaza.messages(since=sent_at)
        if m.topic.endswith("/response")
        or (m.topic == "nara/plaza/howdy" and m.payload.startswith(b'{"From":"alice"'))
    ]
    assert not replies, replies
    assert alice.proc.poll() is None
    assert "Traceback" not in alice.output()


# ---- 6: broker restart ----------------------------------------------------------------------


def test_broker_restart_reconnects_and_reannounces(mosquitto: Broker, spawn_nara: Spawn) -> None:
    """When the broker goes away HTTP keeps answering (/livez 200) while /readyz says 503 (plaza
    down); after the broker returns on the same port the naras reconnect (connects counter +1),
    re-announce with a fresh hey-there, and see each other ONLINE again."""
    naras = start_naras(spawn_nara, ["alice", "bob"], broker=mosquitto, env=STEADY)
    alice, bob = naras
    until(lambda: see_each_other(naras), 30, "alice and bob ONLINE at each other")
    until(lambda: all(n.get("/readyz")[0] == 200 for n in naras), 10, "both ready")

    def hey_theres_about(observer: NaraProcess, subject: str) -> int:
        query = f"/api/inspector/events?service=hey-there&subject={subject}"
        return int(observer.json(query)["total"])

    until(
        lambda: hey_theres_about(alice, "bob") and hey_theres_about(bob, "alice"), 10, "hey-theres"
    )
    heard = {"alice": hey_theres_about(bob, "alice"), "bob": hey_theres_about(alice, "bob")}
    for nara in naras:
        assert metric(nara.metrics(), "nara_plaza_connects_total") == 1

    mosquitto.stop()

    def plaza_down(nara: NaraProcess) -> bool:
        assert nara.get("/livez")[0] == 200  # HTTP keeps answering throughout
        status, body, _ = nara.get("/readyz")
        return status == 503 and json.loads(body)["checks"]["plaza"] is False

    until(lambda: all(plaza_down(n) for n in naras), 15, "/readyz 503 while the broker is down")
    assert all(metric(n.metrics(), "nara_plaza_connected") == 0 for n in naras)

    mosquitto.start()
    restarted_at = time.monotonic()
    probe = Plaza(mosquitto.host, mosquitto.port)  # fresh subscriber, before anyone re-announces
    try:

        def reconnected(nara: NaraProcess) -> bool:
            assert nara.get("/livez")[0] == 200
            return nara.get("/readyz")[0] == 200

        until(
            lambda: all(reconnected(n) for n in naras), 30, "/readyz 200 after the broker returns"
        )
        for nara in naras:
            assert (metric(nara.metrics(), "nara_plaza_connects_total") or 0) >= 2
            wait_announced(probe, nara, since=restarted_at)
        until(
            lambda: (
                hey_theres_about(bob, "alice") > heard["alice"]
                and hey_theres_about(alice, "bob") > heard["bob"]
            ),
            15,
            "each nara's new hey-there in the other's ledger",
        )
        until(lambda: see_each_other(naras), 15, "ONLINE at each other again")
    finally:
        probe.close()


# ---- 7-9: ledger request, howdy, wire format --------------------------------------------------


def test_ledger_request_gets_an_empty_response(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """A ledger request on ``nara/ledger/{name}/request`` is answered on the requester's response
    topic with ``{"From":name,"Events":[]}`` (nara keeps no social events; Go reads [] fine)."""
    alice = spawn_nara("alice", broker=mosquitto)
    wait_announced(plaza, alice)  # subscribed by now: the announce follows the subscriptions
    plaza.publish("nara/ledger/alice/request", b'{"From":"tester","Subjects":["x"]}')
    msg = plaza.wait("nara/ledger/tester/response", what="alice's ledger response")
    assert msg.payload == b'{"From":"alice","Events":[]}'


def test_existing_nara_answers_a_newcomer_with_a_howdy(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """When a new nara says hey-there, one already on the plaza replies on ``nara/plaza/howdy``
    addressed to the newcomer, numbered Seq 1 (the first howdy it gets) and signed over
    ``howdy:{From}:{To}:{Seq}`` with the replier's own key."""
    alice = spawn_nara("alice", broker=mosquitto)
    wait_announced(plaza, alice)
    alice_key = self_entry(alice)["PublicKey"]
    bob = spawn_nara("bob", broker=mosquitto)
    wait_announced(plaza, bob)

    msg = plaza.wait(
        "nara/plaza/howdy",
        lambda m: m.json()["To"] == "bob" and m.json()["From"] == "alice",
        what="alice's howdy to bob",
    )
    howdy = wire.decode_howdy(msg.payload)
    assert isinstance(howdy, wire.Howdy), howdy  # decoding verifies against Me.PublicKey
    assert (howdy.from_, howdy.to, howdy.seq) == ("alice", "bob", 1)
    assert howdy.me.public_key == alice_key
    assert verify_b64(alice_key, b"howdy:alice:bob:1", howdy.signature)
    assert howdy.you.online == "ONLINE"


def test_wire_format_matches_go(mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza) -> None:
    """What a node puts on the real broker is Go's wire format: the hey-there decodes with
    ``decode_sync_event``, keeps the envelope key order of spec §3.2 (id, ts, svc, emitter, sig,
    hey_there; emitter_id omitted), Go-cased payload keys with empty MeshIP and Signature, an
    integer nanosecond ``ts``; the newspaper's signature verifies over the raw Status bytes."""
    started = now_ns()
    alice = spawn_nara("alice", broker=mosquitto)
    identity = self_entry(alice)
    msg = plaza.wait(
        "nara/plaza/hey_there", lambda m: sync_event_from(m, "hey-there", "alice"), what="hey-there"
    )
    event = wire.decode_sync_event(msg.payload, "hey-there")
    assert isinstance(event, SyncEvent), event

    top = json.loads(msg.payload, object_pairs_hook=list)
    assert [k for k, _ in top] == ["id", "ts", "svc", "emitter", "sig", "hey_there"]
    inner = dict(top)["hey_there"]
    assert [k for k, _ in inner] == ["From", "PublicKey", "MeshIP", "ID", "Signature"]
    assert dict(inner) == {
        "From": "alice",
        "PublicKey": identity["PublicKey"],
        "MeshIP": "",
        "ID": identity["ID"],
        "Signature": "",
    }
    assert re.search(rb'"ts":\d{19},', msg.payload), msg.payload[:120]
    assert started <= event.ts <= now_ns()
    assert re.fullmatch(r"[0-9a-f]{32}", event.id) and event.id == event.expected_id()
    assert event.verify(identity["PublicKey"])

    paper_msg = plaza.wait("nara/newspaper/alice", what="alice's newspaper")
    paper = json.loads(paper_msg.payload, object_pairs_hook=list)
    assert [k for k, _ in paper] == ["From", "Status", "Signature"]
    # Find the raw Status value independently of nara's own parser, and verify over it.
    text = paper_msg.payload.decode()
    start = text.index('"Status":') + len('"Status":')
    status_obj, end = json.JSONDecoder().raw_decode(text, start)
    raw_status = text[start:end].encode()
    signature = dict(paper)["Signature"]
    assert verify_b64(identity["PublicKey"], raw_status, signature)
    assert status_obj["PublicKey"] == identity["PublicKey"] and status_obj["Observations"] is None
    decoded = wire.decode_newspaper("alice", paper_msg.payload)
    assert isinstance(decoded, wire.Newspaper), decoded
    assert decoded.status_raw == raw_status
