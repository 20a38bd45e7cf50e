"""The hostile message classes of the soak harness (bench/soak.py), generated from one seed.

Every class is a function ``(ctx, rng, count) -> iterator of Msg``. A ``Msg`` knows its topic, its
bytes and whether the node *must* drop it (``must_drop``): by construction (an invalid name, a
zero timestamp, a forged key) or because nara's own wire decoder rejects it. Everything else may
be accepted or dropped, but never silently lost, never stored with a hostile value, and never
echoed onto the plaza.

Hostile text carries ``MARKER`` so the harness can search the node's API and its published
messages for it. Values that a careful node may legitimately keep (a sybil's ordinary name, a
fuzzed but validly signed field) do not carry it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final

import base58

from nara.core import gojson, wire
from nara.core.crypto import SigningKey
from nara.core.events import (
    SVC_CHAU,
    SVC_HEY_THERE,
    Chau,
    HeyThere,
    SyncEvent,
    compute_id,
)
from nara.core.gojson import RawJSON
from nara.core.status import HostStats, NaraObservation, NaraStatus, encode_status, status_to_dict

MARKER: Final = "HOSTILE"
NS: Final = 1_000_000_000
INT64_MAX: Final = (1 << 63) - 1
UINT64_MAX: Final = (1 << 64) - 1
FORGED_LOG_LINE: Final = b"INFO    nara: forged log line"
TEN_YEARS_NS: Final = 10 * 365 * 24 * 3600 * NS

TOPIC_HEY: Final = "nara/plaza/hey_there"
TOPIC_CHAU: Final = "nara/plaza/chau"
TOPIC_HOWDY: Final = "nara/plaza/howdy"
TOPIC_NEWSPAPER: Final = "nara/newspaper/"


@dataclass(frozen=True)
class Msg:
    cls: str
    topic: str
    payload: bytes
    must_drop: bool


@dataclass
class Ctx:
    """What generators need to know about the run."""

    node: str
    now_ns: Callable[[], int]
    honest_name: str  # the honest peer that stays ONLINE (its values must not change)
    honest_key_b64: str
    honest_id: str
    replayed: list[tuple[str, bytes]]  # (topic, payload) captured from the peer that said chau
    replayed_name: str
    hypothesis_values: list[object]
    seed: int
    chau_after_future: set[str] = field(default_factory=set)  # filled by gen_time

    def ledger_topic(self) -> str:
        return f"nara/ledger/{self.node}/request"


# ---- identities and signed messages (built by hand: hostile names must not be refused) -------


@dataclass(frozen=True)
class Peer:
    name: str
    key: SigningKey
    nara_id: str


def new_peer(rng: random.Random, name: str) -> Peer:
    seed = rng.randbytes(32)
    return Peer(name, SigningKey(seed), base58.b58encode(hashlib.sha256(seed).digest()).decode())


def signed_event(peer: Peer, svc: str, ts: int, emitter: str | None = None) -> bytes:
    """A hey-there or chau from ``peer``, signed with its key: exactly what ``new_event`` does,
    without its argument checks (a hostile name is the point here)."""
    payload: HeyThere | Chau
    if svc == SVC_HEY_THERE:
        payload = HeyThere(
            from_=peer.name, public_key=peer.key.public_b64, mesh_ip="", id=peer.nara_id
        )
    else:
        payload = Chau(from_=peer.name, public_key=peer.key.public_b64, id=peer.nara_id)
    event = SyncEvent(
        compute_id(ts, svc, payload.content_string()),
        ts,
        svc,
        peer.name if emitter is None else emitter,
        "",
        "",
        payload,
    )
    if event.emitter:
        event = replace(event, sig=base64.b64encode(peer.key.sign(event.signed_digest())).decode())
    return event.to_json()


def status_of(peer: Peer, **changes: Any) -> NaraStatus:
    base = NaraStatus(
        flair="🧪",
        chattiness=50,
        version="0.3.0",
        public_key=peer.key.public_b64,
        id=peer.nara_id,
        transport_mode="mqtt",
    )
    return replace(base, **changes)


def newspaper(peer: Peer, status: NaraStatus | None = None) -> bytes:
    status_bytes = encode_status(status or status_of(peer))
    return signed_newspaper(peer, status_bytes)


def signed_newspaper(peer: Peer, status_bytes: bytes) -> bytes:
    signature = base64.b64encode(peer.key.sign(status_bytes)).decode()
    return gojson.dumps(
        {"From": peer.name, "Status": RawJSON(status_bytes), "Signature": signature}
    )


def howdy(
    peer: Peer,
    to: str,
    seq: int,
    you: dict[str, object],
    neighbours: list[dict[str, object]] | None,
    me: dict[str, object],
) -> bytes:
    message = f"howdy:{peer.name}:{to}:{seq}".encode()
    return gojson.dumps(
        {
            "From": peer.name,
            "To": to,
            "Seq": seq,
            "You": you,
            "Neighbors": neighbours,
            "Me": me,
            "Signature": base64.b64encode(peer.key.sign(message)).decode(),
        }
    )


def ledger_request(from_: object, subjects: object) -> bytes:
    return json.dumps({"From": from_, "Subjects": subjects}, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


def decoder_drops(topic: str, payload: bytes, node: str) -> bool:
    """True when nara's own wire decoder rejects ``payload`` on ``topic``."""
    result: object
    if topic == TOPIC_HEY:
        result = wire.decode_sync_event(payload, SVC_HEY_THERE)
    elif topic == TOPIC_CHAU:
        result = wire.decode_sync_event(payload, SVC_CHAU)
    elif topic == TOPIC_HOWDY:
        result = wire.decode_howdy(payload)
    elif topic.startswith(TOPIC_NEWSPAPER):
        sender = topic[len(TOPIC_NEWSPAPER) :]
        if not sender or "/" in sender:
            return True
        result = wire.decode_newspaper(sender, payload)
    elif topic == f"nara/ledger/{node}/request":
        result = wire.decode_ledger_request(payload)
    else:
        return True
    return isinstance(result, wire.Dropped)


# ---- hostile names ---------------------------------------------------------------------------

# Names no nara may have (nara.core.names.valid_name: 1-64 of [A-Za-z0-9._-]), each with the
# marker. ``topic_ok`` says whether the broker accepts it as a topic level (control characters,
# wildcards and > 65535 bytes make mosquitto disconnect the publisher instead).
BAD_NAMES: Final[list[tuple[str, bool]]] = [
    (MARKER + "x" * 99_993, False),  # 100,000 characters
    (MARKER + "y" * 59_993, True),  # 60,000: still a legal topic level
    (MARKER + "z" * 58, True),  # 65 characters, one too many
    (MARKER + "\n", False),
    ("\n" + FORGED_LOG_LINE.decode() + " " + MARKER, False),
    ("<b>" + MARKER + "</b>", True),
    ("<script>alert('" + MARKER + "')</script>", True),
    (MARKER + "/x", True),
    ("../" + MARKER, True),
    (MARKER + "+", False),
    (MARKER + "#", False),
    (MARKER + " with spaces", True),
    (" " + MARKER, True),
    (MARKER + "\x00nul", False),
    (MARKER + "\x1b[31mred", False),
    (MARKER + "\u202eevil", True),
    (MARKER + "-é", True),
    (MARKER + "🦠", True),
    (MARKER + "\t", False),
]


# ---- the classes -----------------------------------------------------------------------------


def gen_random(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """Random bytes, and random bytes dressed as JSON, on every topic the node subscribes to."""
    prefixes = [b"", b"{", b'{"svc":"hey-there",', b"[", b'{"From":', b"\xef\xbb\xbf{", b"\xff"]
    for i in range(count):
        topic = pick_topic(ctx, rng)
        roll = rng.random()
        if roll < 0.002:
            size = rng.randint(257 * 1024, 300 * 1024)  # over the 256 KiB cap
        elif roll < 0.05:
            size = rng.randint(4096, 32_768)
        else:
            size = int(rng.expovariate(1 / 300))
        body = rng.choice(prefixes) + rng.randbytes(size)
        if i % 97 == 0:
            body = rng.choice([b"", b"null", b"[]", b"{}", b'"x"', b"1e999", b"NaN", b"{" * 5000])
        yield Msg("random", topic, body, True)


def pick_topic(ctx: Ctx, rng: random.Random) -> str:
    roll = rng.randrange(5)
    if roll == 0:
        return TOPIC_HEY
    if roll == 1:
        return TOPIC_CHAU
    if roll == 2:
        return TOPIC_HOWDY
    if roll == 3:
        return TOPIC_NEWSPAPER + f"fz-{rng.randrange(10_000):04d}"
    return ctx.ledger_topic()


def gen_ledger(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """Ledger requests whose ``From`` would become a reply topic: wildcards, NUL, 70,000 chars."""
    froms: list[object] = [
        "+",
        "#",
        MARKER + "/+",
        MARKER + "/#",
        MARKER + "x" * 69_993,
        MARKER + "\x00",
        MARKER + "\n",
        MARKER + "\x07\x1b[2J",
        MARKER + "/a",
        "../../" + MARKER,
        MARKER + "\u2028",
        "",
        " ",
        MARKER + " ",
    ]
    subjects: list[object] = [
        [],
        None,
        ["+", "#"],
        [MARKER + "\x00", MARKER + "s" * 5000],
        [MARKER] * 500,
        "not-a-list",
        [1, 2],
    ]
    for _ in range(count):
        yield Msg(
            "ledger",
            ctx.ledger_topic(),
            ledger_request(rng.choice(froms), rng.choice(subjects)),
            True,
        )


def gen_names(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """Validly signed hey-theres, chaus, newspapers and howdys from naras with impossible names."""
    for i in range(count):
        name, topic_ok = BAD_NAMES[i % len(BAD_NAMES)]
        peer = new_peer(rng, name)
        kind = rng.randrange(4)
        if kind == 0 or (kind == 2 and not topic_ok):
            yield Msg("names", TOPIC_HEY, signed_event(peer, SVC_HEY_THERE, ctx.now_ns()), True)
        elif kind == 1:
            yield Msg("names", TOPIC_CHAU, signed_event(peer, SVC_CHAU, ctx.now_ns()), True)
        elif kind == 2:
            yield Msg("names", TOPIC_NEWSPAPER + name, newspaper(peer), True)
        else:
            me = status_to_dict(status_of(peer))
            yield Msg("names", TOPIC_HOWDY, howdy(peer, ctx.node, i, {}, None, me), True)


def gen_impersonation(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """The ONLINE honest peer's name, signed with other keys: must never rename or alter it."""
    for i in range(count):
        peer = new_peer(rng, ctx.honest_name)
        kind = i % 4
        if kind == 0:
            yield Msg(
                "impersonation", TOPIC_HEY, signed_event(peer, SVC_HEY_THERE, ctx.now_ns()), True
            )
        elif kind == 1:
            status = status_of(peer, flair=MARKER, version=MARKER)
            yield Msg(
                "impersonation", TOPIC_NEWSPAPER + ctx.honest_name, newspaper(peer, status), True
            )
        elif kind == 2:
            me = status_to_dict(status_of(peer, flair=MARKER))
            yield Msg("impersonation", TOPIC_HOWDY, howdy(peer, ctx.node, i, {}, None, me), True)
        else:
            yield Msg("impersonation", TOPIC_CHAU, signed_event(peer, SVC_CHAU, ctx.now_ns()), True)


def time_peer_name(seed: int, i: int) -> str:
    return f"tt-{seed % 10_000:04d}-{i:05d}"


def gen_time(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """Hey-theres stamped 2^63-1, ten years ahead, 0 and negative; half of the far-future
    senders then say a valid chau (they must end OFFLINE, or never appear)."""
    senders = max(1, count * 2 // 3)
    chaus: list[Peer] = []
    for i in range(senders):
        peer = new_peer(rng, time_peer_name(ctx.seed, i))
        variant = i % 4
        now = ctx.now_ns()
        ts = [INT64_MAX, now + TEN_YEARS_NS, 0, rng.choice([-1, -NS, -INT64_MAX - 1])][variant]
        yield Msg("time", TOPIC_HEY, signed_event(peer, SVC_HEY_THERE, ts), ts == 0)
        if variant < 2 and len(chaus) < count - senders:
            chaus.append(peer)
            ctx.chau_after_future.add(peer.name)
    for peer in chaus:
        yield Msg("time", TOPIC_CHAU, signed_event(peer, SVC_CHAU, ctx.now_ns()), False)


def forged_peer_name(seed: int, i: int) -> str:
    return f"fh-{seed % 10_000:04d}-{i:05d}"


def gen_forged(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """Howdys to the node claiming it restarted 2^63-1 times and started at t=2, with an
    endless host uptime, and neighbour claims that the honest peer restarted 2^63-1 times and
    was last seen in the far future (and the OFFLINE replayed peer is ONLINE)."""
    you = {"restarts": INT64_MAX, "start_time": 2, "last_seen": INT64_MAX, "online": "ONLINE"}
    claim = {
        "restarts": INT64_MAX,
        "start_time": 1,
        "last_seen": INT64_MAX,
        "last_restart": INT64_MAX,
        "online": "ONLINE",
    }
    for i in range(count):
        peer = new_peer(rng, forged_peer_name(ctx.seed, i))
        status = status_of(
            peer, host_stats=HostStats(uptime=UINT64_MAX), chattiness=INT64_MAX, buzz=INT64_MAX
        )
        me = status_to_dict(status)
        me["Observations"] = {
            ctx.honest_name: claim,
            ctx.node: claim,
            ctx.replayed_name: claim,
        }
        neighbours: list[dict[str, object]] = [
            {
                "Name": ctx.honest_name,
                "PublicKey": ctx.honest_key_b64,
                "MeshIP": "",
                "ID": ctx.honest_id,
                "Observation": claim,
            },
            {"Name": ctx.node, "PublicKey": "", "MeshIP": "", "ID": "", "Observation": claim},
            {
                "Name": ctx.replayed_name,
                "PublicKey": "",
                "MeshIP": "",
                "ID": "",
                "Observation": claim,
            },
        ]
        seq = rng.choice([0, 1, INT64_MAX, i])
        yield Msg("forged", TOPIC_HOWDY, howdy(peer, ctx.node, seq, you, neighbours, me), False)


def gen_replay(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """The captured hey-there and newspaper of a peer that has since said chau, again and again."""
    for i in range(count):
        topic, payload = ctx.replayed[i % len(ctx.replayed)]
        yield Msg("replay", topic, payload, False)


def fat_peer_name(seed: int, i: int) -> str:
    return f"fat-{seed % 10_000:04d}-{i:04d}"


FAT_TARGET_BYTES: Final = 250 * 1024


def fat_template() -> bytes:
    """A ~250 KiB NaraStatus with placeholders for the key and ID. Every fat string ends with
    the marker, and the maps' last keys carry it, so only a node that keeps the whole value
    shows it."""
    pk, nid = "@" * 44, "%" * 44
    services = {f"svc-{k:04d}": k for k in range(1500)}
    services |= {f"~{MARKER}-{k}": k for k in range(5)}
    observations = {
        f"obs-{k:04d}": NaraObservation(restarts=k, online="ONLINE") for k in range(400)
    }
    observations[f"~{MARKER}"] = NaraObservation(restarts=1)
    probe = NaraStatus(
        public_key=pk, id=nid, event_store_by_service=services, observations=observations
    )
    room = FAT_TARGET_BYTES - len(encode_status(probe))
    quarter = max(1, room // 4 - len(MARKER) - 2)
    status = replace(
        probe,
        flair="🍩" * (quarter // 4) + MARKER,
        license_plate="L" * quarter + MARKER,
        trend="T" * (quarter // 2) + MARKER,
        version="V" * (quarter // 2) + MARKER,
        public_url="https://" + "u" * quarter + MARKER,
        chattiness=50,
        transport_mode="mqtt",
    )
    return encode_status(status)


def gen_fat(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    template = fat_template()
    for i in range(count):
        peer = new_peer(rng, fat_peer_name(ctx.seed, i))
        status_bytes = template.replace(b"@" * 44, peer.key.public_b64.encode()).replace(
            b"%" * 44, peer.nara_id.encode()
        )
        yield Msg("fat", TOPIC_NEWSPAPER + peer.name, signed_newspaper(peer, status_bytes), False)


def sybil_name(seed: int, i: int) -> str:
    return f"sy-{seed % 10_000:04d}-{i:05d}"


def gen_sybils(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """Thousands of fresh, validly signed identities: hey-theres, and a newspaper from one in
    five (a newspaper from a stranger also makes a node announce itself: amplification)."""
    identities = max(1, count * 5 // 6)
    papers = count - identities
    for i in range(identities):
        peer = new_peer(rng, sybil_name(ctx.seed, i))
        yield Msg("sybils", TOPIC_HEY, signed_event(peer, SVC_HEY_THERE, ctx.now_ns()), False)
        if i < papers:
            yield Msg("sybils", TOPIC_NEWSPAPER + peer.name, newspaper(peer), False)


# ---- near-valid messages, mutated with hypothesis-generated values ---------------------------


def hostile_value_strategy() -> Any:
    from hypothesis import strategies as st

    big = st.sampled_from(
        [
            INT64_MAX,
            INT64_MAX + 1,
            -INT64_MAX - 1,
            -INT64_MAX - 2,
            UINT64_MAX,
            UINT64_MAX + 1,
            10**30,
        ]
    )
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        big,
        st.floats(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
        st.text(alphabet=st.characters(codec=None, exclude_categories=())),  # surrogates too
        st.text(alphabet="+#/\x00\n\r\t <>&\"\\'", max_size=8),
        st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
    )
    return st.recursive(
        leaf,
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(st.text(max_size=12), children, max_size=5)
        ),
        max_leaves=12,
    )


def hypothesis_pool(seed: int, size: int) -> list[object]:
    """``size`` hostile JSON-ish values drawn by hypothesis, deterministic for ``seed``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    out: list[object] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=size,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_value_strategy())
    def collect(value: object) -> None:
        out.append(value)

    collect()
    return out


class _Deep:
    """A value encoded as ``depth`` nested lists (a recursion bomb for naive parsers)."""

    def __init__(self, depth: int) -> None:
        self.depth = depth


def encode_loose(value: object) -> str:
    """JSON the way a hostile peer may write it: NaN/Infinity, lone surrogates, raw splices."""
    if isinstance(value, RawJSON):
        return value.data.decode("utf-8")
    if isinstance(value, _Deep):
        return "[" * value.depth + "]" * value.depth
    if isinstance(value, dict):
        items = (json.dumps(str(k)) + ":" + encode_loose(v) for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_loose(v) for v in value) + "]"
    return json.dumps(value)


def _paths(value: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))


def _retype(value: object, rng: random.Random) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return rng.choice([float(value) + 0.5, str(value), [value], INT64_MAX + 1, -INT64_MAX - 2])
    if isinstance(value, float):
        return rng.choice([str(value), int(value) if math.isfinite(value) else None])
    if isinstance(value, str):
        return rng.choice(
            [len(value), [value], {"s": value}, None, value.encode("utf-8", "surrogatepass").hex()]
        )
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return rng.choice([0, "", [], {}])


def mutate(doc: dict[str, Any], rng: random.Random, pool: list[object]) -> dict[str, Any]:
    """1-3 mutations at random paths: hypothesis values, deletions, type confusion, extra keys,
    huge strings, deep nesting. A newspaper's ``Status`` stays the signed bytes unless a
    mutation goes inside it."""
    for _ in range(rng.randint(1, 3)):
        status = doc.get("Status")
        view = doc
        if isinstance(status, RawJSON):
            view = {**doc, "Status": json.loads(status.data)}
        paths = list(_paths(view))
        if not paths:
            break
        path = rng.choice(paths)
        if view is not doc and path[0] == "Status" and len(path) > 1:
            doc["Status"] = view["Status"]
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        op = rng.randrange(8)
        if op == 0 and isinstance(parent, dict):
            del parent[last]
        elif op == 1:
            parent[last] = _retype(parent[last], rng)
        elif op == 2 and isinstance(parent, dict):
            extra = rng.choice(["extra", "From", "svc", "\u0000", "Status", ""])
            parent[extra + str(rng.randrange(3))] = copy.deepcopy(rng.choice(pool))
        elif op == 3 and rng.random() < 0.05:
            parent[last] = _Deep(rng.choice([64, 1_000, 20_000, 100_000]))
        elif op == 4 and rng.random() < 0.05:
            parent[last] = "x" * rng.randint(1_000, 70_000)
        else:
            parent[last] = copy.deepcopy(rng.choice(pool))
    return doc


def gen_near_valid(ctx: Ctx, rng: random.Random, count: int) -> Iterator[Msg]:
    """Valid messages of every kind, each mutated by ``mutate``; ``must_drop`` when nara's own
    decoder rejects the result."""
    peers = [new_peer(rng, f"mut-{ctx.seed % 10_000:04d}-{i:03d}") for i in range(64)]
    pool = ctx.hypothesis_values or [None]
    for _ in range(count):
        peer = rng.choice(peers)
        kind = rng.randrange(5)
        topic: str
        raw: bytes
        if kind == 0:
            topic, raw = TOPIC_HEY, signed_event(peer, SVC_HEY_THERE, ctx.now_ns())
        elif kind == 1:
            topic, raw = TOPIC_CHAU, signed_event(peer, SVC_CHAU, ctx.now_ns())
        elif kind == 2:
            topic, raw = TOPIC_NEWSPAPER + peer.name, newspaper(peer)
        elif kind == 3:
            me = status_to_dict(status_of(peer))
            topic, raw = TOPIC_HOWDY, howdy(peer, ctx.node, rng.randrange(100), {}, None, me)
        else:
            topic, raw = ctx.ledger_topic(), ledger_request(peer.name, [ctx.node])
        doc = json.loads(raw)
        if kind == 2:
            spans = gojson.parse_object_spans(raw)[1]
            doc["Status"] = RawJSON(spans["Status"])
        body = encode_loose(mutate(doc, rng, pool)).encode("utf-8", "surrogatepass")
        yield Msg("near_valid", topic, body, decoder_drops(topic, body, ctx.node))


# The classes, in the order the harness runs them, with their share of --messages. The
# near-valid class takes what is left.
CLASSES: Final[list[tuple[str, float, Callable[[Ctx, random.Random, int], Iterator[Msg]]]]] = [
    ("random", 0.30, gen_random),
    ("ledger", 0.05, gen_ledger),
    ("names", 0.03, gen_names),
    ("impersonation", 0.01, gen_impersonation),
    ("time", 0.02, gen_time),
    ("replay", 0.01, gen_replay),
    ("forged", 0.03, gen_forged),
    ("near_valid", 0.0, gen_near_valid),
    ("fat", 0.01, gen_fat),
    ("sybils", 0.084, gen_sybils),
]


def plan(total: int) -> dict[str, int]:
    counts = {name: max(1, round(total * share)) for name, share, _ in CLASSES if share}
    counts["near_valid"] = max(1, total - sum(counts.values()))
    return counts
