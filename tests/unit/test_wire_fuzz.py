"""Property tests: hostile bytes never crash a decoder, and every message type round-trips.

Decoders sit on a public broker; anything may arrive. Each must return either a ``Dropped``
with a real reason (never the "unexpected" safety net, which would mean a decoder bug) or a
fully valid, verified object.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nara.core.crypto import SigningKey, verify_b64
from nara.core.events import PAYLOAD_TYPES, SyncEvent, make_chau, make_hey_there
from nara.core.status import encode_status
from nara.core.wire import (
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
    encode_newspaper,
    howdy_message,
    status_from_json,
)

KEYS = [SigningKey(hashlib.sha256(bytes([i])).digest()) for i in range(3)]
SVCS = sorted(PAYLOAD_TYPES)
FUZZ = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
ROUND = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])

# Every key any decoder looks at, so random objects often hit real fields with wrong values.
VOCAB = [
    *("id", "ts", "svc", "emitter", "emitter_id", "sig", "hey_there", "chau", "social"),
    *("observation", "seen", "ping", "From", "PublicKey", "MeshIP", "ID", "Signature", "To"),
    *("Seq", "You", "Neighbors", "Me", "Status", "Subjects", "Name", "Observation", "type"),
    *("importance", "start_time", "restart_num", "observer", "subject", "via", "rtt", "actor"),
    *("target", "LicensePlate", "Flair", "HostStats", "Uptime", "LoadAvg", "NumGC", "Buzz"),
    *("Chattiness", "Observations", "Personality", "Chill", "Aura", "primary", "coordinates"),
    *("x", "height", "transport_mode", "event_store_by_service", "MeshEnabled", "restarts"),
    *("online", "last_ping_rtt"),
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**66)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from([*SVCS, "restart", "status-change", "tease", ""])
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(VOCAB) | st.text(max_size=4), inner, max_size=6)
    ),
    max_leaves=30,
)

DECODERS: list[Callable[[bytes], object]] = [
    *(lambda raw, svc=svc: decode_sync_event(raw, svc) for svc in SVCS),
    lambda raw: decode_sync_event(raw, "social", key_lookup=lambda _i, _n: KEYS[0].public_b64),
    lambda raw: decode_newspaper("jojo", raw),
    decode_howdy,
    decode_ledger_request,
]


def _dump(value: object) -> bytes:
    # Python's json may write NaN/Infinity; those must be rejected as invalid JSON.
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def check_outcome(result: object) -> None:
    """Either a proper drop or a valid, verified message."""
    if isinstance(result, Dropped):
        assert isinstance(result.reason, DropReason)
        assert not result.detail.startswith("unexpected"), result.detail
        assert "\n" not in result.detail and len(result.detail) <= 100
    elif isinstance(result, SyncEvent):
        assert result.is_valid() and result.id == result.expected_id()
    elif isinstance(result, Newspaper):
        assert verify_b64(result.status.public_key, result.status_raw, result.signature)
    elif isinstance(result, Howdy):
        message = howdy_message(result.from_, result.to, result.seq)
        assert verify_b64(result.me.public_key, message, result.signature)
    else:
        assert isinstance(result, LedgerRequest) and result.from_


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_never_crash_any_decoder(raw: bytes) -> None:
    for decode in DECODERS:
        check_outcome(decode(raw))


@FUZZ
@given(JSONISH)
def test_random_json_never_crashes_any_decoder(value: object) -> None:
    raw = _dump(value)
    for decode in DECODERS:
        check_outcome(decode(raw))


@functools.cache
def _valid_messages() -> list[bytes]:
    status = NaraStatus(public_key=KEYS[0].public_b64, coordinates=Coordinates(1, 2, 3, 4))
    return [
        make_hey_there(KEYS[0], "jojo", "id", 1700000000000000000).to_json(),
        make_chau(KEYS[0], "jojo", "id", 1700000000000000000).to_json(),
        encode_newspaper(KEYS[0], "jojo", status),
        encode_howdy(
            KEYS[0],
            "jojo",
            "alice",
            1,
            NaraObservation(restarts=1),
            (HowdyNeighbor("bob", "k", "", "i", NaraObservation()),),
            replace(status, observations={"bob": NaraObservation(online="ONLINE")}),
        ),
        encode_ledger_request("alice", ["bob"]),
    ]


def _mutate(doc: Any, path: list[int], value: object) -> Any:
    """Replace one node (chosen by ``path`` indices) anywhere in a parsed message."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    k = keys[path[0] % len(keys)]
    doc[k] = _mutate(doc[k], path[1:], value)
    return doc


@FUZZ
@given(
    st.sampled_from(range(5)),
    st.lists(st.integers(min_value=0, max_value=50), max_size=5),
    JSONISH,
)
def test_mutated_valid_messages_never_crash(which: int, path: list[int], value: object) -> None:
    """One field of a real message replaced by anything: drop or (still) valid, never a crash."""
    doc = _mutate(json.loads(_valid_messages()[which]), path, value)
    raw = _dump(doc)
    for decode in DECODERS:
        check_outcome(decode(raw))


@FUZZ
@given(st.sampled_from(range(5)), st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_flipped_bytes_never_crash(which: int, pos: int, byte: int) -> None:
    raw = bytearray(_valid_messages()[which])
    raw[pos % len(raw)] = byte
    for decode in DECODERS:
        check_outcome(decode(bytes(raw)))


# --- round trips ----------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=10)  # no lone surrogates
I64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
U64 = st.integers(min_value=0, max_value=2**64 - 1)
FLOAT = st.floats(allow_nan=False, allow_infinity=False)
OBSERVATIONS = st.builds(
    NaraObservation, I64, I64, I64, TEXT, I64, I64, TEXT, TEXT, FLOAT, FLOAT, I64
)
STATUSES = st.builds(
    NaraStatus,
    license_plate=TEXT,
    flair=TEXT,
    host_stats=st.builds(
        HostStats,
        U64,
        FLOAT,
        U64,
        U64,
        U64,
        U64,
        I64,
        st.integers(min_value=0, max_value=2**32 - 1),
        FLOAT,
    ),
    chattiness=I64,
    buzz=I64,
    observations=st.none() | st.dictionaries(TEXT, OBSERVATIONS, max_size=3),
    trend=TEXT,
    personality=st.builds(Personality, I64, I64, I64),
    aura=st.builds(Aura, TEXT, TEXT),
    version=TEXT,
    public_key=st.just(KEYS[1].public_b64),
    id=TEXT,
    mesh_enabled=st.booleans(),
    mesh_ip=TEXT,
    coordinates=st.none() | st.builds(Coordinates, FLOAT, FLOAT, FLOAT, FLOAT),
    transport_mode=TEXT,
    event_store_total=I64,
    event_store_by_service=st.none() | st.dictionaries(TEXT, I64, min_size=1, max_size=3),
    memory_mode=TEXT,
    stash_bytes=I64,
)


@ROUND
@given(STATUSES)
def test_status_round_trips(status: NaraStatus) -> None:
    assert status_from_json(json.loads(encode_status(status))) == status


@ROUND
@given(STATUSES, TEXT.filter(bool))
def test_newspaper_round_trips(status: NaraStatus, sender: str) -> None:
    raw = encode_newspaper(KEYS[1], sender, status)
    paper = decode_newspaper(sender, raw)
    assert isinstance(paper, Newspaper)
    assert paper.status == replace(status, observations=None)
    assert paper.status_raw == encode_status(replace(status, observations=None))


@ROUND
@given(
    TEXT.filter(bool),
    TEXT,
    I64,
    OBSERVATIONS,
    st.lists(st.builds(HowdyNeighbor, TEXT, TEXT, TEXT, TEXT, OBSERVATIONS), max_size=3),
    STATUSES,
)
def test_howdy_round_trips(
    from_: str,
    to: str,
    seq: int,
    you: NaraObservation,
    neighbours: list[HowdyNeighbor],
    me: NaraStatus,
) -> None:
    raw = encode_howdy(KEYS[1], from_, to, seq, you, neighbours, me)
    howdy = decode_howdy(raw)
    assert isinstance(howdy, Howdy)
    assert (howdy.from_, howdy.to, howdy.seq, howdy.you) == (from_, to, seq, you)
    assert howdy.neighbors == tuple(neighbours) and howdy.me == me


@ROUND
@given(TEXT.filter(bool), TEXT, TEXT, st.integers(min_value=1, max_value=2**63 - 1))
def test_presence_events_round_trip(name: str, nara_id: str, mesh_ip: str, ts: int) -> None:
    hey = make_hey_there(KEYS[2], name, nara_id, ts, mesh_ip)
    assert decode_sync_event(hey.to_json(), "hey-there") == hey
    chau = make_chau(KEYS[2], name, nara_id, ts)
    assert decode_sync_event(chau.to_json(), "chau") == chau


@ROUND
@given(TEXT.filter(bool), st.lists(TEXT, max_size=5))
def test_ledger_request_round_trips(from_: str, subjects: list[str]) -> None:
    raw = encode_ledger_request(from_, subjects)
    assert decode_ledger_request(raw) == LedgerRequest(from_, tuple(subjects))
