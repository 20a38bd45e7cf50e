"""Plaza codecs: hey-there/chau, newspaper, howdy, ledger and NaraStatus (spec §2.3, §3, §4.4)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from nara.core import gojson
from nara.core.crypto import SigningKey, verify_b64
from nara.core.events import (
    SVC_CHAU,
    SVC_HEY_THERE,
    SVC_SOCIAL,
    Chau,
    HeyThere,
    Social,
    SyncEvent,
    make_chau,
    make_hey_there,
    make_observation,
    make_social,
    new_event,
)
from nara.core.wire import (
    MAX_PAYLOAD_BYTES,
    Aura,
    Coordinates,
    Dropped,
    DropReason,
    HostStats,
    Howdy,
    HowdyNeighbor,
    LedgerRequest,
    NaraObservation,
    NaraStatus,
    Newspaper,
    Personality,
    decode_howdy,
    decode_ledger_request,
    decode_newspaper,
    decode_sync_event,
    encode_howdy,
    encode_ledger_request,
    encode_ledger_response,
    encode_newspaper,
    encode_status,
    howdy_message,
    status_from_json,
    status_to_dict,
)

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "wire_vectors.json").read_text())
JOJO = SigningKey(bytes.fromhex(VECTORS["key"]["seed"]))
OTHER = SigningKey(hashlib.sha256(b"someone else").digest())
NARA_ID = VECTORS["key"]["nara_id"]

STATUS = NaraStatus(
    flair="💎🌸 <3",
    host_stats=HostStats(uptime=1234, load_avg=0.25, num_goroutines=40, num_gc=7),
    chattiness=50,
    buzz=10,
    personality=Personality(36, 86, 82),
    aura=Aura("#1E7257", "#8877E8"),
    version="0.2.0",
    public_key=JOJO.public_b64,
    id=NARA_ID,
    coordinates=Coordinates(0.0004, -0.0002, 1e-5, 1.0),
    transport_mode="mqtt",
    event_store_total=3,
    event_store_by_service={"observation": 1, "hey-there": 2},
)


def dropped(result: object, reason: DropReason) -> bool:
    return isinstance(result, Dropped) and result.reason is reason


# --- hey-there / chau -----------------------------------------------------------------------


def test_drop_reasons_are_prometheus_label_values() -> None:
    assert [r.value for r in DropReason] == [
        "too_large",
        "invalid_json",
        "invalid_schema",
        "bad_signature",
        "unsigned",
        "invalid_event",
        "key_mismatch",
        "invalid_name",
        "oversized_field",
        "clock_skew",
        "replay",
        "duplicate",
        "unknown_sender",
        "not_online",
        "rate_limited",
        "roster_full",
        "impersonation",
        "checkpoint_short",
        "checkpoint_unverified",
        "unknown_subject",
    ]


def test_go_hey_there_vector_decodes_and_verifies() -> None:
    """The exact bytes a Go node publishes are accepted and equal our own construction."""
    v = VECTORS["hey_there"]
    decoded = decode_sync_event(v["json"].encode(), SVC_HEY_THERE)
    assert decoded == make_hey_there(JOJO, "jojo", NARA_ID, v["ts"])


def test_chau_round_trip() -> None:
    event = make_chau(JOJO, "jojo", NARA_ID, VECTORS["chau"]["ts"])
    assert decode_sync_event(event.to_json(), SVC_CHAU) == event


def _resign(event: SyncEvent, key: SigningKey) -> SyncEvent:
    return replace(event, sig=key.sign_b64(event.signed_digest()))


def test_signed_field_tampering_is_bad_signature() -> None:
    """Changing id, ts, emitter or any content field after signing → BAD_SIGNATURE."""
    good = json.loads(VECTORS["hey_there"]["json"])
    edits = [
        ("id", "0" * 32),
        ("ts", good["ts"] + 1),
        ("emitter", "mallory"),
        ("sig", OTHER.sign_b64(b"x")),
    ]
    for key, value in edits:
        d = json.loads(VECTORS["hey_there"]["json"])
        d[key] = value
        assert dropped(decode_sync_event(gojson.dumps(d), SVC_HEY_THERE), DropReason.BAD_SIGNATURE)
    for key, value in [
        ("From", "mallory"),
        ("MeshIP", "100.64.0.1"),
        ("PublicKey", OTHER.public_b64),
    ]:
        d = json.loads(VECTORS["hey_there"]["json"])
        d["hey_there"][key] = value
        assert dropped(decode_sync_event(gojson.dumps(d), SVC_HEY_THERE), DropReason.BAD_SIGNATURE)


def test_unsigned_and_misattributed_presence_is_dropped() -> None:
    """Stricter than Go: unsigned hey-there/chau never create a nara; emitter must be From."""
    event = make_hey_there(JOJO, "jojo", NARA_ID, 5)
    for unsigned in (replace(event, sig=""), replace(event, emitter="", sig="")):
        assert dropped(decode_sync_event(unsigned.to_json(), SVC_HEY_THERE), DropReason.UNSIGNED)
    other_emitter = _resign(replace(event, emitter="bob"), JOJO)
    assert dropped(
        decode_sync_event(other_emitter.to_json(), SVC_HEY_THERE), DropReason.INVALID_EVENT
    )
    # Signed by a key other than the one it carries: a forgery.
    forged = _resign(event, OTHER)
    assert dropped(decode_sync_event(forged.to_json(), SVC_HEY_THERE), DropReason.BAD_SIGNATURE)
    chau = replace(make_chau(JOJO, "jojo", NARA_ID, 5), sig="")
    assert dropped(decode_sync_event(chau.to_json(), SVC_CHAU), DropReason.UNSIGNED)
    no_key = make_chau(JOJO, "jojo", NARA_ID, 5)
    no_key = _resign(replace(no_key, payload=Chau("jojo", "", NARA_ID)), JOJO)
    no_key = replace(no_key, id=no_key.expected_id())
    assert dropped(decode_sync_event(no_key.to_json(), SVC_CHAU), DropReason.BAD_SIGNATURE)


def test_self_chosen_id_is_rejected() -> None:
    """A signer may not pick an id unrelated to the content (ledger dedupe poisoning)."""
    event = make_hey_there(JOJO, "jojo", NARA_ID, 5)
    chosen = _resign(replace(event, id="f" * 32), JOJO)
    assert dropped(decode_sync_event(chosen.to_json(), SVC_HEY_THERE), DropReason.INVALID_EVENT)


def test_envelope_schema_errors() -> None:
    """Wrong svc for the topic, wrong types and wrong casing are INVALID_SCHEMA."""
    hey = VECTORS["hey_there"]["json"]
    assert dropped(decode_sync_event(hey.encode(), SVC_CHAU), DropReason.INVALID_SCHEMA)
    for bad in (
        hey.replace('"ts":1700000000123456789', '"ts":1700000000123456789.0'),
        hey.replace('"ts":1700000000123456789', '"ts":true'),
        hey.replace('"ts":1700000000123456789', '"ts":17000000001234567890'),
        hey.replace('"From"', '"from"'),
        hey.replace('"svc"', '"Svc"'),
        "[1, 2]",
        '"just a string"',
    ):
        assert dropped(decode_sync_event(bad.encode(), SVC_HEY_THERE), DropReason.INVALID_SCHEMA)


def test_envelope_size_and_syntax_errors() -> None:
    hey = VECTORS["hey_there"]["json"].encode()
    big = hey[:-1] + b',"pad":"' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    assert dropped(decode_sync_event(big, SVC_HEY_THERE), DropReason.TOO_LARGE)
    for bad in (b"", b"{", hey + b"x", b"\xff\xfe", hey.replace(b"jojo", b"\xc3(")):
        assert dropped(decode_sync_event(bad, SVC_HEY_THERE), DropReason.INVALID_JSON)
    event = make_hey_there(JOJO, "jojo", NARA_ID, 5)
    invalid = replace(event, payload=HeyThere("", JOJO.public_b64, "", NARA_ID))
    assert dropped(decode_sync_event(invalid.to_json(), SVC_HEY_THERE), DropReason.INVALID_EVENT)


def test_whitespace_and_key_order_do_not_matter_for_events() -> None:
    """Signatures cover the digest, not the bytes, so re-spaced JSON still verifies."""
    d = json.loads(VECTORS["hey_there"]["json"])
    spaced = json.dumps(dict(reversed(list(d.items()))), indent=2).encode()
    assert isinstance(decode_sync_event(spaced, SVC_HEY_THERE), SyncEvent)


def test_other_services_verify_when_the_key_is_known() -> None:
    """Social: unsigned accepted; signed checked against the key the caller looks up."""
    social = make_social(JOJO, "jojo", "tease", "jojo", "bob", "random", 9)
    raw = social.to_json()
    assert decode_sync_event(raw, SVC_SOCIAL) == social
    assert decode_sync_event(raw, SVC_SOCIAL, key_lookup=lambda _i, _n: JOJO.public_b64) == social
    assert decode_sync_event(raw, SVC_SOCIAL, key_lookup=lambda _i, _n: None) == social
    wrong = decode_sync_event(raw, SVC_SOCIAL, key_lookup=lambda _i, _n: OTHER.public_b64)
    assert dropped(wrong, DropReason.BAD_SIGNATURE)
    unsigned = new_event(SVC_SOCIAL, Social("tease", "a", "", "b", "", ""), 9)
    assert decode_sync_event(unsigned.to_json(), SVC_SOCIAL) == unsigned
    obs = make_observation("a", "b", "first-seen", 3, start_time=1)
    assert decode_sync_event(obs.to_json(), "observation") == obs


# --- NaraStatus ------------------------------------------------------------------------------


def test_status_encodes_like_the_spec_example() -> None:
    """The §2.3 newspaper Status, byte for byte: Go order, integral HostStats, height 0.00001."""
    status = NaraStatus(
        flair="x",
        host_stats=HostStats(uptime=1234, load_avg=0.25),
        chattiness=50,
        buzz=10,
        personality=Personality(36, 86, 82),
        aura=Aura("#1E7257", "#8877E8"),
        version="0.2.0",
        public_key=JOJO.public_b64,
        id=NARA_ID,
        coordinates=Coordinates(0, 0, 0.00001, 1),
        transport_mode="mqtt",
    )
    assert encode_status(status) == VECTORS["spec_newspaper_status"].encode()


def test_status_omitempty_and_maps() -> None:
    """Observations is always written (null or sorted map); tagged extras are omitempty."""
    d = status_to_dict(NaraStatus())
    assert d["Observations"] is None
    assert list(d)[-1] == "MeshIP"  # coordinates … stash_* all omitted when empty
    full = status_to_dict(
        replace(
            STATUS,
            observations={"zed": NaraObservation(online="ONLINE"), "amy": NaraObservation()},
            memory_mode="short",
            memory_budget_mb=64,
            memory_max_events=100,
            event_store_critical=1,
            stash_stored=1,
            stash_bytes=2,
            stash_confidants=3,
        )
    )
    observations = full["Observations"]
    assert isinstance(observations, dict) and list(observations) == ["amy", "zed"]
    assert observations == {"amy": {}, "zed": {"online": "ONLINE"}}
    assert full["event_store_by_service"] == {"hey-there": 2, "observation": 1}
    assert list(full)[16:] == [
        "coordinates",
        "transport_mode",
        "event_store_total",
        "event_store_by_service",
        "event_store_critical",
        "memory_mode",
        "memory_budget_mb",
        "memory_max_events",
        "stash_stored",
        "stash_bytes",
        "stash_confidants",
    ]


def test_status_reader_types_follow_go() -> None:
    """Ints where Go has floats are fine; floats/bools where Go has ints, or out of range, fail."""
    base = json.loads(VECTORS["spec_newspaper_status"])
    assert status_from_json(base).coordinates == Coordinates(0.0, 0.0, 1e-5, 1.0)
    assert status_from_json({}) == NaraStatus()
    assert status_from_json({"Observations": None, "Flair": None}) == NaraStatus()
    bad_edits = [
        ("Chattiness", 50.0),
        ("Buzz", True),
        ("Flair", 3),
        ("MeshEnabled", 1),
        ("HostStats", {"Uptime": -1}),
        ("HostStats", {"NumGC": 2**32}),
        ("HostStats", {"MemAllocMB": 1.5}),
        ("Personality", {"Chill": "82"}),
        ("Aura", "#fff"),
        ("coordinates", {"x": "0"}),
        ("Observations", {"a": 1}),
        ("Observations", {"a": {"restarts": 1.0}}),
        ("event_store_by_service", {"seen": 1.5}),
        ("Observations", []),
    ]
    for key, value in bad_edits:
        with pytest.raises(ValueError):
            status_from_json({**base, key: value})
    with pytest.raises(ValueError):
        status_from_json([])  # type: ignore[arg-type]
    lenient = status_from_json({**base, "HostStats": {"LoadAvg": 1, "Uptime": 2**64 - 1}})
    assert lenient.host_stats == HostStats(uptime=2**64 - 1, load_avg=1.0)
    obs = status_from_json({"Observations": {"a": None, "b": {"last_ping_rtt": 3}}}).observations
    assert obs == {"a": NaraObservation(), "b": NaraObservation(last_ping_rtt=3.0)}


def test_observation_json_is_all_omitempty() -> None:
    obs = NaraObservation(restarts=3, start_time=1690000000, online="ONLINE", avg_ping_rtt=1.5)
    assert obs.to_json() == {
        "restarts": 3,
        "start_time": 1690000000,
        "online": "ONLINE",
        "avg_ping_rtt": 1.5,
    }
    assert NaraObservation.from_json(obs.to_json()) == obs
    assert NaraObservation().to_json() == {}
    assert NaraObservation.from_json(None) == NaraObservation()


# --- newspaper -------------------------------------------------------------------------------


def test_newspaper_round_trip_signs_exact_status_bytes() -> None:
    """Status bytes are built once, signed, spliced; Observations forced to null."""
    status = replace(STATUS, observations={"bob": NaraObservation(online="ONLINE")})
    raw = encode_newspaper(JOJO, "jojo", status)
    expected_status = encode_status(replace(status, observations=None))
    assert raw == (
        b'{"From":"jojo","Status":'
        + expected_status
        + b',"Signature":"'
        + JOJO.sign_b64(expected_status).encode()
        + b'"}'
    )
    paper = decode_newspaper("jojo", raw)
    assert paper == Newspaper(
        "jojo", replace(status, observations=None), expected_status, JOJO.sign_b64(expected_status)
    )
    assert b"\\u003c3" in expected_status  # Go escapes '<'


def test_go_style_status_verifies_over_raw_bytes() -> None:
    """A Go-written Status (\\u0026, \\u003c, 0.00001, raw emoji) verifies over its raw bytes,
    whatever the envelope's key order and whitespace; our encoder reproduces those bytes."""
    status_raw = VECTORS["go_status"]["raw"].encode()
    sig = VECTORS["go_status"]["signature"]
    assert verify_b64(JOJO.public_b64, status_raw, sig)
    envelope = (
        b' {\n  "Signature" : "' + sig.encode() + b'",\n  "Status" :  ' + status_raw + b" ,"
        b'\n  "From": "somebody-else"\n}\n'
    )
    paper = decode_newspaper("jojo", envelope)
    assert isinstance(paper, Newspaper)
    assert paper.sender == "jojo" and paper.status_raw == status_raw
    assert paper.status.flair == "<3 💎🌸"
    assert paper.status.coordinates == Coordinates(0.0004, -0.0002, 0.00001, 1.0)
    assert encode_status(paper.status) == status_raw


def test_newspaper_drops() -> None:
    """Stricter than Go: missing or bad signatures drop; schema problems are INVALID_SCHEMA."""
    raw = encode_newspaper(JOJO, "jojo", STATUS)
    d = json.loads(raw)
    tampered = raw.replace(b'"Buzz":10', b'"Buzz":11')
    assert dropped(decode_newspaper("jojo", tampered), DropReason.BAD_SIGNATURE)
    assert dropped(
        decode_newspaper("jojo", gojson.dumps({**d, "Signature": ""})), DropReason.UNSIGNED
    )
    no_sig = gojson.dumps({"From": "jojo", "Status": d["Status"]})
    assert dropped(decode_newspaper("jojo", no_sig), DropReason.UNSIGNED)
    other_key = encode_newspaper(OTHER, "jojo", replace(STATUS, public_key=OTHER.public_b64))
    swapped = other_key.replace(OTHER.public_b64.encode(), JOJO.public_b64.encode())
    assert dropped(decode_newspaper("jojo", swapped), DropReason.BAD_SIGNATURE)
    keyless = encode_newspaper(JOJO, "jojo", STATUS).replace(JOJO.public_b64.encode(), b"")
    assert dropped(decode_newspaper("jojo", keyless), DropReason.BAD_SIGNATURE)
    for bad in (
        gojson.dumps({"From": "jojo", "Signature": "x"}),
        gojson.dumps({**d, "Status": "nope"}),
        gojson.dumps({**d, "From": 7}),
        gojson.dumps({**d, "Signature": 7}),
        raw.replace(b'"Chattiness":50', b'"Chattiness":50.0'),
    ):
        assert dropped(decode_newspaper("jojo", bad), DropReason.INVALID_SCHEMA)
    assert dropped(decode_newspaper("", raw), DropReason.INVALID_EVENT)
    assert dropped(decode_newspaper("jojo", raw[:-1]), DropReason.INVALID_JSON)
    with pytest.raises(ValueError):
        encode_newspaper(OTHER, "jojo", STATUS)  # would never verify at the receiver


# --- howdy -----------------------------------------------------------------------------------


def test_howdy_vector_and_round_trip() -> None:
    """§7 howdy signature; Go field order; Me keeps its Observations; decode gives it back."""
    v = VECTORS["howdy"]
    assert howdy_message(v["from"], v["to"], v["seq"]) == v["message"].encode()
    me = replace(STATUS, observations={"alice": NaraObservation(online="ONLINE", last_seen=5)})
    you = NaraObservation(restarts=3, start_time=1690000000, online="ONLINE")
    neighbours = (
        HowdyNeighbor(
            "bob", OTHER.public_b64, "100.64.0.7", "bob-id", NaraObservation(last_seen=9)
        ),
    )
    raw = encode_howdy(JOJO, "jojo", "alice", 1, you, neighbours, me)
    d = json.loads(raw)
    assert list(d) == ["From", "To", "Seq", "You", "Neighbors", "Me", "Signature"]
    assert d["Signature"] == v["sig"]
    assert list(d["Neighbors"][0]) == ["Name", "PublicKey", "MeshIP", "ID", "Observation"]
    assert d["Me"]["Observations"] == {"alice": {"online": "ONLINE", "last_seen": 5}}
    assert decode_howdy(raw) == Howdy("jojo", "alice", 1, you, neighbours, me, v["sig"])


def test_howdy_with_null_neighbors_and_tampering() -> None:
    raw = encode_howdy(JOJO, "jojo", "alice", 2, NaraObservation(), (), STATUS)
    assert b'"Neighbors":null' in raw
    howdy = decode_howdy(raw)
    assert isinstance(howdy, Howdy) and howdy.neighbors == () and howdy.seq == 2
    d = json.loads(raw)
    for key, value in (("From", "mallory"), ("To", "bob"), ("Seq", 3)):
        assert dropped(decode_howdy(gojson.dumps({**d, key: value})), DropReason.BAD_SIGNATURE)
    assert dropped(decode_howdy(gojson.dumps({**d, "Signature": ""})), DropReason.UNSIGNED)
    assert dropped(decode_howdy(gojson.dumps({**d, "From": ""})), DropReason.INVALID_EVENT)
    bad: list[tuple[str, object]] = [("Seq", "2"), ("Me", None), ("Neighbors", [1]), ("You", 5)]
    for key, bad_value in bad:
        assert dropped(decode_howdy(gojson.dumps({**d, key: bad_value})), DropReason.INVALID_SCHEMA)
    float_seq = raw.replace(b'"Seq":2,', b'"Seq":2.0,')
    assert dropped(decode_howdy(float_seq), DropReason.INVALID_SCHEMA)
    with pytest.raises(ValueError):
        encode_howdy(OTHER, "jojo", "alice", 2, NaraObservation(), (), STATUS)


# --- ledger ----------------------------------------------------------------------------------


def test_ledger_request_and_response() -> None:
    """Request parses From/Subjects (null ok); response is Go's legacy SocialEvent list."""
    raw = encode_ledger_request("alice", ["bob", "jojo"])
    assert raw == b'{"From":"alice","Subjects":["bob","jojo"]}'
    assert decode_ledger_request(raw) == LedgerRequest("alice", ("bob", "jojo"))
    assert decode_ledger_request(b'{"From":"alice","Subjects":null}') == LedgerRequest("alice", ())
    for bad in (b'{"From":"alice","Subjects":[1]}', b'{"From":1}', b'{"Subjects":[]}'):
        assert dropped(decode_ledger_request(bad), DropReason.INVALID_SCHEMA)
    assert dropped(decode_ledger_request(b'{"From":""}'), DropReason.INVALID_EVENT)
    assert encode_ledger_response("jojo", []) == b'{"From":"jojo","Events":[]}'
    tease = make_social(JOJO, "jojo", "tease", "jojo", "bob", "high-restarts", 1700000000000000000)
    assert encode_ledger_response("jojo", [tease]) == (
        b'{"From":"jojo","Events":[{"ID":"' + tease.id.encode() + b'",'
        b'"Timestamp":1700000000000000000,"Type":"tease","Actor":"jojo","Target":"bob",'
        b'"Reason":"high-restarts","Witness":"","Signature":""}]}'
    )
    with pytest.raises(ValueError):
        encode_ledger_response("jojo", [make_chau(JOJO, "jojo", NARA_ID, 1)])
