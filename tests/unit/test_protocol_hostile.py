"""The presence core against a hostile plaza, step by step and without a network: every finding
of docs/security.md that the pure core answers (names, Sybils, fat peers, time, forged howdys,
replays) has its attack here; the same attacks run over a real broker in
tests/integration/test_attacks.py.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

from nara.core import gojson, wire
from nara.core.events import make_chau, make_hey_there
from nara.core.identity import Identity, determine_identity
from nara.core.names import name_problem, printable, valid_name
from nara.core.protocol import (
    TOPIC_CHAU,
    TOPIC_HEY_THERE,
    TOPIC_HOWDY,
    Command,
    Dropped,
    Node,
    NodeSettings,
    Publish,
)
from nara.core.ratelimit import TokenBucket
from nara.core.selfstatus import Remembered, Sensors
from nara.core.social import PeerBuzz, StartTimeVotes
from nara.core.status import HostStats, NaraObservation, NaraStatus
from tests.integration.helpers import make_identity

NS = 1_000_000_000
T0 = 1_700_000_000 * NS
I64 = 2**63 - 1


def ident(name: str) -> Identity:
    fingerprint = hashlib.sha256(f"test-hardware-{name}".encode()).digest()
    return determine_identity(name, "", "host", fingerprint)


def node(name: str = "me", **settings: object) -> Node:
    n = Node(ident(name), NodeSettings(missing_after_s=300, **settings), random.Random(1), T0)  # type: ignore[arg-type]
    n.on_connected(T0)
    return n


class Peer:
    """A signing peer that lives only in the test."""

    def __init__(self, name: str) -> None:
        self.identity = make_identity(name, secret=name.encode())
        self.key = self.identity.signing_key()
        self.name = name
        self.uptime = 1000

    def hey_there(self, ts: int) -> bytes:
        return make_hey_there(self.key, self.name, self.identity.nara_id, ts).to_json()

    def chau(self, ts: int) -> bytes:
        return make_chau(self.key, self.name, self.identity.nara_id, ts).to_json()

    def status(self, **changes: object) -> NaraStatus:
        self.uptime += 30
        base = NaraStatus(
            flair="🧪",
            chattiness=50,
            buzz=10,
            host_stats=HostStats(uptime=self.uptime),
            public_key=self.key.public_b64,
            id=self.identity.nara_id,
            transport_mode="mqtt",
        )
        return replace(base, **changes)  # type: ignore[arg-type]

    def newspaper(self, **changes: object) -> bytes:
        return wire.encode_newspaper(self.key, self.name, self.status(**changes))

    def howdy(self, to: str, seq: int = 1, **fields: object) -> bytes:
        you = fields.pop("you", NaraObservation())
        neighbours = fields.pop("neighbours", ())
        me = fields.pop("me", self.status())
        return wire.encode_howdy(self.key, self.name, to, seq, you, neighbours, me)  # type: ignore[arg-type]


def drops(commands: list[Command]) -> list[str]:
    return [c.reason for c in commands if isinstance(c, Dropped)]


def statuses(n: Node) -> dict[str, str]:
    return {e.name: e.online for e in n.neighbourhood}


# ---- names -----------------------------------------------------------------------------------


def test_the_name_rule() -> None:
    for good in ("jojo", "lisa-bright-042", "host.example", "a_b", "x" * 64, "0"):
        assert valid_name(good), good
    for bad in ("", "x" * 65, "a/b", "a+b", "#", "a b", "a\nb", "a\x00b", "<b>x</b>", "é"):
        assert not valid_name(bad), bad
        assert name_problem(bad)
    assert printable("a\nb\x1b[31m\u202e") == "a\\x0ab\\x1b[31m\\u202e"


def test_names_outside_the_rule_are_dropped_on_every_topic() -> None:
    n = node()
    for bad in ("x" * 100_000, "evil\nINFO forged line", "<img src=x>", "a+b"):
        p = Peer("placeholder")
        p.name = bad
        assert drops(n.on_message(TOPIC_HEY_THERE, p.hey_there(T0), T0)) == ["invalid_name"]
    p = Peer("fine")
    topic = "nara/newspaper/" + "y" * 70_000
    assert drops(n.on_message(topic, p.newspaper(), T0)) == ["invalid_name"]
    assert len(n.neighbourhood) == 0


def test_ledger_request_from_a_bad_name_publishes_nothing() -> None:
    n = node()
    topic = "nara/ledger/me/request"
    for bad in ("a+b", "#", "x" * 70_000, "a\x00b", "a\nb", "\x1b[31m", "a/b", ""):
        out = n.on_message(topic, gojson.dumps({"From": bad, "Subjects": []}), T0)
        assert not [c for c in out if isinstance(c, Publish)], bad
        assert drops(out), bad


def test_ledger_requests_are_rate_limited() -> None:
    n = node(ledger_requests_per_s=1.0, ledger_requests_burst=3)
    body = gojson.dumps({"From": "asker", "Subjects": []})
    answered = sum(
        1
        for _ in range(10)
        for c in n.on_message("nara/ledger/me/request", body, T0)
        if isinstance(c, Publish)
    )
    assert answered == 3
    assert n.ledger_budget.refused == 7


# ---- Sybils --------------------------------------------------------------------------------


def test_roster_is_bounded_and_new_naras_are_rate_limited() -> None:
    n = node(max_naras=20, new_naras_per_s=1000.0, new_naras_burst=1000)
    for i in range(50):
        n.on_message(TOPIC_HEY_THERE, Peer(f"sybil-{i}").hey_there(T0 + i), T0 + i)
    assert len(n.neighbourhood) == 20
    assert n.counters["roster_evictions"] == 30
    # The newest strangers make room for newer ones; nobody grows the roster past the bound.
    assert "sybil-49" in statuses(n)

    slow = node(new_naras_per_s=1.0, new_naras_burst=5)
    out: list[Command] = []
    for i in range(40):
        out += slow.on_message(TOPIC_HEY_THERE, Peer(f"burst-{i}").hey_there(T0), T0)
    assert len(slow.neighbourhood) == 5
    assert drops(out).count("rate_limited") == 35


def test_established_confirmed_naras_are_never_evicted_by_strangers() -> None:
    n = node(max_naras=3, new_naras_per_s=1000.0, new_naras_burst=1000)
    friends = [Peer(f"friend-{i}") for i in range(3)]
    for f in friends:
        n.on_message(TOPIC_HEY_THERE, f.hey_there(T0), T0)
    later = T0 + 700 * NS  # past ESTABLISHED_S; friends keep posting newspapers
    for f in friends:
        n.on_message(f"nara/newspaper/{f.name}", f.newspaper(), later)
    out = n.on_message(TOPIC_HEY_THERE, Peer("sybil").hey_there(later), later)
    assert drops(out) == ["roster_full"]
    assert sorted(statuses(n)) == sorted(f.name for f in friends)


def test_howdy_size_does_not_grow_with_the_roster() -> None:
    sizes = []
    for count in (20, 400):
        n = node(max_naras=1000, new_naras_per_s=1e6, new_naras_burst=10**6)
        for i in range(count):
            n.on_message(TOPIC_HEY_THERE, Peer(f"n-{i:04d}").hey_there(T0), T0)
        out = n.tick(T0 + 10 * NS, Sensors())
        howdys = [c for c in out if isinstance(c, Publish) and c.topic == TOPIC_HOWDY]
        assert howdys
        sizes.append(max(len(h.payload) for h in howdys))
        decoded = wire.decode_howdy(howdys[0].payload)
        assert isinstance(decoded, wire.Howdy)
        assert len(decoded.neighbors) <= 10
        assert decoded.me.observations is not None and len(decoded.me.observations) <= 12
    assert sizes[1] < sizes[0] * 1.5


def test_howdy_replies_are_rate_limited() -> None:
    n = node(howdys_per_s=0.001, howdys_burst=3, new_naras_per_s=1e6, new_naras_burst=10**6)
    for i in range(30):
        n.on_message(TOPIC_HEY_THERE, Peer(f"new-{i}").hey_there(T0), T0)
    out = n.tick(T0 + 10 * NS, Sensors())
    assert len([c for c in out if isinstance(c, Publish) and c.topic == TOPIC_HOWDY]) == 3


def test_a_tick_visits_only_what_changed() -> None:
    """MISSING comes from a deadline heap: a tick with nothing due touches no neighbour."""
    n = node(new_naras_per_s=1e6, new_naras_burst=10**6)
    for i in range(100):
        n.on_message(TOPIC_HEY_THERE, Peer(f"p-{i}").hey_there(T0), T0)
    assert len(n._deadlines) == 100
    n.tick(T0 + 10 * NS, Sensors())
    assert len(n._deadlines) == 100  # nothing popped, nothing re-pushed
    n.tick(T0 + 400 * NS, Sensors())
    assert set(statuses(n).values()) == {"MISSING"}
    assert not n._deadlines


def test_peer_buzz_is_incremental() -> None:
    board = PeerBuzz()
    board.set("a", 10)
    board.set("b", 500)  # clamped to 182
    assert board.top == 182 and board.average == 96
    board.set("b", None)
    assert board.top == 10 and len(board) == 1


# ---- fat peers -------------------------------------------------------------------------------


def test_fat_newspapers_are_dropped_not_kept() -> None:
    n = node()
    p = Peer("fat")
    for field in ("flair", "license_plate", "trend", "version", "public_url"):
        out = n.on_message(f"nara/newspaper/{p.name}", p.newspaper(**{field: "x" * 5000}), T0)
        assert drops(out) == ["oversized_field"], field
    many = {f"svc{i}": i for i in range(500)}
    out = n.on_message(f"nara/newspaper/{p.name}", p.newspaper(event_store_by_service=many), T0)
    assert drops(out) == ["oversized_field"]
    huge = p.newspaper(flair="x" * 100, memory_mode="y" * 16)
    assert len(huge) < 64 * 1024
    big = wire.encode_newspaper(p.key, p.name, p.status(public_url="h" * 512)) + b" " * 70_000
    assert drops(n.on_message(f"nara/newspaper/{p.name}", big, T0)) == ["too_large"]
    assert len(n.neighbourhood) <= 1


def test_a_howdys_me_never_keeps_its_observations_map() -> None:
    n = node()
    p = Peer("friend")
    n.on_message(TOPIC_HEY_THERE, p.hey_there(T0), T0)
    obs = {f"x{i}": NaraObservation(restarts=1) for i in range(100)}
    n.on_message(TOPIC_HOWDY, p.howdy("me", me=p.status(observations=obs)), T0 + NS)
    entry = n.neighbourhood.get("friend")
    assert entry is not None and entry.status is not None
    assert entry.status.observations is None


# ---- time ------------------------------------------------------------------------------------


def test_timestamps_outside_the_skew_window_are_dropped() -> None:
    n = node()
    p = Peer("timey")
    for ts in (I64, T0 + 10 * 365 * 86400 * NS, T0 - 3600 * NS, 1):
        assert drops(n.on_message(TOPIC_HEY_THERE, p.hey_there(ts), T0)) == ["clock_skew"]
    assert len(n.neighbourhood) == 0


def test_a_fast_clock_still_goes_offline_when_it_leaves() -> None:
    n = node()
    p = Peer("fast")
    skew = 250 * NS  # inside the window
    n.on_message(TOPIC_HEY_THERE, p.hey_there(T0 + skew), T0)
    assert statuses(n) == {"fast": "ONLINE"}
    n.on_message(TOPIC_CHAU, p.chau(T0 + 20 * NS + skew), T0 + 20 * NS)
    assert statuses(n) == {"fast": "OFFLINE"}
    # And it goes MISSING on our clock, not its own, when it just stops.
    n.on_message(TOPIC_HEY_THERE, p.hey_there(T0 + 40 * NS + skew), T0 + 40 * NS)
    n.tick(T0 + 40 * NS + 331 * NS, Sensors())
    assert statuses(n) == {"fast": "MISSING"}


# ---- forged howdys ---------------------------------------------------------------------------


def test_forged_howdys_cannot_set_our_restarts_start_time_or_a_peers_values() -> None:
    n = Node(
        ident("me"),
        NodeSettings(),
        random.Random(1),
        T0,
        Remembered(start_time_s=T0 // NS - 5000, restarts=4),
    )
    n.on_connected(T0)
    honest = Peer("honest")
    n.on_message(TOPIC_HEY_THERE, honest.hey_there(T0), T0)
    n.on_message(TOPIC_HEY_THERE, honest.hey_there(T0 + 10 * NS), T0 + 10 * NS)
    before = n.neighbourhood.get("honest")
    assert before is not None
    restarts, last_seen = before.restarts, before.last_seen
    forged = NaraObservation(restarts=I64, start_time=2, last_seen=I64 // NS, last_restart=3)
    claim = wire.HowdyNeighbor("honest", honest.key.public_b64, "", "", forged)
    out: list[Command] = []
    for i in range(3):
        liar = Peer(f"liar-{i}")
        n.on_message(TOPIC_HEY_THERE, liar.hey_there(T0 + 20 * NS), T0 + 20 * NS)
        me = liar.status(host_stats=HostStats(uptime=2**64 - 1))
        howdy = liar.howdy("me", you=forged, neighbours=(claim,), me=me)
        out += n.on_message(TOPIC_HOWDY, howdy, T0 + 30 * NS)
    status = n.own_status(T0 + 40 * NS, with_observations=True)
    assert status.observations is not None
    mine = status.observations["me"]
    assert (mine.restarts, mine.start_time) == (4, T0 // NS - 5000)
    after = n.neighbourhood.get("honest")
    assert after is not None
    assert (after.restarts, after.last_seen) == (restarts, last_seen)


def test_start_time_votes_need_several_established_voters() -> None:
    votes = StartTimeVotes()
    votes.add("a", 1_600_000_000, 10**18)
    votes.add("b", 1_600_000_010, 10)
    assert votes.consensus() == 0  # two voters are not enough
    votes.add("c", 1_600_000_020, 10)
    assert votes.consensus() == 1_600_000_010
    for i in range(200):
        votes.add(f"s{i}", 2, 1)
    assert len(votes.votes) == 64


def test_a_howdy_never_creates_revives_or_rekeys_a_nara() -> None:
    n = node()
    stranger = Peer("stranger")
    assert drops(n.on_message(TOPIC_HOWDY, stranger.howdy("me"), T0)) == ["unknown_sender"]
    n.on_message(TOPIC_HEY_THERE, stranger.hey_there(T0), T0)
    n.on_message(TOPIC_CHAU, stranger.chau(T0 + NS), T0 + NS)
    assert statuses(n) == {"stranger": "OFFLINE"}
    assert drops(n.on_message(TOPIC_HOWDY, stranger.howdy("me", 2), T0 + 2 * NS)) == ["not_online"]
    assert statuses(n) == {"stranger": "OFFLINE"}
    other = Peer("other")
    n.on_message(TOPIC_HEY_THERE, other.hey_there(T0 + 3 * NS), T0 + 3 * NS)
    imposter = Peer("imposter")
    imposter.name = "other"
    assert drops(n.on_message(TOPIC_HOWDY, imposter.howdy("me"), T0 + 4 * NS)) == ["key_mismatch"]


# ---- replays ---------------------------------------------------------------------------------


def test_replays_after_a_chau_do_not_bring_a_nara_back() -> None:
    n = node()
    p = Peer("leaver")
    hey = p.hey_there(T0)
    n.on_message(TOPIC_HEY_THERE, hey, T0)
    paper = p.newspaper()
    n.on_message(f"nara/newspaper/{p.name}", paper, T0 + NS)
    howdy = p.howdy("me")
    n.on_message(TOPIC_HOWDY, howdy, T0 + 2 * NS)
    older_paper = wire.encode_newspaper(p.key, p.name, replace(p.status(), host_stats=HostStats(5)))
    n.on_message(TOPIC_CHAU, p.chau(T0 + 3 * NS), T0 + 3 * NS)
    assert statuses(n) == {"leaver": "OFFLINE"}
    later = T0 + 100 * NS
    assert drops(n.on_message(f"nara/newspaper/{p.name}", paper, later)) == ["replay"]
    assert drops(n.on_message(f"nara/newspaper/{p.name}", older_paper, later)) == ["replay"]
    assert drops(n.on_message(TOPIC_HEY_THERE, hey, later)) == ["replay"]
    assert drops(n.on_message(TOPIC_HOWDY, howdy, later)) == ["replay"]
    n.tick(later + NS, Sensors())
    assert statuses(n) == {"leaver": "OFFLINE"}
    # A real comeback (a fresh hey-there) is welcome, and counts as a restart.
    n.on_message(TOPIC_HEY_THERE, p.hey_there(later), later)
    entry = n.neighbourhood.get("leaver")
    assert entry is not None and entry.online == "ONLINE" and entry.restarts == 1


def test_a_fresh_newspaper_after_a_chau_still_counts() -> None:
    """A Go nara whose hey-there was lost comes back through its newspaper (newer uptime)."""
    n = node()
    p = Peer("goish")
    n.on_message(TOPIC_HEY_THERE, p.hey_there(T0), T0)
    n.on_message(f"nara/newspaper/{p.name}", p.newspaper(), T0 + NS)
    n.on_message(TOPIC_CHAU, p.chau(T0 + 2 * NS), T0 + 2 * NS)
    n.on_message(f"nara/newspaper/{p.name}", p.newspaper(), T0 + 100 * NS)
    assert statuses(n) == {"goish": "ONLINE"}


def test_token_bucket_refills_on_the_callers_clock() -> None:
    bucket = TokenBucket(rate=2.0, burst=2)
    assert [bucket.take(T0) for _ in range(3)] == [True, True, False]
    assert bucket.take(T0 + NS // 2)
    assert not bucket.take(T0 + NS // 2)


def test_one_key_cannot_flood_the_ledger() -> None:
    n = node()
    p = Peer("chatty")
    out: list[Command] = []
    for i in range(100):
        at = T0 + i * NS // 10
        out += n.on_message(TOPIC_HEY_THERE, p.hey_there(at), at)
        out += n.on_message(f"nara/newspaper/{p.name}", p.newspaper(), at)
    held = sum(1 for e in n.ledger if e.event.emitter == "chatty")
    assert held <= 3
    assert drops(out).count("rate_limited") >= 190


def test_messages_in_our_own_name_are_echoes_or_impersonations() -> None:
    n = node()
    mine = make_hey_there(n.key, "me", n.identity.nara_id, T0).to_json()
    assert n.on_message(TOPIC_HEY_THERE, mine, T0) == []
    assert n.counters["own_echoes"] == 1
    impostor = Peer("impostor")
    impostor.name = "me"
    assert drops(n.on_message(TOPIC_HEY_THERE, impostor.hey_there(T0), T0)) == ["impersonation"]
    assert drops(n.on_message("nara/newspaper/me", impostor.newspaper(), T0)) == ["impersonation"]
    assert drops(n.on_message(TOPIC_HOWDY, impostor.howdy("x"), T0)) == ["impersonation"]
    request = gojson.dumps({"From": "me", "Subjects": []})
    assert drops(n.on_message("nara/ledger/me/request", request, T0)) == ["impersonation"]


def test_a_stranger_who_grabbed_a_name_cannot_lock_its_owner_out() -> None:
    n = node(new_naras_per_s=1e6, new_naras_burst=10**6)
    elders = [Peer(f"elder-{i}") for i in range(2)]
    for e in elders:
        n.on_message(TOPIC_HEY_THERE, e.hey_there(T0), T0)
    grabber = Peer("grabber")
    grabber.name = "bob"
    later = T0 + 700 * NS  # the elders are established now
    n.on_message(TOPIC_HEY_THERE, grabber.hey_there(later), later)
    bob = Peer("bob")
    assert drops(n.on_message(TOPIC_HEY_THERE, bob.hey_there(later + NS), later + NS)) == [
        "key_mismatch"
    ]
    vouch = wire.HowdyNeighbor("bob", bob.key.public_b64, "", "", NaraObservation())
    for i, e in enumerate(elders):
        at = later + (2 + i) * NS
        n.on_message(f"nara/newspaper/{e.name}", e.newspaper(), at)  # fresh evidence
        n.on_message(TOPIC_HOWDY, e.howdy("someone-else", neighbours=(vouch,)), at)
    at = later + 10 * NS
    assert not drops(n.on_message(TOPIC_HEY_THERE, bob.hey_there(at), at))
    entry = n.neighbourhood.get("bob")
    assert entry is not None and entry.public_key == bob.key.public_b64
    at += 5 * NS
    assert drops(n.on_message(TOPIC_HEY_THERE, grabber.hey_there(at), at)) == ["key_mismatch"]


def test_floods_are_refused_before_the_costly_signature_check() -> None:
    """Past the admission budget a new name's hey-there or newspaper is refused before it is
    verified: a badly signed one reads rate_limited, not bad_signature (no Ed25519 spent)."""
    from nara.core.events import SVC_HEY_THERE, HeyThere, new_event

    n = node(new_naras_per_s=0.001, new_naras_burst=1)
    n.on_message(TOPIC_HEY_THERE, Peer("first").hey_there(T0), T0)
    a, b = Peer("a"), Peer("b")
    claim = HeyThere(from_="newcomer", public_key=a.key.public_b64, mesh_ip="", id="")
    forged = new_event(SVC_HEY_THERE, claim, T0, b.key, "newcomer").to_json()
    assert drops(n.on_message(TOPIC_HEY_THERE, forged, T0)) == ["rate_limited"]
    paper = Peer("late").newspaper()
    assert drops(n.on_message("nara/newspaper/late", paper[:-5], T0)) == ["rate_limited"]


def test_a_resent_howdy_with_fresh_contents_is_not_a_replay() -> None:
    """The reference re-sends howdy:From:To:Seq with one signature and a new body (its Seq counts
    the howdys of the last 30 s): only the same bytes again are a replay."""
    n = node()
    p = Peer("gopher")
    n.on_message(TOPIC_HEY_THERE, p.hey_there(T0), T0)
    first = p.howdy("me", seq=1)
    second = p.howdy("me", seq=1)  # the same signed triple, a fresher status
    assert first != second
    assert not drops(n.on_message(TOPIC_HOWDY, first, T0 + NS))
    assert not drops(n.on_message(TOPIC_HOWDY, second, T0 + 22 * NS))
    assert drops(n.on_message(TOPIC_HOWDY, second, T0 + 23 * NS)) == ["replay"]


def test_a_quick_comeback_after_chau_is_heard_despite_the_per_key_gaps() -> None:
    n = node()
    p = Peer("quick")
    n.on_message(TOPIC_HEY_THERE, p.hey_there(T0), T0)
    n.on_message(f"nara/newspaper/{p.name}", p.newspaper(), T0 + NS)
    n.on_message(TOPIC_CHAU, p.chau(T0 + 2 * NS), T0 + 2 * NS)
    assert not drops(n.on_message(TOPIC_HEY_THERE, p.hey_there(T0 + 3 * NS), T0 + 3 * NS))
    assert statuses(n) == {"quick": "ONLINE"}
