"""Go's own encoding/json and crypto/ed25519 judge nara's plaza bytes (spec §0, §2.3, §3, §4.4).

We cannot run the reference nara, but we can run Go's standard library. ``go/main.go`` mirrors
the reference's wire structs as the spec describes them and is built once per module. It decodes
strictly (unknown keys rejected, key spelling checked exactly, Go's integer types), verifies
signatures exactly as §3.1 says, recomputes SyncEvent ids, and re-marshals with ``json.Marshal``:
byte equality with nara's output means a Go peer reads and signs the very same bytes.
The other way round, Go-encoded messages must decode in nara and re-encode to Go's bytes.

Debian's Go is 1.19; the reference uses 1.25. Go 1.22 changed ``\\b``/``\\f`` to short escapes,
so the oracle rewrites those two escapes when built with an older Go (see ``modernEscapes``).
If Go disagrees with nara here, nara has a wire bug: the test must stay red until nara is fixed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nara.core import gojson
from nara.core.crypto import SigningKey
from nara.core.events import SVC_CHAU, SVC_HEY_THERE, make_chau, make_hey_there, make_social
from nara.core.identity import Identity, determine_identity
from nara.core.protocol import TOPIC_HOWDY, Node, NodeSettings, Publish
from nara.core.selfstatus import Sensors
from nara.core.wire import (
    Aura,
    Coordinates,
    Dropped,
    HostStats,
    NaraObservation,
    NaraStatus,
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
    status_from_json,
)

GO_DIR = Path(__file__).parent / "go"
VECTORS = json.loads((Path(__file__).parents[1] / "data" / "wire_vectors.json").read_text())
NS = 1_000_000_000
T0 = 1_700_000_000 * NS
SENSORS = Sensors(
    host_uptime_s=86_400, load=0.257, rss_mb=42, tasks=7, gc_count=3, cpu_percent=1.2345
)


# ---- the Go oracle -------------------------------------------------------------------------


@dataclass(frozen=True)
class GoWire:
    binary: Path
    version: str

    def _run(self, mode: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stdin = "".join(json.dumps(line) + "\n" for line in lines).encode()
        proc = subprocess.run([str(self.binary), mode], input=stdin, capture_output=True)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        out = [json.loads(line) for line in proc.stdout.splitlines()]
        assert len(out) == len(lines), proc.stderr.decode(errors="replace")
        return out

    def decode(self, items: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
        """Go's verdict on each (kind, raw bytes); ``remarshal`` is Go's re-encoding as bytes."""
        lines = [{"kind": k, "raw": base64.b64encode(raw).decode()} for k, raw in items]
        results = self._run("decode", lines)
        for r in results:
            for key in ("remarshal", "status_remarshal"):
                r[key] = base64.b64decode(r.get(key) or "")
        return results

    def encode(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = self._run("encode", lines)
        for line, r in zip(lines, results, strict=True):
            assert not r.get("error"), f"Go could not encode {line}: {r['error']}"
            if "raw" in r:
                r["raw"] = base64.b64decode(r["raw"])
        return results


@pytest.fixture(scope="module")
def gowire(tmp_path_factory: pytest.TempPathFactory) -> GoWire:
    """Build ``go/main.go`` once, offline: stdlib only, no toolchain download, no module proxy."""
    go = shutil.which("go")
    if go is None:
        pytest.fail("the Go toolchain is missing: install golang-go (make test does)")
    work = tmp_path_factory.mktemp("gowire")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "TMPDIR": str(work),
        "GOCACHE": str(work / "cache"),
        "GOPATH": str(work / "gopath"),
        "GOENV": str(work / "goenv"),  # ignore any user-level `go env -w` settings
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "-buildvcs=false",
        "GOWORK": "off",
        "GO111MODULE": "on",
        "CGO_ENABLED": "0",  # no C compiler needed
    }
    binary = work / "naragowire"
    build = subprocess.run(
        [go, "build", "-o", str(binary), "."], cwd=GO_DIR, env=env, capture_output=True
    )
    assert build.returncode == 0, f"go build failed:\n{build.stderr.decode(errors='replace')}"
    version = subprocess.run([str(binary), "version"], capture_output=True, check=True)
    return GoWire(binary, version.stdout.decode().strip())


def first_difference(ours: bytes, go: bytes) -> str:
    i = next(
        (k for k, (a, b) in enumerate(zip(ours, go, strict=False)) if a != b),
        min(len(ours), len(go)),
    )
    lo = max(0, i - 60)
    return (
        f"first difference at byte {i}:\n  nara: {ours[lo : i + 60]!r}\n  Go:   {go[lo : i + 60]!r}"
    )


def assert_go_agrees(result: dict[str, Any], raw: bytes, *, signed: bool = True) -> None:
    """Go decoded ``raw`` strictly, the signature (if any) verifies, ids match, bytes round-trip."""
    assert result["ok"], (
        f"Go {result['go_version']} rejected nara's bytes: {result['error']}\n  {raw[:300]!r}"
    )
    if signed:
        assert result["verified"], "Go could not verify nara's signature"
    assert result["id_matches"], "Go computes another id for this content"
    if result["status_remarshal"]:  # newspapers: the signed Status value on its own
        status_raw = gojson.parse_object_spans(raw)[1]["Status"]
        assert result["status_roundtrip_equal"], "Status: " + first_difference(
            status_raw, result["status_remarshal"]
        )
    assert result["roundtrip_equal"], first_difference(raw, result["remarshal"])


# ---- nara side fixtures --------------------------------------------------------------------


def ident(name: str) -> Identity:
    fingerprint = hashlib.sha256(f"test-hardware-{name}".encode()).digest()
    return determine_identity(name, "", "host", fingerprint)


def make_node(name: str, seed: int) -> Node:
    return Node(ident(name), NodeSettings(missing_after_s=300), random.Random(seed), T0)


def publishes(commands: list[Any], topic: str | None = None) -> list[Publish]:
    return [c for c in commands if isinstance(c, Publish) and (topic is None or c.topic == topic)]


def announce(n: Node, now: int) -> list[Any]:
    n.on_connected(now)
    return n.tick(now + 6 * NS, SENSORS)


@pytest.fixture
def neighbourhood() -> tuple[Node, int, list[Publish]]:
    """alice has met bob and carol (so her Observations map has three entries) and, a few
    seconds later, published her howdy replies; returns (alice, now, howdys)."""
    alice, bob, carol = make_node("alice", 1), make_node("bob", 2), make_node("carol", 3)
    announce(alice, T0)
    for other in (bob, carol):
        for p in publishes(announce(other, T0)):
            alice.on_message(p.topic, p.payload, T0 + 7 * NS)
    now = T0 + 12 * NS
    return alice, now, publishes(alice.tick(now, SENSORS), TOPIC_HOWDY)


# ---- the oracle itself is faithful ---------------------------------------------------------


def test_go_oracle_reproduces_the_reference_vectors(gowire: GoWire) -> None:
    """The Go mirror writes §7's hey-there byte for byte and chau's signature, and re-marshals
    the §2.3 newspaper Status exactly: its struct layout is the reference's, so its verdicts count.
    """
    key = VECTORS["key"]
    base = {"seed_hex": key["seed"], "name": key["name"], "id": key["nara_id"]}
    hey, chau = gowire.encode(
        [
            {"kind": "hey_there", "ts": VECTORS["hey_there"]["ts"], **base},
            {"kind": "chau", "ts": VECTORS["chau"]["ts"], **base},
        ]
    )
    assert hey["raw"] == VECTORS["hey_there"]["json"].encode()
    chau_event = json.loads(chau["raw"])
    assert (chau_event["id"], chau_event["sig"]) == (VECTORS["chau"]["id"], VECTORS["chau"]["sig"])
    spec_status = VECTORS["spec_newspaper_status"].encode()
    go_status = VECTORS["go_status"]["raw"].encode()
    for result, raw in zip(
        gowire.decode([("status", spec_status), ("status", go_status)]),
        (spec_status, go_status),
        strict=True,
    ):
        assert_go_agrees(result, raw, signed=False)


def test_go_rejects_what_a_go_peer_would_drop(gowire: GoWire) -> None:
    """The oracle is strict: a float in an integer field (§0.5), wrong key casing, an unknown
    key, a tampered signature and a foreign id are each caught."""
    event = make_hey_there(SigningKey(bytes(32)), "jojo", "id", T0)
    good = event.to_json()
    moved = replace(event, ts=T0 + 1)
    wrong_sig = replace(moved, id=moved.expected_id()).to_json()  # new ts and id, old signature
    foreign_id = replace(event, id="0" * 32).to_json()
    status = encode_status(NaraStatus(chattiness=5))
    results = gowire.decode(
        [
            ("hey_there", good),
            ("hey_there", good.replace(b'"From"', b'"from"')),
            ("hey_there", good.replace(b'"MeshIP":""', b'"MeshIP":"","Extra":1')),
            ("status", status.replace(b'"Chattiness":5', b'"Chattiness":5.0')),
            ("hey_there", wrong_sig),
            ("hey_there", foreign_id),
        ]
    )
    assert results[0]["ok"] and results[0]["verified"] and results[0]["id_matches"]
    assert "should be spelled" in results[1]["error"]
    assert "unknown field" in results[2]["error"]
    assert "cannot unmarshal number 5.0" in results[3]["error"]
    assert results[4]["ok"] and results[4]["id_matches"] and not results[4]["verified"]
    assert results[5]["ok"] and not results[5]["id_matches"]


def test_go_escapes_and_float_formatting_match_nara(gowire: GoWire) -> None:
    """Every string/float encoding vector in tests/data (derived from Go's rules, not run) is
    what Go actually writes, and nara's encoder agrees with Go on each."""
    floats = VECTORS["go_floats"]
    strings = VECTORS["go_strings"]
    results = gowire.encode(
        [{"kind": "float", "value": text} for text, _ in floats]
        + [{"kind": "string", "value": text} for text, _ in strings]
    )
    expected = [want for _, want in floats] + [want for _, want in strings]
    ours = [gojson.format_float(float(text)) for text, _ in floats]
    ours += [gojson.dumps(text).decode() for text, _ in strings]
    assert [r["json"] for r in results] == expected
    assert ours == expected


# ---- (a) nara's encoders → Go ---------------------------------------------------------------


def test_nara_hey_there_and_chau_decode_in_go(gowire: GoWire) -> None:
    """Signed hey-there/chau SyncEvents from nara's constructors verify in Go with the payload's
    key (§3.2), carry the id Go computes, and re-marshal to the same bytes, awkward names too."""
    jojo = ident("jojo")
    key = jojo.signing_key()
    messages = [
        ("hey_there", make_hey_there(key, jojo.name, jojo.nara_id, T0 + 123).to_json()),
        ("hey_there", make_hey_there(key, "zoë<&>💎\u2028", "x", T0, "100.64.0.7").to_json()),
        ("chau", make_chau(key, jojo.name, jojo.nara_id, T0 + 300 * NS).to_json()),
        ("chau", make_chau(key, "tab\there", "", T0).to_json()),
    ]
    for (_, raw), result in zip(messages, gowire.decode(messages), strict=True):
        assert_go_agrees(result, raw)


def test_nara_newspaper_from_a_real_node_decodes_in_go(
    gowire: GoWire, neighbourhood: tuple[Node, int, list[Publish]]
) -> None:
    """A live Node's newspaper: Go reads Status strictly, verifies the signature over the raw
    Status bytes (§3.4) and re-marshals both the Status and the whole envelope byte for byte."""
    alice, now, _ = neighbourhood
    status = alice.own_status(now, with_observations=False)
    raw = encode_newspaper(alice.key, alice.name, status)
    published = publishes(alice.tick(now + 400 * NS, SENSORS), "nara/newspaper/alice")
    assert published, "alice should have published a newspaper after 400 s"
    messages = [("newspaper", raw), ("newspaper", published[0].payload)]
    for (_, body), result in zip(messages, gowire.decode(messages), strict=True):
        assert_go_agrees(result, body)
        assert b'"Observations":null' in body


def test_nara_howdy_with_observations_decodes_in_go(
    gowire: GoWire, neighbourhood: tuple[Node, int, list[Publish]]
) -> None:
    """Howdys carry ``Me`` with the full Observations map (self and neighbours) and typed
    ``You``/``Neighbors``; Go verifies "howdy:{From}:{To}:{Seq}" with Me.PublicKey (§3.5)."""
    alice, now, howdys = neighbourhood
    assert howdys, "alice should have answered the newcomers with howdys"
    me = alice.own_status(now, with_observations=True)
    assert me.observations is not None and {"alice", "bob", "carol"} <= set(me.observations)
    bob = alice.neighbourhood.get("bob")
    assert bob is not None
    direct = encode_howdy(alice.key, "alice", "bob", 1, bob.observation(), (), me)
    messages = [("howdy", direct)] + [("howdy", p.payload) for p in howdys]
    for (_, raw), result in zip(messages, gowire.decode(messages), strict=True):
        assert_go_agrees(result, raw)
    assert any(b'"Neighbors":[{' in p.payload for p in howdys)


def test_nara_ledger_messages_decode_in_go(gowire: GoWire) -> None:
    """Ledger responses are legacy SocialEvents (Timestamp in ns, ids Go would recompute);
    an empty answer and a request round-trip too."""
    key = ident("jojo").signing_key()
    tease = make_social(key, "jojo", "tease", "jojo", "bob", "high-restarts", T0)
    offline = make_social(None, "", "observation", "jojo", "zoë<&>", "offline", T0 + 5, witness="w")
    messages = [
        ("ledger_response", encode_ledger_response("jojo", [tease, offline])),
        ("ledger_response", encode_ledger_response("jojo", [])),
        ("ledger_request", encode_ledger_request("jojo", ["bob", "zoë<&>"])),
        ("ledger_request", encode_ledger_request("jojo", [])),
    ]
    for (_, raw), result in zip(messages, gowire.decode(messages), strict=True):
        assert_go_agrees(result, raw, signed=False)


# ---- (b) Go's encoder → nara -----------------------------------------------------------------


def test_go_messages_decode_in_nara_and_reencode_to_gos_bytes(gowire: GoWire) -> None:
    """What a Go nara writes (awkward Status values, sorted maps, \\u2028, 1e-7, max uint64)
    decodes and verifies in nara, and nara's encoders reproduce Go's bytes exactly (Ed25519 is
    deterministic, so even the signatures match)."""
    gopher = ident("gopher")
    key = gopher.signing_key()
    base = {"seed_hex": gopher.soul.seed.hex(), "name": gopher.name, "id": gopher.nara_id}
    paper, hey, chau, howdy, request = gowire.encode(
        [
            {"kind": "newspaper", **base},
            {"kind": "hey_there", "ts": T0 + 42, "mesh_ip": "100.64.0.9", **base},
            {"kind": "chau", "ts": T0 + 43, **base},
            {"kind": "howdy", **base},
            {"kind": "ledger_request", **base},
        ]
    )

    news = decode_newspaper("gopher", paper["raw"])
    assert not isinstance(news, Dropped), news
    s = news.status
    assert s.flair == "💎🌸<b>&\u2028🧁⛵️" and s.observations is None
    assert (s.host_stats.uptime, s.host_stats.num_gc) == (2**64 - 1, 2**32 - 1)
    assert s.host_stats.proc_cpu_percent == 0.1 + 0.2
    assert s.coordinates == Coordinates(x=1e-7, y=-0.0004, height=0.00001, error=1e21)
    assert s.transport_mode == "mqtt"
    assert s.event_store_by_service == {"hey-there": 2, "observation": 1}
    reencoded = encode_status(status_from_json(gojson.loads(news.status_raw)))  # type: ignore[arg-type]
    assert reencoded == news.status_raw, first_difference(reencoded, news.status_raw)
    ours = encode_newspaper(key, "gopher", s)
    assert ours == paper["raw"], first_difference(ours, paper["raw"])

    ours_hey = make_hey_there(key, "gopher", gopher.nara_id, T0 + 42, "100.64.0.9").to_json()
    ours_chau = make_chau(key, "gopher", gopher.nara_id, T0 + 43).to_json()
    for msg, svc, ours in ((hey, SVC_HEY_THERE, ours_hey), (chau, SVC_CHAU, ours_chau)):
        event = decode_sync_event(msg["raw"], svc)
        assert not isinstance(event, Dropped), event
        assert event.verify(gopher.public_key)
        assert ours == msg["raw"], first_difference(ours, msg["raw"])

    h = decode_howdy(howdy["raw"])
    assert not isinstance(h, Dropped), h
    assert h.me.observations is not None and list(h.me.observations) == [
        "Bob",
        "alice",
        "gopher",
        "zoë",
    ]
    assert h.you == NaraObservation(
        restarts=1, start_time=1690000000, online="ONLINE", last_seen=1700000000
    )
    ours = encode_howdy(key, h.from_, h.to, h.seq, h.you, h.neighbors, h.me)
    assert ours == howdy["raw"], first_difference(ours, howdy["raw"])

    req = decode_ledger_request(request["raw"])
    assert not isinstance(req, Dropped), req
    assert req.subjects == ("bob", "zoë<&>", "gopher")
    ours = encode_ledger_request(req.from_, req.subjects)
    assert ours == request["raw"], first_difference(ours, request["raw"])


# ---- (c) random statuses: nara encode → Go decode + re-marshal -----------------------------

INT64 = st.integers(-(2**63), 2**63 - 1)
UINT64 = st.integers(0, 2**64 - 1)
UINT32 = st.integers(0, 2**32 - 1)
# Surrogates (category Cs) are excluded: they cannot occur in a str decoded from UTF-8, and Go
# has no such runes (nara writes them as \ufffd, which Go re-marshals as a raw U+FFFD).
CHARS = st.characters(exclude_categories=["Cs"])
AWKWARD = ["<b>&", "\u2028\u2029", "💎🌸⛵️", "\x00\x01\x1f\x7f", "\b\f\n\r\t", '"\\', "\ufffd", "é"]
TEXT = st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(CHARS, max_size=6)), max_size=3).map(
    "".join
)
FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e-5, max_value=1e-5),
    st.floats(min_value=1e19, max_value=1e23),
    st.sampled_from([1e-7, 1e-6, 9.999999999999999e-7, 1e21, 1e20, 5e-324, -0.0, 0.1 + 0.2]),
)
OBSERVATIONS = st.builds(
    NaraObservation,
    restarts=INT64,
    total_uptime=INT64,
    start_time=INT64,
    online=TEXT,
    last_seen=INT64,
    last_restart=INT64,
    cluster_name=TEXT,
    cluster_emoji=TEXT,
    last_ping_rtt=FLOATS,
    avg_ping_rtt=FLOATS,
    last_ping_time=INT64,
)
STATUSES = st.builds(
    NaraStatus,
    license_plate=TEXT,
    flair=TEXT,
    host_stats=st.builds(
        HostStats,
        uptime=UINT64,
        load_avg=FLOATS,
        mem_alloc_mb=UINT64,
        mem_sys_mb=UINT64,
        mem_heap_mb=UINT64,
        mem_stack_mb=UINT64,
        num_goroutines=INT64,
        num_gc=UINT32,
        proc_cpu_percent=FLOATS,
    ),
    chattiness=INT64,
    buzz=INT64,
    observations=st.none() | st.dictionaries(TEXT, OBSERVATIONS, max_size=3),
    trend=TEXT,
    trend_emoji=TEXT,
    personality=st.builds(Personality, INT64, INT64, INT64),
    aura=st.builds(Aura, TEXT, TEXT),
    version=TEXT,
    public_url=TEXT,
    public_key=TEXT,
    id=TEXT,
    mesh_enabled=st.booleans(),
    mesh_ip=TEXT,
    coordinates=st.none() | st.builds(Coordinates, FLOATS, FLOATS, FLOATS, FLOATS),
    transport_mode=TEXT,
    event_store_total=INT64,
    event_store_by_service=st.none() | st.dictionaries(TEXT, INT64, max_size=3),
    event_store_critical=INT64,
    memory_mode=TEXT,
    memory_budget_mb=INT64,
    memory_max_events=INT64,
    stash_stored=INT64,
    stash_bytes=INT64,
    stash_confidants=INT64,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(STATUSES, min_size=1, max_size=30))
def test_random_statuses_round_trip_through_go(gowire: GoWire, statuses: list[NaraStatus]) -> None:
    """Any NaraStatus nara encodes (floats tiny/huge/-0, strings with <>&, U+2028, emoji and
    control characters, integers across each Go type's range) is read by Go's strict decoder and
    re-marshalled to identical bytes: the bytes nara signs are the bytes Go would produce."""
    raws = [encode_status(s) for s in statuses]
    results = gowire.decode([("status", raw) for raw in raws])
    for raw, result in zip(raws, results, strict=True):
        assert_go_agrees(result, raw, signed=False)


# ---- checkpoints: proposals, votes and finals as a Go nara builds and checks them ------------


def _checkpoint(gowire: GoWire, line: dict[str, Any]) -> dict[str, Any]:
    result = gowire._run("checkpoint", [line])[0]
    assert not result.get("error"), result["error"]
    for key in ("proposal", "final"):
        result[key] = base64.b64decode(result.get(key) or "")
    result["votes"] = [base64.b64decode(v) for v in result.get("votes") or []]
    return result


def test_go_checkpoint_messages_verify_in_nara_and_reencode_to_gos_bytes(gowire: GoWire) -> None:
    """Go's encoding/json and crypto/ed25519 build a proposal, five approving votes and the final
    (§2.3, §3.6); nara decodes each, verifies every attestation, stores the final, and writes
    byte for byte what Go wrote."""
    from nara.core import checkpoints as cps
    from nara.core.checkpoints import CheckpointBook
    from nara.core.events import SyncEvent

    naras = [ident(n) for n in ("alice", "bob", "carol", "dave", "erin", "frank")]
    values = {"restarts": 3, "total_uptime": 86400, "start_time": 1690000000}
    made = _checkpoint(
        gowire,
        {
            "op": "make",
            "seeds_hex": [n.soul.seed.hex() for n in naras],
            "ids": [n.nara_id for n in naras],
            "names": [n.name for n in naras],
            "subject": "alice",
            "subject_id": naras[0].nara_id,
            "values": values,
            "as_of": T0 // NS,
            "ts": T0 + 61 * NS,
            "previous": "",
        },
    )
    keys = {n.nara_id: n.public_key for n in naras}
    proposal = cps.decode_proposal(made["proposal"])
    assert isinstance(proposal, cps.Proposal)
    assert proposal.attestation.verify(naras[0].public_key)
    assert proposal.to_json() == made["proposal"]
    for raw, voter in zip(made["votes"], naras[1:], strict=True):
        vote = cps.decode_vote(raw)
        assert isinstance(vote, cps.Vote) and vote.approved
        assert vote.attestation.verify(voter.public_key)
        assert vote.to_json() == raw
    final = cps.decode_final(made["final"])
    assert isinstance(final, SyncEvent), final
    assert final.to_json() == made["final"]
    stored = CheckpointBook().verify(final, keys.get, T0 + 61 * NS)
    assert isinstance(stored, cps.Stored) and stored.verified_count == 6


def test_nara_checkpoint_messages_verify_in_go(gowire: GoWire) -> None:
    """nara's own proposal, votes (by the node's voting path) and final decode in Go's structs,
    re-encode to the same bytes, and every signature verifies with Go's crypto/ed25519."""
    from nara.core import checkpoints as cps
    from nara.core.checkpoints import CheckpointBook, Trinity

    naras = [ident(n) for n in ("alice", "bob", "carol", "dave", "erin", "frank")]
    book = CheckpointBook()
    now = T0 + 5 * NS
    values = Trinity(2, 3600, 1690000000)
    proposal = book.propose(
        naras[0].signing_key(), "alice", naras[0].nara_id, values, 1, now, 60 * NS
    )
    votes = []
    for voter in naras[1:]:
        att = cps.Attestation(
            2, "alice", naras[0].nara_id, values, voter.name, voter.nara_id, "", now // NS
        ).signed(voter.signing_key())
        vote = cps.Vote(att, now // NS, 1, True)
        votes.append(vote)
        book.add_vote(vote, cps.MIN_VOTERS, len(naras) - 1)
    cp = book.consensus(cps.MIN_VOTERS, lambda name: 0)
    assert cp is not None and len(cp.voter_ids) == 6
    final = cps.final_event(cp, now + 60 * NS)
    result = _checkpoint(
        gowire,
        {
            "op": "verify",
            "proposal": base64.b64encode(proposal.to_json()).decode(),
            "votes": [base64.b64encode(v.to_json()).decode() for v in votes],
            "final": base64.b64encode(final.to_json()).decode(),
            "keys": {n.nara_id: n.public_key for n in naras},
        },
    )
    assert result["proposal_ok"]
    assert result["votes_ok"] == [True] * 5
    assert result["final_id_ok"]
    assert result["final_valid"] == 6
    assert result["roundtrips_ok"]


# ---- social SyncEvents (teases on nara/plaza/social) -----------------------------------------


def _decode_social(gowire: GoWire, raw: bytes, public_key: str) -> dict[str, Any]:
    line = {"kind": "social", "raw": base64.b64encode(raw).decode(), "public_key": public_key}
    [result] = gowire._run("decode", [line])
    result["remarshal"] = base64.b64decode(result.get("remarshal") or "")
    result["status_remarshal"] = b""
    return result


def test_nara_tease_verifies_in_go_with_the_emitters_known_key(gowire: GoWire) -> None:
    """Our tease (a signed social SyncEvent) decodes strictly in Go's SocialEventPayload shape,
    its id is Go's, and Go's socialHandler check (VerifyWithKey of the emitter) passes; under
    another key it fails."""
    jojo = ident("jojo")
    key = jojo.signing_key()
    tease = make_social(
        key, "jojo", "tease", "jojo", "zoë<&>", "comeback", T0 + 7, actor_id=jojo.nara_id
    )
    result = _decode_social(gowire, tease.to_json(), key.public_b64)
    assert_go_agrees(result, tease.to_json())
    other = ident("other").signing_key().public_b64
    assert not _decode_social(gowire, tease.to_json(), other)["verified"]


def test_go_tease_verifies_in_nara_and_reencodes_to_gos_bytes(gowire: GoWire) -> None:
    """A social SyncEvent as Go marshals it verifies in nara with the emitter's key, and nara's
    constructor reproduces Go's bytes (Ed25519 is deterministic)."""
    gopher = ident("gopher")
    key = gopher.signing_key()
    [out] = gowire.encode(
        [
            {
                "kind": "social",
                "seed_hex": gopher.soul.seed.hex(),
                "name": gopher.name,
                "id": gopher.nara_id,
                "ts": T0 + 9,
            }
        ]
    )
    decoded = decode_sync_event(out["raw"], "social", key_lookup=lambda _i, _e: key.public_b64)
    assert not isinstance(decoded, Dropped), decoded
    assert decoded.verify(key.public_b64)
    ours = make_social(
        key,
        gopher.name,
        "tease",
        gopher.name,
        "zoë<&>",
        "comeback",
        T0 + 9,
        actor_id=gopher.nara_id,
    )
    ours = replace(ours, emitter_id=gopher.nara_id)  # not signed over (§3.2)
    assert ours.to_json() == out["raw"]


# ---- world journeys: hop chains as a Go nara signs and checks them (world.go:48-147) ---------


def _journey(gowire: GoWire, line: dict[str, Any]) -> dict[str, Any]:
    result = gowire._run("journey", [line])[0]
    assert not result.get("error"), result["error"]
    return result


def test_go_journey_chain_verifies_in_nara_byte_for_byte(gowire: GoWire) -> None:
    """Go's encoding/json and crypto/ed25519 sign a three-hop journey (HTML-escaped message and
    all); nara decodes the completion, re-encodes Go's bytes exactly, verifies every hop, and
    marks every hop bad once the message or an earlier stamp is changed."""
    from dataclasses import replace

    from nara.core import gojson, journeys

    naras = [ident(n) for n in ("bob", "carol", "alice")]
    made = _journey(
        gowire,
        {
            "op": "make",
            "seeds": [n.soul.seed.hex() for n in naras],
            "names": [n.name for n in naras],
            "id": "Zm9vYmFyYmF6cXV4MTIzNA==",
            "message": 'hola <mundo> & "amigos" 🌍',
            "ts": T0 // NS,
        },
    )
    raw = base64.b64decode(made["completion"])
    c = journeys.decode_completion(raw)
    assert isinstance(c, journeys.Completion), c
    assert gojson.dumps(c.to_json()) == raw
    keys = {n.name: n.public_key for n in naras}
    view = journeys.view(c, 0, keys.get)
    assert view["verified"] and view["complete"], view
    tampered = replace(c, message="adios")
    assert [journeys.check_hop(tampered, i, keys.get)[0] for i in range(3)] == ["bad"] * 3
    first = replace(c.hops[0], stamp="🍄")
    restamped = replace(c, hops=(first, *c.hops[1:]))
    marks = [journeys.check_hop(restamped, i, keys.get)[0] for i in range(3)]
    assert marks == ["verified", "bad", "bad"]  # later hops signed the earlier stamp


def test_nara_journey_chain_verifies_in_go(gowire: GoWire) -> None:
    """A chain nara signs with its own JSON and keys verifies hop by hop in Go; a tampered one
    does not."""
    from nara.core import gojson
    from tests.unit.test_journeys import chain

    nodes = {n: make_node(n, i) for i, n in enumerate(("bob", "carol", "alice"))}
    c = chain({n: x.key for n, x in nodes.items()}, ["bob", "carol", "alice"], "hi <&> 🌍")
    keys = {n: x.identity.public_key for n, x in nodes.items()}
    raw = gojson.dumps(c.to_json())
    ok = _journey(
        gowire, {"op": "verify", "completion": base64.b64encode(raw).decode(), "keys": keys}
    )
    assert ok["hops_ok"] == [True, True, True]
    bad = raw.replace(b"hi ", b"yo ")
    result = _journey(
        gowire, {"op": "verify", "completion": base64.b64encode(bad).decode(), "keys": keys}
    )
    assert result["hops_ok"] == [False, False, False]
