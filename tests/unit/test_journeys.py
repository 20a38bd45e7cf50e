"""Postcards in the core: journey_complete decoded and bounded, hops verified against the keys
we hold (verified / bad / unknown-key), journeys kept once each and bounded."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace

from nara.core import gojson, journeys
from nara.core.crypto import SigningKey
from nara.core.journeys import BAD, UNKNOWN_KEY, VERIFIED, Completion, Hop
from nara.core.wire import Dropped, DropReason
from tests.unit.test_protocol import NS, T0, connect_and_announce, deliver, node


def chain(
    keys: dict[str, SigningKey],
    route: list[str],
    message: str = "hi <&> 🌍",
    journey_id: str = "jid-1",
) -> Completion:
    """A journey signed hop by hop as world.go's AddHop does."""
    c = Completion(journey_id, route[-1], route[-1], message, ())
    for i, name in enumerate(route):
        c = replace(c, hops=(*c.hops, Hop(name, 1_700_000_000 + i, "", "🌸")))
        digest = hashlib.sha256(journeys.signed_json(c, i)).digest()
        signed = Hop(name, 1_700_000_000 + i, keys[name].sign_b64(digest), "🌸")
        c = replace(c, hops=(*c.hops[:-1], signed))
    return c


def keys_for(*names: str) -> dict[str, SigningKey]:
    return {n: node(n).key for n in names}


def test_signed_json_is_gos_struct_order_and_escaping() -> None:
    c = chain(keys_for("bob", "alice"), ["bob", "alice"])
    first = journeys.signed_json(c, 0)
    assert first.startswith(b'{"id":"jid-1","message":"hi \\u003c\\u0026\\u003e \xf0\x9f\x8c\x8d"')
    assert b'"previous_hops":[],"current_nara":"bob"}' in first
    second = json.loads(journeys.signed_json(c, 1))
    assert list(second) == ["id", "message", "originator", "previous_hops", "current_nara"]
    assert second["previous_hops"] == [c.hops[0].to_json()]


def test_hops_verified_bad_and_unknown_key() -> None:
    keys = keys_for("bob", "carol", "alice")
    c = chain(keys, ["bob", "carol", "alice"])
    known = {n: k.public_b64 for n, k in keys.items() if n != "carol"}
    view = journeys.view(c, 5, known.get)
    hops = view["hops"]
    assert isinstance(hops, list)
    marks = [h["verification"] for h in hops]
    assert marks == [VERIFIED, UNKNOWN_KEY, VERIFIED]
    assert view["complete"] and not view["verified"] and view["unknown_key_hops"] == 1
    assert view["rewards"] == {"alice": 10.0, "bob": 2.0, "carol": 2.0}
    # A changed message breaks every hop that signed it.
    tampered = replace(c, message="bye")
    known["carol"] = keys["carol"].public_b64
    marks = [journeys.check_hop(tampered, i, known.get)[0] for i in range(3)]
    assert marks == [BAD, BAD, BAD]
    assert journeys.view(c, 5, known.get)["verified"]


def test_decoder_drops_malformed_and_oversized() -> None:
    good = chain(keys_for("bob", "alice"), ["bob", "alice"])
    raw = gojson.dumps(good.to_json())
    decoded = journeys.decode_completion(raw)
    assert decoded == good
    cases = {
        b"not json": DropReason.INVALID_JSON,
        b"[1]": DropReason.INVALID_SCHEMA,
        b'{"originator":"alice"}': DropReason.INVALID_EVENT,
        b'{"journey_id":"j","originator":"alice","hops":{}}': DropReason.INVALID_SCHEMA,
        b'{"journey_id":"j","originator":"alice","hops":[{"nara":"b","timestamp":"x"}]}': (
            DropReason.INVALID_SCHEMA
        ),
        b'{"journey_id":"j","originator":"al ice"}': DropReason.INVALID_NAME,
        gojson.dumps(
            {"journey_id": "j", "originator": "alice", "hops": [{"nara": "b"}] * 65}
        ): DropReason.OVERSIZED_FIELD,
        gojson.dumps({"journey_id": "j", "originator": "alice", "message": "x" * 2000}): (
            DropReason.OVERSIZED_FIELD
        ),
    }
    for payload, reason in cases.items():
        got = journeys.decode_completion(payload)
        assert isinstance(got, Dropped) and got.reason == reason, (payload[:60], got)


def test_book_dedupes_and_forgets_the_oldest() -> None:
    book = journeys.JourneyBook(capacity=3)
    c = Completion("j0", "alice", "alice", "", ())
    assert book.add(c, 1) and not book.add(c, 2)
    for i in range(1, 5):
        book.add(replace(c, journey_id=f"j{i}"), i)
    assert [x.journey_id for x, _ in book.newest_first()] == ["j4", "j3", "j2"]


def test_node_keeps_completions_and_counts_duplicates_and_drops() -> None:
    a, b = node("alice"), node("bob")
    deliver(connect_and_announce(a, T0), b, T0 + 7 * NS)
    c = chain({"alice": a.key, "bob": b.key}, ["bob", "alice"])
    raw = gojson.dumps(c.to_json())
    assert b.on_message(journeys.TOPIC_JOURNEY_COMPLETE, raw, T0 + 8 * NS) == []
    again = b.on_message(journeys.TOPIC_JOURNEY_COMPLETE, raw, T0 + 9 * NS)
    assert [getattr(x, "reason", "") for x in again] == ["duplicate"]
    bad = b.on_message(journeys.TOPIC_JOURNEY_COMPLETE, b"{}", T0 + 9 * NS)
    assert [getattr(x, "reason", "") for x in bad] == ["invalid_event"]
    ((kept, at),) = b.journeys.newest_first()
    view = journeys.view(kept, at, b.key_for_name)
    assert view["verified"] and at == (T0 + 8 * NS) // NS
    assert base64.b64decode(str(view["hops"][0]["signature"]))  # type: ignore[index]
