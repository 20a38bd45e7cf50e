"""Personality, aura and flair: Go-identical §7 vectors and the rules behind them (§6, §4.5)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nara.core.identity import Soul, gemstone, parse_soul, wordlists
from nara.core.personality import (
    AuraPainter,
    FlairInputs,
    Personality,
    _round_half_away,
    aura,
    compose_flair,
    personal_flair,
    personality,
)

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "identity_vectors.json").read_text())
JOJO = VECTORS["identity"][0]
JOJO_SOUL = parse_soul(JOJO["soul"])
HEX_COLOUR = re.compile(r"#[0-9A-F]{6}")
TRAIT = st.integers(min_value=0, max_value=99)
SOULS = st.binary(min_size=40, max_size=40).map(lambda b: Soul(seed=b[:32], tag=b[32:]))


def test_personality_vector() -> None:
    """Traits drawn with Go math/rand seeded from sha256 of the soul *text*: jojo is 36/86/82."""
    assert personality(JOJO_SOUL) == Personality(**JOJO["personality"])


@given(SOULS)
def test_personality_traits_in_range(soul: Soul) -> None:
    """Each trait is Intn(100): 0-99."""
    p = personality(soul)
    assert all(0 <= t <= 99 for t in (p.agreeableness, p.sociability, p.chill))


@pytest.mark.parametrize("row", VECTORS["aura"][0]["colours"], ids=lambda r: str(r["uptime_s"]))
def test_aura_vectors(row: dict[str, object]) -> None:
    """jojo's aura (Noir palette) at 0 s, 1 h and 30 days equals the Go reference's colours:
    the uptime-driven illuminant shifts both colours."""
    vec = VECTORS["aura"][0]
    soul = parse_soul(vec["soul"])
    got = aura(soul, vec["name"], personality(soul), int(str(row["uptime_s"])))
    assert got == (row["primary"], row["secondary"])


def test_aura_saturates_after_thirty_days_and_for_negative_uptime() -> None:
    """u = clamp01(log1p(uptime)/log1p(30 days)); Go holds uptime in a uint64, so a negative
    difference wraps to a huge number, i.e. a fully grown aura."""
    pers = personality(JOJO_SOUL)
    grown = aura(JOJO_SOUL, "jojo", pers, 2592000)
    assert aura(JOJO_SOUL, "jojo", pers, 10 * 2592000) == grown
    assert aura(JOJO_SOUL, "jojo", pers, -5) == grown


@settings(max_examples=60)
@given(SOULS, st.text(max_size=12), TRAIT, TRAIT, TRAIT, st.integers(-(10**6), 10**9))
def test_aura_is_always_two_hex_colours(
    soul: Soul, name: str, a: int, s: int, c: int, uptime: int
) -> None:
    """Every personality (all five palette modifiers) and uptime gives two "#RRGGBB" colours,
    and the precomputing painter agrees with the plain function."""
    pers = Personality(a, s, c)
    primary, secondary = aura(soul, name, pers, uptime)
    assert HEX_COLOUR.fullmatch(primary) and HEX_COLOUR.fullmatch(secondary)
    assert AuraPainter(soul.text, name, pers).at(uptime) == (primary, secondary)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(0.5, 1), (1.5, 2), (2.5, 3), (254.5, 255), (0.49999999999999994, 0), (-0.5, -1), (3.0, 3)],
)
def test_channel_rounding_is_gos_math_round(value: float, rounded: int) -> None:
    """Channels use Go's math.Round (halves away from zero), not Python's banker's rounding."""
    assert _round_half_away(value) == rounded


def test_personal_flair_vector() -> None:
    """jojo with Sociability 86 shows 86/31 + 1 = 3 emojis, one Intn(16) draw each."""
    row = VECTORS["personal_flair"][0]
    assert personal_flair(row["name"], row["sociability"]) == row["flair"]


@given(st.text(max_size=20), TRAIT)
def test_personal_flair_count(name: str, sociability: int) -> None:
    """The number of emojis is Sociability // 31 + 1, all from the 16-emoji pool."""
    pool = wordlists()["personal_flair_pool"]
    flair = personal_flair(name, sociability)
    count = sociability // 31 + 1
    # Pool emojis are single code points, so the string length is the emoji count.
    assert all(len(e) == 1 for e in pool)
    assert len(flair) == count and all(ch in pool for ch in flair)
    # More sociable naras keep the same first emojis and add more.
    assert personal_flair(name, 99).startswith(flair)


def _jojo_inputs(**overrides: object) -> FlairInputs:
    base: dict[str, object] = {
        "name": "jojo",
        "sociability": 86,
        "gemstone": gemstone("jojo", JOJO_SOUL),
    }
    base.update(overrides)
    return FlairInputs(**base)  # type: ignore[arg-type]


def test_compose_flair_full_order() -> None:
    """Every award switched on appears in the reference's order (§4.5)."""
    inp = _jojo_inputs(
        hostname="jojo",
        raspberry_pi=True,
        nixos=True,
        kubernetes=True,
        trend_emoji="✨",
        network_size=5,
        superlatives="🧓🔁",
        chattiness=80,
        load=0.8,
        uptime_s=60,
        booting=True,
    )
    gem = gemstone("jojo", JOJO_SOUL)
    assert compose_flair(inp) == f"{gem}🧑\u200d🚀🍓❄️🐳✨🌸🧁🍦🧓🔁💬📈👶📡"


def test_compose_flair_minimal() -> None:
    """With nothing notable only the gemstone and the personal flair remain."""
    gem = gemstone("jojo", JOJO_SOUL)
    assert compose_flair(_jojo_inputs(hostname="other", load=0.5, uptime_s=6 * 3600)) == (
        f"{gem}🌸🧁🍦"
    )


def test_compose_flair_conditions() -> None:
    """👤 replaces the gemstone for an invalid bond; superlatives and 🤔 need more than two
    naras; 🤔 shows while our own start time is unknown; 🆒 for load <= 0.1; 💬 from 80."""
    assert compose_flair(_jojo_inputs(bond_valid=False)).startswith("👤🌸")
    assert "🧓" not in compose_flair(_jojo_inputs(network_size=2, superlatives="🧓"))
    assert "🤔" not in compose_flair(_jojo_inputs(network_size=2, start_time_known=False))
    thinking = compose_flair(
        _jojo_inputs(network_size=3, superlatives="🧓", start_time_known=False)
    )
    assert "🤔" in thinking and "🧓" not in thinking
    assert compose_flair(_jojo_inputs(load=0.1)).endswith("🆒")
    assert not compose_flair(_jojo_inputs(load=0.11)).endswith("🆒")
    assert not compose_flair(_jojo_inputs(chattiness=79)).endswith("💬")
    assert compose_flair(_jojo_inputs(uptime_s=6 * 3600 - 1)).endswith("👶")
