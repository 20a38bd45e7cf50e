"""Clout (nara/core/clout.py): weights, resonance, decay and proximity as projection_clout.go
and vivaldi.go:162-191 compute them; the expected values are worked out by hand below."""

from __future__ import annotations

import math

import pytest

from nara.core import clout
from nara.core.clout import Record
from nara.core.personality import Personality

NOW = 1_800_000_000
NS = 1_000_000_000
P = Personality(agreeableness=50, sociability=40, chill=20)
BASE = 1.0 + 40 / 200 - 20 / 400  # 1.15


def rec(type_: str = "tease", reason: str = "random", age_s: int = 0, **kw: str) -> Record:
    return Record(
        id=kw.get("id", "e1"),
        timestamp_ns=(NOW - age_s) * NS,
        type=type_,
        actor=kw.get("actor", "alice"),
        target=kw.get("target", "bob"),
        reason=reason,
    )


def test_a_fresh_weight_is_the_personality_base_times_the_reason() -> None:
    assert clout.weight(rec(reason="nice-number"), P, NOW) == pytest.approx(BASE * 1.1)
    assert clout.weight(rec(reason="random"), P, NOW) == pytest.approx(BASE)  # chill ≤ 60
    chill = Personality(agreeableness=80, sociability=40, chill=70)
    base = 1.0 + 40 / 200 - 70 / 400
    assert clout.weight(rec(reason="random"), chill, NOW) == pytest.approx(base * 0.3 * 0.6)
    assert clout.weight(rec("observed", "comeback"), P, NOW) == pytest.approx(BASE * 0.7)
    social = Personality(agreeableness=50, sociability=80, chill=20)
    assert clout.weight(rec(reason="comeback"), social, NOW) == pytest.approx(
        (1.0 + 80 / 200 - 20 / 400) * 1.4
    )


def test_weights_decay_hyperbolically_and_never_below_a_tenth() -> None:
    half_life = 86400 * (1 + (50 - 20) / 100) * (1 + 40 / 333)
    age = int(half_life)
    assert clout.weight(rec(age_s=age), P, NOW) == pytest.approx(BASE / (1 + age / half_life))
    assert clout.weight(rec(age_s=10**9), P, NOW) == clout.MIN_WEIGHT
    future = clout.weight(rec(age_s=-3600), P, NOW)  # counted as a week old
    assert future == pytest.approx(BASE / (1 + 7 * 86400 / half_life))


def test_teases_that_resonate_earn_clout_and_the_others_cost_a_little() -> None:
    records = [rec(id="good", actor="alice"), rec(id="bad", actor="carol")]
    scores = clout.derive(records, P, NOW, resonates=lambda event_id: event_id == "good")
    assert scores == pytest.approx({"alice": BASE, "carol": -0.3 * BASE})


def test_observations_move_the_target_and_unknown_types_nothing() -> None:
    records = [
        rec("observation", "online", target="bob"),
        rec("observation", "journey-timeout", target="dave"),
        rec("observation", "whatever", target="erin"),
        rec("gossip", "random", actor="frank"),
        rec("service", "stash-stored", actor="gina"),
        rec("mystery", "random", actor="hank"),
    ]
    scores = clout.derive(records, P, NOW, resonates=lambda _: True)
    assert scores == pytest.approx(
        {
            "bob": 0.1 * BASE * 0.5,
            "dave": -0.3 * BASE * 1.2,
            "frank": 0.1 * BASE * 0.4,
            "gina": 2.0 * BASE * 1.5,
        }
    )


def test_an_event_without_an_actor_gives_nobody_clout() -> None:
    assert clout.derive([rec(actor="")], P, NOW, resonates=lambda _: True) == {}


def test_proximity_weighs_near_naras_more() -> None:
    base = {"near": 1.0, "far": 1.0, "unplaced": 1.0, "broken": 1.0}
    coords = {"near": (0.0, 0.0, 0.0), "far": (300.0, 400.0, 0.0), "broken": (math.nan, 0.0, 0.0)}
    out = clout.with_proximity(base, (0.0, 0.0, 0.0), coords.get)
    assert out["near"] == pytest.approx(1.0)
    assert out["far"] == pytest.approx(0.7 + 0.3 * math.exp(-5.0))
    assert out["unplaced"] == out["broken"] == 1.0
    assert clout.with_proximity(base, None, coords.get) == base
    assert clout.distance((0, 0, 1.0), (3, 4, 2.0)) == 8.0
