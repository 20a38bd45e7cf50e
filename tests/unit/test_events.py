"""SyncEvent and payloads: Go JSON shape, ContentString, id and signatures (spec §3.2, §3.3, §7)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nara.core.crypto import SigningKey
from nara.core.events import (
    SVC_CHAU,
    SVC_HEY_THERE,
    SVC_PING,
    SVC_SEEN,
    SVC_SOCIAL,
    Chau,
    HeyThere,
    Observation,
    Payload,
    Ping,
    Seen,
    Social,
    SyncEvent,
    compute_id,
    make_chau,
    make_hey_there,
    make_observation,
    make_social,
    new_event,
)

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "wire_vectors.json").read_text())
JOJO = SigningKey(bytes.fromhex(VECTORS["key"]["seed"]))
OTHER = SigningKey(hashlib.sha256(b"someone else").digest())
NAME = VECTORS["key"]["name"]
NARA_ID = VECTORS["key"]["nara_id"]

TEXT = st.text(max_size=12)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
PAYLOADS: st.SearchStrategy[Payload] = st.one_of(
    st.builds(HeyThere, TEXT, TEXT, TEXT, TEXT, TEXT),
    st.builds(Chau, TEXT, TEXT, TEXT, TEXT),
    st.builds(
        Observation,
        TEXT,
        TEXT,
        TEXT,
        TEXT,
        st.sampled_from(["restart", "first-seen", "status-change", "x"]),
        INT64,
        st.booleans(),
        INT64,
        INT64,
        INT64,
        st.sampled_from(["", "ONLINE", "OFFLINE", "MISSING"]),
        TEXT,
        st.integers(min_value=0, max_value=2**64 - 1),
    ),
    st.builds(
        Social, st.sampled_from(["tease", "gossip", "x"]), TEXT, TEXT, TEXT, TEXT, TEXT, TEXT
    ),
    st.builds(Seen, TEXT, TEXT, TEXT, TEXT, TEXT),
    st.builds(Ping, TEXT, TEXT, TEXT, TEXT, st.floats(allow_nan=False, allow_infinity=False)),
)


def test_hey_there_vector_is_byte_exact() -> None:
    """The §7 hey-there: ContentString, id, signed digest, signature and Go's full JSON bytes."""
    v = VECTORS["hey_there"]
    event = make_hey_there(JOJO, NAME, NARA_ID, v["ts"])
    assert JOJO.public_b64 == VECTORS["key"]["public_key"]
    assert event.content_string() == v["content_string"]
    assert event.id == v["id"] == compute_id(v["ts"], SVC_HEY_THERE, v["content_string"])
    assert event.signed_digest().hex() == v["signed_digest"]
    assert event.sig == v["sig"]
    assert event.to_json() == v["json"].encode()
    assert event.verify(JOJO.public_b64)


def test_chau_vector() -> None:
    """The §7 chau: id and signature."""
    v = VECTORS["chau"]
    event = make_chau(JOJO, NAME, NARA_ID, v["ts"])
    assert event.content_string() == v["content_string"]
    assert (event.id, event.sig) == (v["id"], v["sig"])
    assert event.to_json().endswith(
        b'"chau":{"From":"jojo","PublicKey":"' + JOJO.public_b64.encode() + b'","ID":"'
        b"2gdnSNmnqsnvDoTxnj5PVyupruDnVUCaMH6tdGcpUjqa" + b'","Signature":""}}'
    )


def test_observation_json_is_go_shaped_and_unsigned() -> None:
    """Unsigned observations have no emitter/sig; zero-valued omitempty keys are left out."""
    event = make_observation("jojo", "alice", "first-seen", 1_700_000_000_000_000_000, start_time=5)
    assert not event.is_signed() and event.is_valid()
    assert event.payload == Observation("jojo", "", "alice", "", "first-seen", 3, start_time=5)
    assert event.to_json() == (
        b'{"id":"' + event.id.encode() + b'","ts":1700000000000000000,"svc":"observation",'
        b'"observation":{"observer":"jojo","subject":"alice","type":"first-seen",'
        b'"importance":3,"start_time":5}}'
    )
    change = make_observation("jojo", "bob", "status-change", 1, online_state="MISSING")
    assert change.payload.to_json()["importance"] == 2
    with pytest.raises(ValueError):
        make_observation("jojo", "bob", "nonsense", 1)


def test_content_strings() -> None:
    """ContentString formats from §3.3, including restart dedupe and ping's %.1f."""
    restart = Observation("a", "", "b", "", "restart", 3, start_time=10, restart_num=2)
    assert restart.content_string() == "b:restart:2:10"
    change = Observation("a", "", "b", "", "status-change", 2, online_state="OFFLINE")
    assert change.content_string() == "a:b:status-change:OFFLINE:0:0"
    assert Social("tease", "a", "", "b", "", "random").content_string() == "tease:a:b:random:"
    assert Seen("a", "", "b", "", "mesh").content_string() == "seen:a:b:mesh"
    assert Ping("a", "", "b", "", 12.345).content_string() == "a:b:12.3"
    assert Ping("a", "", "b", "", 0.25).content_string() == "a:b:0.2"  # round-half-even, like Go
    assert HeyThere("a", "k", "100.64.0.1").content_string() == "hey_there:a:k:100.64.0.1"


@pytest.mark.parametrize(
    ("payload", "valid"),
    [
        (HeyThere("a", "k"), True),
        (HeyThere("a", ""), False),
        (Chau("a", ""), True),
        (Chau("", "k"), False),
        (Observation("a", "", "b", "", "restart", 3, start_time=1), True),
        (Observation("a", "", "b", "", "restart", 3, start_time=0), False),
        (Observation("a", "", "b", "", "restart", 3, start_time=1, restart_num=-1), False),
        (Observation("a", "", "b", "", "first-seen", 4, start_time=1), False),
        (Observation("", "", "b", "", "first-seen", 3, start_time=1), False),
        (Observation("a", "", "b", "", "status-change", 2, online_state="ONLINE"), True),
        (Observation("a", "", "b", "", "status-change", 2, online_state="BUSY"), False),
        (Observation("a", "", "b", "", "other", 2), False),
        (Social("tease", "a", "", "b", "", ""), True),
        (Social("hug", "a", "", "b", "", ""), False),
        (Social("tease", "a", "", "", "", ""), False),
        (Seen("a", "", "b", "", "mesh"), True),
        (Seen("a", "", "b", "", ""), False),
        (Ping("a", "", "b", "", 1.5), True),
        (Ping("a", "", "b", "", 0.0), False),
    ],
)
def test_payload_validity(payload: Payload, valid: bool) -> None:
    """Validity rules per kind (Go's IsValid), and the envelope adds svc/ts checks."""
    assert payload.is_valid() is valid
    event = new_event(payload.SVC, payload, 1)
    assert event.is_valid() is valid
    assert not replace(event, ts=0).is_valid()
    assert not replace(event, svc=SVC_SEEN if payload.SVC != SVC_SEEN else SVC_PING).is_valid()


@settings(deadline=None)
@given(PAYLOADS, INT64)
def test_every_payload_round_trips_through_json(payload: Payload, ts: int) -> None:
    """to_json → JSON text → from_json gives the same event, signed or not."""
    for key in (None, JOJO):
        event = new_event(payload.SVC, payload, ts, key, "emitter" if key else "")
        back = SyncEvent.from_json(json.loads(event.to_json()))
        assert back == event
        assert back.id == event.expected_id()


def test_signatures_verify_only_with_the_right_key_and_content() -> None:
    """Any change to a signed field (id, ts, svc, emitter, content) breaks the signature."""
    event = make_hey_there(JOJO, NAME, NARA_ID, 42)
    assert event.is_signed() and event.verify(JOJO.public_b64)
    assert not event.verify(OTHER.public_b64)
    assert not event.verify("not base64!")
    for tampered in (
        replace(event, id="0" * 32),
        replace(event, ts=43),
        replace(event, emitter="mallory"),
        replace(event, payload=HeyThere(NAME, JOJO.public_b64, "100.64.0.9", NARA_ID)),
    ):
        assert not tampered.verify(JOJO.public_b64)
    unsigned = replace(event, sig="")
    assert not unsigned.is_signed() and not unsigned.verify(JOJO.public_b64)


def test_new_event_guards() -> None:
    """The payload must belong to the svc, and a signature needs an emitter."""
    with pytest.raises(ValueError):
        new_event(SVC_CHAU, HeyThere("a", "k"), 1)
    with pytest.raises(ValueError):
        new_event(SVC_HEY_THERE, HeyThere("a", "k"), 1, JOJO, "")
    social = make_social(JOJO, "jojo", "observation", "jojo", "bob", "offline", 7)
    assert social.verify(JOJO.public_b64) and social.emitter == "jojo"


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda d: d.update(ts=1.0), "float ts"),
        (lambda d: d.update(ts=True), "bool ts"),
        (lambda d: d.update(ts=2**63), "ts beyond int64"),
        (lambda d: d.update(ts="1"), "string ts"),
        (lambda d: d.pop("id"), "missing id"),
        (lambda d: d.update(svc="checkpoint"), "unsupported svc"),
        (lambda d: d.pop("hey_there"), "missing payload"),
        (lambda d: d.update(hey_there=[]), "payload not an object"),
        (lambda d: d["hey_there"].update(From=1), "From not a string"),
        (lambda d: d["hey_there"].update(from_=d["hey_there"].pop("From")), "wrong key casing"),
        (lambda d: d.update(Svc=d.pop("svc")), "wrong envelope casing"),
    ],
)
def test_from_json_rejects_wrong_shapes(mutate: object, why: str) -> None:
    """Exact casing and types; anything else is a ValueError (a drop, never a guess)."""
    d = json.loads(VECTORS["hey_there"]["json"])
    mutate(d)  # type: ignore[operator]
    with pytest.raises(ValueError):
        SyncEvent.from_json(d)


def test_missing_optional_payload_keys_take_zero_values() -> None:
    """An older peer without ID/MeshIP still parses (Go leaves zero values)."""
    d = {"id": "x", "ts": 1, "svc": "hey-there", "hey_there": {"From": "a", "PublicKey": "k"}}
    assert SyncEvent.from_json(d).payload == HeyThere("a", "k")
    d = {"id": "x", "ts": 1, "svc": "ping", "emitter": None, "ping": {"rtt": 3}}
    assert SyncEvent.from_json(d).payload == Ping("", "", "", "", 3.0)


def test_subjects_and_status_effects_follow_the_projection_table() -> None:
    """§4.1: who each event is about, and what status it asserts for whom."""
    obs = make_observation("o", "s", "status-change", 1, online_state="MISSING")
    restart = make_observation("o", "s", "restart", 1, start_time=1)
    cases = [
        (make_hey_there(JOJO, "a", "", 1), ("a",), (("a", "ONLINE"),)),
        (make_chau(JOJO, "a", "", 1), ("a",), (("a", "OFFLINE"),)),
        (new_event(SVC_SEEN, Seen("o", "", "s", "", "mesh"), 1), ("s",), (("s", "ONLINE"),)),
        (obs, ("s",), (("s", "MISSING"),)),
        (restart, ("s",), (("s", "ONLINE"),)),
        (
            new_event(SVC_SOCIAL, Social("tease", "a", "", "t", "", "r"), 1),
            ("a", "t"),
            (("a", "ONLINE"),),
        ),
        (
            new_event(SVC_PING, Ping("o", "", "t", "", 1.0), 1),
            ("o", "t"),
            (("o", "ONLINE"), ("t", "ONLINE")),
        ),
    ]
    for event, subjects, effects in cases:
        assert event.subjects() == subjects
        assert event.status_effects() == effects


def test_ui_format_lines() -> None:
    """Timeline wording matches the Go UIFormat (SSE example in §5)."""
    assert make_hey_there(JOJO, "jojo", "", 1).ui_format() == {
        "icon": "👋",
        "text": "jojo joined the network",
        "detail": "hey there!",
    }
    assert make_chau(JOJO, "jojo", "", 1).ui_format() == {
        "icon": "👋",
        "text": "jojo left the network",
        "detail": "chau!",
    }

    def ui(obs_type: str, restart_num: int = 0, online_state: str = "") -> dict[str, str]:
        event = make_observation(
            "o", "s", obs_type, 1, restart_num=restart_num, online_state=online_state
        )
        line = event.ui_format()
        assert line is not None
        return line

    assert ui("restart", restart_num=4) == {
        "icon": "🔄",
        "text": "s restarted",
        "detail": "restart #4",
    }
    assert ui("restart", restart_num=1)["detail"] == "first restart"
    assert ui("first-seen") == {"icon": "✨", "text": "s appeared", "detail": "new nara spotted"}
    for state, icon in (("ONLINE", "🟢"), ("MISSING", "❓"), ("OFFLINE", "🔴")):
        assert ui("status-change", online_state=state)["icon"] == icon
    tease = new_event(SVC_SOCIAL, Social("tease", "a", "", "b", "", "high-restarts"), 1)
    assert tease.ui_format() == {"icon": "😈", "text": "a → b", "detail": "high-restarts"}
    seen = new_event(SVC_SEEN, Seen("a", "", "b", "", "mesh"), 1).ui_format()
    assert seen is not None and seen["text"] == "a spotted b"
    ping = new_event(SVC_PING, Ping("a", "", "b", "", 3.25), 1).ui_format()
    assert ping is not None and ping["detail"] == "3.2ms"
