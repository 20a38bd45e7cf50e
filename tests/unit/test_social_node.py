"""Teases in and out, hearsay and social history through the pure core (no broker)."""

from __future__ import annotations

import json

from nara.core import wire
from nara.core.events import Social, make_hey_there, make_social
from nara.core.personality import Personality, personality
from nara.core.protocol import TOPIC_SOCIAL, Appended, Dropped, Node
from nara.core.selfstatus import Sensors
from nara.core.socialbook import (
    MAX_HEARSAY_PER_RELAYER,
    HearsayBook,
    is_meaningful,
    verified_social,
)
from tests.unit.test_protocol import NS, T0, connect_and_announce, deliver, ident, node, publishes


def met(a: Node, b: Node) -> None:
    connect_and_announce(a, T0)
    deliver(connect_and_announce(b, T0), a, T0 + 6 * NS)


def tease_from(b: Node, target: str, reason: str, ts: int, *, actor: str = "") -> bytes:
    ev = make_social(b.key, b.name, "tease", actor or b.name, target, reason, ts)
    return ev.to_json()


def sociable_name(min_soc: int = 41, max_chill: int = 70) -> str:
    for i in range(500):
        p = personality(ident(f"nara{i}").soul)
        if p.sociability >= min_soc and p.chill <= max_chill:
            return f"nara{i}"
    raise AssertionError("no sociable name")


def test_a_known_neighbours_tease_is_kept_and_marks_it_online() -> None:
    a, b = node(sociable_name()), node("bob", seed=2)
    met(a, b)
    before = a.me.buzz.value
    now = T0 + 20 * NS
    out = a.on_message(TOPIC_SOCIAL, tease_from(b, a.name, "comeback", now), now)
    kept = [c.entry.event for c in out if isinstance(c, Appended)]
    assert len(kept) == 1 and isinstance(kept[0].payload, Social)
    assert kept[0].payload.actor == "bob" and kept[0].is_signed()
    assert a.me.buzz.value >= before + 5 or a.me.buzz.value == 182
    assert a.neighbourhood.get("bob").online == "ONLINE"  # type: ignore[union-attr]
    # The same bytes again are a duplicate.
    again = a.on_message(TOPIC_SOCIAL, tease_from(b, a.name, "comeback", now), now)
    assert [c.reason for c in again if isinstance(c, Dropped)] == ["duplicate"]


def test_a_forged_signature_is_dropped_and_counted() -> None:
    a, b = node(sociable_name()), node("bob", seed=2)
    met(a, b)
    forger = node("mallory", seed=4).key
    now = T0 + 20 * NS
    ev = make_social(forger, "bob", "tease", "bob", a.name, "comeback", now)
    out = a.on_message(TOPIC_SOCIAL, ev.to_json(), now)
    assert [c.reason for c in out if isinstance(c, Dropped)] == ["bad_signature"]
    assert not any(isinstance(c, Appended) for c in out)


def test_a_strangers_tease_is_hearsay_and_creates_nobody() -> None:
    a, carol = node(sociable_name()), node("carol", seed=3)
    connect_and_announce(a, T0)
    now = T0 + 20 * NS
    out = a.on_message(TOPIC_SOCIAL, tease_from(carol, a.name, "comeback", now), now)
    assert not any(isinstance(c, Appended) for c in out)
    assert a.neighbourhood.get("carol") is None
    [h] = a.hearsay.newest(10)
    assert h.relayed_by == "carol"


def test_a_third_party_claim_is_hearsay_of_its_relayer() -> None:
    a, b = node(sociable_name()), node("bob", seed=2)
    met(a, b)
    now = T0 + 20 * NS
    out = a.on_message(TOPIC_SOCIAL, tease_from(b, a.name, "comeback", now, actor="dave"), now)
    assert not any(isinstance(c, Appended) for c in out)
    assert a.neighbourhood.get("dave") is None
    [h] = a.hearsay.newest(10)
    assert (h.relayed_by, h.event.payload.actor) == ("bob", "dave")  # type: ignore[union-attr]


def test_a_comeback_is_teased_once_signed_on_the_plaza_and_go_verifiable() -> None:
    a, b = node(sociable_name()), node("bob", seed=2)
    met(a, b)
    later = T0 + 400 * NS
    a.tick(later, Sensors())  # bob goes MISSING
    hello = make_hey_there(b.key, "bob", b.identity.nara_id, later + NS)
    out = a.on_message("nara/plaza/hey_there", hello.to_json(), later + NS)
    assert not publishes(out, TOPIC_SOCIAL), "a tease waits out 0-5 s of jitter"
    [tease] = publishes(a.tick(later + 7 * NS, Sensors()), TOPIC_SOCIAL)
    d = json.loads(tease.payload)
    assert d["svc"] == "social" and d["emitter"] == a.name
    assert d["social"]["type"] == "tease" and d["social"]["target"] == "bob"
    # A nara that knows our key verifies it (what a Go socialHandler does).
    decoded = wire.decode_sync_event(
        tease.payload, "social", key_lookup=lambda _i, _e: a.identity.public_key
    )
    assert not isinstance(decoded, wire.Dropped) and decoded.verify(a.identity.public_key)
    # bob, who met alice, keeps it in its ledger.
    deliver(connect_and_announce(a, later), b, later + NS)
    kept = b.on_message(TOPIC_SOCIAL, tease.payload, later + 2 * NS)
    assert [c.entry.event.id for c in kept if isinstance(c, Appended)] == [decoded.id]
    # Another comeback after the cooldown is teased again.
    a.tick(later + 400 * NS, Sensors())
    hello2 = make_hey_there(b.key, "bob", b.identity.nara_id, later + 401 * NS)
    a.on_message("nara/plaza/hey_there", hello2.to_json(), later + 401 * NS)
    assert len(publishes(a.tick(later + 408 * NS, Sensors()), TOPIC_SOCIAL)) == 1
    # Within the five-minute cooldown the same target is not teased again.
    assert not a.tease_cooldown.try_tease(a.name, "bob", (later + 420 * NS) // NS)


def test_a_tease_is_skipped_when_someone_else_teased_first_and_cooled_down() -> None:
    a, b, c = node(sociable_name()), node("bob", seed=2), node("carol", seed=3)
    met(a, b)
    deliver(connect_and_announce(c, T0), a, T0 + 6 * NS)
    later = T0 + 400 * NS
    a.tick(later, Sensors())
    hello = make_hey_there(b.key, "bob", b.identity.nara_id, later + NS)
    a.on_message("nara/plaza/hey_there", hello.to_json(), later + NS)
    # carol teases bob for the comeback first (carol is known and signs as herself).
    hi = make_hey_there(c.key, "carol", c.identity.nara_id, later + NS)
    a.on_message("nara/plaza/hey_there", hi.to_json(), later + NS)
    first = a.on_message(
        TOPIC_SOCIAL, tease_from(c, "bob", "comeback", later + 2 * NS), later + 2 * NS
    )
    assert any(isinstance(x, Appended) for x in first)
    assert not publishes(a.tick(later + 7 * NS, Sensors()), TOPIC_SOCIAL)
    assert a.counters["teases_sent"] == 0


def test_ledger_request_answers_verified_social_only_in_go_shape() -> None:
    a, b, carol = node(sociable_name()), node("bob", seed=2), node("carol", seed=3)
    met(a, b)
    now = T0 + 20 * NS
    a.on_message(TOPIC_SOCIAL, tease_from(b, a.name, "comeback", now), now)
    heard = a.on_message(TOPIC_SOCIAL, tease_from(carol, "bob", "comeback", now + 1), now)
    assert not publishes(heard), "hearsay is never re-published"
    assert len(a.hearsay) == 1
    req = wire.encode_ledger_request("bob", ["bob"])
    [resp] = publishes(a.on_message(f"nara/ledger/{a.name}/request", req, now))
    assert resp.topic == "nara/ledger/bob/response"
    body = json.loads(resp.payload)
    assert list(body) == ["From", "Events"] and body["From"] == a.name
    [e] = body["Events"]
    assert list(e) == [
        "ID",
        "Timestamp",
        "Type",
        "Actor",
        "Target",
        "Reason",
        "Witness",
        "Signature",
    ]
    assert (e["Timestamp"], e["Actor"], e["Target"], e["Signature"]) == (now, "bob", a.name, "")
    assert all(ev["Actor"] != "carol" for ev in body["Events"])  # hearsay never answered onward


def test_history_is_asked_of_online_neighbours_and_kept_as_hearsay() -> None:
    a, b = node(sociable_name()), node("bob", seed=2)
    met(a, b)
    out = a.tick(T0 + 31 * NS, Sensors())
    [ask] = [p for p in publishes(out) if p.topic.startswith("nara/ledger/")]
    assert ask.topic == "nara/ledger/bob/request"
    req = wire.decode_ledger_request(ask.payload)
    assert not isinstance(req, wire.Dropped) and a.name in req.subjects
    # bob answers with what it holds; alice keeps it as hearsay of bob, not in her ledger.
    ev = make_social(None, "", "tease", "bob", "zed", "comeback", T0 + 5 * NS)
    body = wire.encode_ledger_response("bob", [ev])
    size = len(a.ledger)
    a.on_message(f"nara/ledger/{a.name}/response", body, T0 + 32 * NS)
    assert len(a.ledger) == size
    [h] = a.hearsay.newest(10)
    assert h.relayed_by == "bob" and h.event.id == ev.id
    # An answer nobody asked for is dropped.
    out = a.on_message(f"nara/ledger/{a.name}/response", body, T0 + 33 * NS)
    assert [c.reason for c in out if isinstance(c, Dropped)] == ["unknown_sender"]


def test_hearsay_is_bounded_per_relayer_and_in_total() -> None:
    book = HearsayBook(max_total=40)
    for i in range(100):
        ev = make_social(None, "", "tease", "bob", f"t{i}", "comeback", T0 + i)
        book.add(ev, "bob", T0)
    assert len(book) == MAX_HEARSAY_PER_RELAYER and book.refused == 100 - MAX_HEARSAY_PER_RELAYER
    for r in range(5):
        for i in range(20):
            book.add(
                make_social(None, "", "tease", f"r{r}", f"x{i}", "random", T0 + i), f"r{r}", T0
            )
    assert len(book) == 40


def test_personality_filter_matches_the_reference() -> None:
    def s(t: str, reason: str) -> Social:
        return Social(t, "a", "", "b", "", reason, "")

    calm = Personality(agreeableness=50, sociability=50, chill=90)
    assert not is_meaningful(s("tease", "random"), calm)
    assert not is_meaningful(s("tease", "nice-number"), calm)
    assert is_meaningful(s("tease", "comeback"), calm)
    assert not is_meaningful(s("observation", "online"), calm)
    assert is_meaningful(s("observation", "journey-timeout"), calm)
    kind = Personality(agreeableness=90, sociability=50, chill=10)
    assert not is_meaningful(s("tease", "trend-abandon"), kind)
    shy = Personality(agreeableness=50, sociability=10, chill=10)
    assert not is_meaningful(s("tease", "random"), shy)
    assert not is_meaningful(s("observation", "journey-pass"), shy)
    assert is_meaningful(s("tease", "high-restarts"), shy)


def test_ledger_response_decodes_what_we_encode_and_skips_junk() -> None:
    ev = make_social(None, "", "tease", "bob", "zed", "comeback", T0)
    raw = wire.encode_ledger_response("bob", [ev])
    got = wire.decode_ledger_response(raw)
    assert not isinstance(got, wire.Dropped) and got.events == (ev,)
    junk = (
        b'{"From":"bob","Events":[1,{"Type":"tease"},'
        b'{"Timestamp":5,"Type":"nope","Actor":"a","Target":"b"}]}'
    )
    got = wire.decode_ledger_response(junk)
    assert not isinstance(got, wire.Dropped) and got.events == () and got.skipped == 3
    assert isinstance(
        wire.decode_ledger_response(b'{"From":"bob","Events":null}'), wire.LedgerResponse
    )
    assert verified_social(node("x").ledger, ("bob",)) == []


def test_leaving_a_popular_trend_is_teased() -> None:
    """bob and carol follow a trend; bob leaves it: half the online naras still follow it, so a
    nara that is not too agreeable teases bob for it (social.go:164-191)."""
    name = next(
        f"nara{i}"
        for i in range(500)
        if (lambda p: p.agreeableness <= 70 and p.sociability <= 40 and p.chill <= 70)(
            personality(ident(f"nara{i}").soul)
        )
    )
    a, b, c = node(name), node("bob", seed=2), node("carol", seed=3)
    met(a, b)
    deliver(connect_and_announce(c, T0), a, T0 + 6 * NS)
    b.me.trend = c.me.trend = "moss-style"
    now = T0 + 130 * NS  # past the 120 s boot (nara.go:222)
    deliver(b._newspaper(now), a, now)
    deliver(c._newspaper(now), a, now)
    b.me.trend = ""
    later = now + 10 * NS
    deliver(b._newspaper(later), a, later)
    sent = [
        json.loads(t.payload)["social"]
        for t in publishes(a.tick(later + 6 * NS, Sensors()), TOPIC_SOCIAL)
    ]
    about_bob = [(d["target"], d["reason"]) for d in sent if d.get("target") == "bob"]
    assert about_bob == [("bob", "trend-abandon")], sent


def test_clout_follows_verified_teases_and_never_hearsay() -> None:
    """A kept tease moves its actor's clout (up when it resonates with us, a little down when
    not), at the next clout pass; hearsay about a stranger gives it none."""
    from nara.core import teases
    from nara.core.protocol import CLOUT_EVERY_S

    a, b = node(sociable_name()), node("bob", seed=2)
    met(a, b)
    now = T0 + 20 * NS
    out = a.on_message(TOPIC_SOCIAL, tease_from(b, a.name, "comeback", now), now)
    kept = [c.entry.event for c in out if isinstance(c, Appended)]
    assert len(kept) == 1
    stranger = node("stranger", seed=5)
    a.on_message(TOPIC_SOCIAL, tease_from(stranger, a.name, "random", now), now)  # hearsay
    assert a.clout == {} and a.clout_rev == 0
    a.tick(now + NS, Sensors())
    assert set(a.clout) == {"bob"} and a.clout_rev == 1
    p = a.me.personality
    resonates = teases.tease_resonates(kept[0].id, a.identity.soul.text, p)
    assert (a.clout["bob"] > 0) is resonates
    # Nothing new: the next passes change nothing.
    a.tick(now + (CLOUT_EVERY_S + 2) * NS, Sensors())
    assert a.clout_rev == 1


def test_profiles_show_recent_teases_and_best_friends() -> None:
    """``/profile/{name}.json``'s ``recent_teases`` and ``best_friends`` (http_api.go:101-146)
    come from the verified teases in our ledger; a nara nobody teased has ``null`` and empty
    friends."""
    from nara.core import views

    a, b = node(sociable_name()), node("bob", seed=2)
    met(a, b)
    now = T0 + 20 * NS
    a.on_message(TOPIC_SOCIAL, tease_from(b, a.name, "comeback", now), now)
    a.on_message(TOPIC_SOCIAL, tease_from(b, a.name, "random", now + NS), now + NS)
    mine = views.profile(a, a.name, now + 2 * NS)
    assert mine is not None
    assert mine["best_friends"] == {
        "from": {"name": "bob", "count": 2},
        "to": {"name": "", "count": 0},
    }
    recent = mine["recent_teases"]
    assert isinstance(recent, list)
    assert [(t["actor"], t["target"], t["reason"]) for t in recent] == [
        ("bob", a.name, "random"),
        ("bob", a.name, "comeback"),
    ]
    assert recent[0]["timestamp"] == (now + NS) // NS
    bobs = views.profile(a, "bob", now + 2 * NS)
    assert bobs is not None and bobs["best_friends"]["to"] == {"name": a.name, "count": 2}  # type: ignore[index]
    quiet = node("carol", seed=3)
    own = views.profile(quiet, "carol", now)
    assert own is not None and own["recent_teases"] is None
