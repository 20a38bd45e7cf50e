"""Personality, aura colours and flair: the cosmetic self of a nara (spec §6, §4.5).

All three must match the Go reference exactly because peers display them: personality and
personal flair are drawn from Go's math/rand (``gorand``), the aura is a float pipeline
(FNV-1a hash → OKLCH → sRGB) evaluated in the reference's operation order.

The aura is recomputed every second, so everything that does not depend on uptime is computed
once per (soul, name, personality) by ``AuraPainter``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Protocol

from nara.core.gorand import GoRand, read_package_data, seed_from_digest


class SoulText(Protocol):
    """What this module needs of a soul (nara.core.identity.Soul): its Base58 text. A protocol,
    so that identity may import personality without personality importing identity."""

    @property
    def text(self) -> str: ...


@functools.cache
def wordlists() -> dict[str, tuple[str, ...]]:
    """The reference's word and emoji lists (names, gemstones, flair pools); order matters.
    Also importable from nara.core.identity, which draws generated names and gemstones."""
    data: dict[str, Any] = json.loads(read_package_data("nara-wordlists.json"))
    return {k: tuple(v) for k, v in data.items() if isinstance(v, list)}


_MASK32 = 0xFFFFFFFF
_FNV32_OFFSET = 2166136261
_FNV32_PRIME = 16777619
_AURA_FULL_UPTIME_S = 2592000  # 30 days: the aura is fully "grown" after this (§6)
_GOLDEN_ANGLE = 137.50776405003785
_BABY_UPTIME_S = 6 * 3600  # 👶 below six hours (§4.5)

# Palette modifiers (§6).
_DEFAULT, _WARM, _COOL, _NOIR, _NEON = "default", "warm", "cool", "noir", "neon"
# Illuminants (§6) as OKLab (a, b) tints: warm ones for old/chill naras, cool ones for young/social.
_SODIUM, _TUNGSTEN = (0.01, 0.10), (0.02, 0.06)
_MOON, _LED = (-0.01, -0.06), (-0.02, -0.03)
# Harmonies (§6): secondary hue offsets in degrees.
_ANALOGOUS, _SPLIT, _TRIADIC, _COMPLEMENT = 28.0, 150.0, 120.0, 180.0


@dataclass(frozen=True)
class Personality:
    """The three traits, each 0-99 (§6)."""

    agreeableness: int
    sociability: int
    chill: int


@functools.lru_cache(maxsize=64)
def _personality_of(soul_text: str) -> Personality:
    rng = GoRand(seed_from_digest(hashlib.sha256(soul_text.encode("utf-8")).digest()))
    # Order matters: Agreeableness, then Sociability, then Chill.
    return Personality(agreeableness=rng.intn(100), sociability=rng.intn(100), chill=rng.intn(100))


def personality(soul: SoulText) -> Personality:
    """Traits drawn with Go math/rand seeded by int64_be(sha256(soul *text*)[0:8]) (§6)."""
    return _personality_of(soul.text)


def _fnv1a32(data: bytes) -> int:
    h = _FNV32_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV32_PRIME) & _MASK32
    return h


def _hash_to_unit(h: int, salt: int) -> float:
    """A 32-bit integer finaliser (uint32 wraparound) mapped onto [0, 1] (§6)."""
    x = (h ^ salt) & _MASK32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & _MASK32
    x ^= x >> 15
    x = (x * 0x846CA68B) & _MASK32
    x ^= x >> 16
    return x / 4294967295.0


def _clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _clamp01(x: float) -> float:
    return _clamp(x, 0.0, 1.0)


def _wrap_hue(h: float) -> float:
    h = math.fmod(h, 360.0)
    return h + 360.0 if h < 0 else h


def _modifier(s: int, c: int) -> str:
    if s > 70 and c < 40:
        return _NEON
    if c > 70:
        return _NOIR
    if s < 40:
        return _COOL
    if s > 60 and c > 40:
        return _WARM
    return _DEFAULT


def _gamma(x: float) -> float:
    if x <= 0.0031308:
        return 12.92 * x
    return 1.055 * math.pow(x, 1 / 2.4) - 0.055


def _round_half_away(x: float) -> int:
    """Go's math.Round (halves away from zero; Python's round() goes to even).

    ``x - trunc(x)`` is exact, so 0.49999999999999994 stays 0 as in Go (floor(x + 0.5) would not).
    """
    t = math.trunc(x)
    if abs(x - t) >= 0.5:
        t += 1 if x > 0 else -1
    return t


def _oklch_to_hex(lum: float, chroma: float, hue: float, ill_a: float, ill_b: float) -> str:
    """OKLCH plus an illuminant tint → "#RRGGBB", shrinking chroma until in gamut (§6)."""
    rad = hue * (math.pi / 180.0)  # Go folds Pi/180 into one constant first
    a0 = chroma * math.cos(rad)
    b0 = chroma * math.sin(rad)
    k = 1.0
    # Only the chroma shrinks; the illuminant shift stays. After 14 misses the reference
    # clamps the colour at the *next* (15th) chroma factor.
    for _ in range(14):
        r, g, b = _oklab_to_linear_srgb(lum, k * a0 + ill_a, k * b0 + ill_b)
        if 0.0 <= r <= 1.0 and 0.0 <= g <= 1.0 and 0.0 <= b <= 1.0:
            return _hex(r, g, b)
        k *= 0.88
    return _hex(*_oklab_to_linear_srgb(lum, k * a0 + ill_a, k * b0 + ill_b))


def _oklab_to_linear_srgb(lum: float, a: float, b: float) -> tuple[float, float, float]:
    """Björn Ottosson's OKLab → linear sRGB, in the reference's operation order."""
    l_ = lum + 0.3963377774 * a + 0.2158037573 * b
    m_ = lum - 0.1055613458 * a - 0.0638541728 * b
    s_ = lum - 0.0894841775 * a - 1.2914855480 * b
    l3 = l_ * l_ * l_
    m3 = m_ * m_ * m_
    s3 = s_ * s_ * s_
    return (
        +4.0767416621 * l3 - 3.3077115913 * m3 + 0.2309699292 * s3,
        -1.2684380046 * l3 + 2.6097574011 * m3 - 0.3413193965 * s3,
        -0.0041960863 * l3 - 0.7034186147 * m3 + 1.7076147010 * s3,
    )


def _hex(r: float, g: float, b: float) -> str:
    out = "#"
    for v in (r, g, b):
        ch = _round_half_away(_gamma(_clamp01(v)) * 255.0)
        out += f"{min(255, max(0, ch)):02X}"
    return out


class AuraPainter:
    """The aura of one (soul, name, personality): everything but the uptime term, precomputed."""

    __slots__ = ("_a", "_c", "_core", "_h", "_lottery", "_mod", "_s")

    def __init__(self, soul_text: str, name: str, pers: Personality) -> None:
        h = _fnv1a32((soul_text + name).encode("utf-8"))
        self._h = h
        self._a = _clamp01(pers.agreeableness / 100.0)
        self._s = _clamp01(pers.sociability / 100.0)
        self._c = _clamp01(pers.chill / 100.0)
        self._mod = _modifier(pers.sociability, pers.chill)
        self._lottery = _hash_to_unit(h, 0x1A11A7ED)  # picks the illuminant
        self._core = self._core_colours()

    def _core_colours(self) -> tuple[float, float, float, float, float, float]:
        """(L, C, hue, L2, C2, hue2): the two OKLCH colours before the illuminant (§6 core)."""
        h, a, s, c, mod = self._h, self._a, self._s, self._c, self._mod
        spread = _hash_to_unit(h, 0xA2C2A1)
        spread -= math.floor(spread)  # fract(): 1.0 becomes 0.0
        base_hue = _wrap_hue(float(h % 360) + spread * _GOLDEN_ANGLE)
        lum = 0.52 + 0.18 * c - 0.06 * s
        chroma = 0.06 + 0.22 * s + 0.05 * (1 - c)
        r2 = _hash_to_unit(h, 0x51ED270B)
        if a >= 0.75:
            offset = _ANALOGOUS if r2 < 0.85 else _SPLIT
        elif a >= 0.45:
            offset = _SPLIT if r2 < 0.55 else _ANALOGOUS
        else:
            offset = _TRIADIC if r2 < 0.40 else _COMPLEMENT
        if mod == _WARM:
            base_hue = _wrap_hue(base_hue + 12)
        elif mod == _COOL:
            base_hue = _wrap_hue(base_hue - 12)
        elif mod == _NOIR:
            lum -= 0.12
            chroma *= 0.75
        elif mod == _NEON:
            lum += 0.04
            chroma *= 1.18
        lum = _clamp(lum, 0.18, 0.88)
        chroma = _clamp(chroma, 0.02, 0.40)

        # The jitter joins the harmony offset before the offset joins the hue (float order).
        hue2 = _wrap_hue(base_hue + (offset + (_hash_to_unit(h, 0xC0FFEE) - 0.5) * 14))
        chroma2 = _clamp(chroma * (0.78 + 0.44 * (1 - s)), 0.02, 0.38)
        min_dl = 0.10 + 0.06 * (1 - c)
        if s > 0.65:
            min_dl += 0.03
        # The secondary starts at the primary's lightness, so it is always pushed away.
        lum2 = lum + min_dl if _hash_to_unit(h, 0xBADC0DE) > 0.5 else lum - min_dl
        if lum2 < 0.18 or lum2 > 0.88:
            lum2 = lum - min_dl if lum2 > lum else lum + min_dl
        lum2 = _clamp(lum2, 0.18, 0.88)
        return lum, chroma, base_hue, lum2, chroma2, hue2

    def _illuminant(self, u: float) -> tuple[float, float]:
        """The ambient tint (a, b) already scaled by its strength (§6 illuminant)."""
        a, s, c, mod = self._a, self._s, self._c, self._mod
        warm = _clamp01(0.55 * u + 0.35 * c + 0.10 * (1 - s))
        cool = _clamp01(0.55 * s + 0.25 * (1 - c) + 0.20 * (1 - u))
        # Nudges are clamped too: a tie at 1.0 goes to the warm side.
        if mod == _WARM:
            warm = _clamp01(warm + 0.15)
        elif mod == _COOL:
            cool = _clamp01(cool + 0.15)
        elif mod == _NOIR:
            warm = _clamp01(warm + 0.08)
        elif mod == _NEON:
            cool = _clamp01(cool + 0.10)
        r = self._lottery
        if warm >= cool:
            ill_a, ill_b = _SODIUM if r < 0.25 + 0.35 * u else _TUNGSTEN
        else:
            ill_a, ill_b = _MOON if r < 0.20 + 0.25 * (1 - u) else _LED
        strength = _clamp(0.12 + 0.55 * u + 0.15 * (1 - c), 0.08, 0.80) * (1 - 0.55 * a)
        t = 0.35 + 0.45 * a  # lerp toward neutral (0, 0)
        ill_a = ill_a + (0 - ill_a) * t
        ill_b = ill_b + (0 - ill_b) * t
        return ill_a * strength, ill_b * strength

    def at(self, uptime_s: int) -> tuple[str, str]:
        """(primary, secondary) as "#RRGGBB" for this uptime in seconds."""
        if uptime_s < 0:
            u = 1.0  # Go holds uptime in a uint64: negative wraps to huge, i.e. fully grown.
        else:
            u = _clamp01(math.log1p(float(uptime_s)) / math.log1p(float(_AURA_FULL_UPTIME_S)))
        ill_a, ill_b = self._illuminant(u)
        lum, chroma, hue, lum2, chroma2, hue2 = self._core
        return (
            _oklch_to_hex(lum, chroma, hue, ill_a, ill_b),
            _oklch_to_hex(lum2, chroma2, hue2, ill_a, ill_b),
        )


@functools.lru_cache(maxsize=64)
def _painter(soul_text: str, name: str, pers: Personality) -> AuraPainter:
    return AuraPainter(soul_text, name, pers)


def aura(soul: SoulText, name: str, pers: Personality, uptime_s: int) -> tuple[str, str]:
    """The aura colours (primary, secondary) "#RRGGBB" at this uptime (§6)."""
    return _painter(soul.text, name, pers).at(uptime_s)


@functools.lru_cache(maxsize=64)
def personal_flair(name: str, sociability: int) -> str:
    """Sociability/31 + 1 emojis from the 16-emoji pool, one Intn(16) draw each (§4.5).

    Go math/rand is seeded by int64_be(sha256(name)[0:8]), so a name always shows the same set.
    """
    pool = wordlists()["personal_flair_pool"]
    rng = GoRand(seed_from_digest(hashlib.sha256(name.encode("utf-8")).digest()))
    return "".join(pool[rng.intn(len(pool))] for _ in range(sociability // 31 + 1))


@dataclass(frozen=True)
class FlairInputs:
    """Everything the own-flair string depends on (§4.5); the shell gathers these facts.

    ``superlatives`` is the already-decided run of 🧓👑🐤🐦🔁 awards; it and 🤔 only show when the
    network holds more than two naras. ``load`` None means unknown (no 📈/🆒); ``uptime_s`` None
    means unknown (no 👶).
    """

    name: str
    sociability: int
    gemstone: str
    bond_valid: bool = True
    hostname: str = ""
    raspberry_pi: bool = False
    nixos: bool = False
    kubernetes: bool = False
    trend_emoji: str = ""
    network_size: int = 0
    start_time_known: bool = True
    superlatives: str = ""
    chattiness: int = 0
    load: float | None = None
    uptime_s: int | None = None
    booting: bool = False


def compose_flair(inp: FlairInputs) -> str:
    """The own-flair string in the reference's order (§4.5)."""
    parts = [inp.gemstone if inp.bond_valid else "👤"]
    if inp.name == inp.hostname:
        parts.append("🧑\u200d🚀")
    if inp.raspberry_pi:
        parts.append("🍓")
    if inp.nixos:
        parts.append("❄️")
    if inp.kubernetes:
        parts.append("🐳")
    parts.append(inp.trend_emoji)
    parts.append(personal_flair(inp.name, inp.sociability))
    if inp.network_size > 2:
        # Age awards need our own StartTime; until opinions form the reference shows 🤔.
        parts.append(inp.superlatives if inp.start_time_known else "🤔")
    if inp.chattiness >= 80:
        parts.append("💬")
    if inp.load is not None:
        if inp.load >= 0.8:
            parts.append("📈")
        elif inp.load <= 0.1:
            parts.append("🆒")
    if inp.uptime_s is not None and inp.uptime_s < _BABY_UPTIME_S:
        parts.append("👶")
    if inp.booting:
        parts.append("📡")
    return "".join(parts)
