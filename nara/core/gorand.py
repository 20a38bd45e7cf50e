"""Port of Go's math/rand v1 seeded source, bit for bit (spec §1.8).

Names, personality and personal flair are drawn from ``rand.New(rand.NewSource(seed))`` in the
reference, so a Python node must reproduce Go's additive lagged Fibonacci generator exactly:
the 607-entry ``rngCooked`` table, the Lehmer ``seedrand`` warm-up, int64/uint64 wraparound,
Go's truncating remainder and the rejection loops of ``Int31n``/``Int63n``.

The ``rngCooked`` table comes from Go's ``src/math/rand/rng.go`` (BSD-3-Clause, Copyright The Go
Authors) and is vendored as package data in ``nara/data/go-math-rand-cooked.json``.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

_RNG_LEN = 607
_RNG_TAP = 273
_INT32_MAX = (1 << 31) - 1
_MASK64 = (1 << 64) - 1
_MASK63 = (1 << 63) - 1
_SEED_ZERO = 89482311  # Go replaces a zero seed with this constant.


def read_package_data(name: str) -> str:
    """Text of ``nara/data/<name>``, the vendored tables (read-only package data)."""
    try:
        return (resources.files("nara") / "data" / name).read_text("utf-8")
    except NotADirectoryError:
        # Only while ``nara`` is an implicit namespace package (no __init__.py): importlib cannot
        # resolve its files then, so go through the regular ``nara.core`` package instead.
        return (resources.files("nara.core") / ".." / "data" / name).read_text("utf-8")


@functools.cache
def _cooked() -> tuple[int, ...]:
    """The rngCooked table as unsigned 64-bit values (Go stores them as int64)."""
    data = json.loads(read_package_data("go-math-rand-cooked.json"))
    table = tuple(int(v) & _MASK64 for v in data["rngCooked"])
    if len(table) != _RNG_LEN or data.get("rngLen") != _RNG_LEN or data.get("rngTap") != _RNG_TAP:
        raise RuntimeError("go-math-rand-cooked.json does not hold Go's 607-entry rngCooked table")
    return table


def _seedrand(x: int) -> int:
    """Go's seedrand: one step of x[n+1] = 48271 * x[n] mod (2^31 - 1) via Schrage's method.

    x is always in [1, 2^31-2] here, so Python's floor division equals Go's truncation.
    """
    hi, lo = divmod(x, 44488)
    x = 48271 * lo - 3399 * hi
    if x < 0:
        x += _INT32_MAX
    return x


def _go_rem(a: int, n: int) -> int:
    """Go's ``%`` on signed integers: the result takes the sign of the dividend (truncation)."""
    r = abs(a) % abs(n)
    return -r if a < 0 else r


def _to_int64(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def seed_from_digest(digest: bytes) -> int:
    """The signed big-endian int64 of ``digest[0:8]``: how the reference seeds math/rand (§1.8)."""
    if len(digest) < 8:
        raise ValueError("a seed digest needs at least 8 bytes")
    return int.from_bytes(digest[:8], "big", signed=True)


class GoRand:
    """``rand.New(rand.NewSource(seed))`` from Go's math/rand v1 (explicitly seeded source)."""

    __slots__ = ("_feed", "_tap", "_vec")

    def __init__(self, seed: int) -> None:
        seed = _go_rem(_to_int64(seed), _INT32_MAX)
        if seed < 0:
            seed += _INT32_MAX
        if seed == 0:
            seed = _SEED_ZERO
        cooked = _cooked()
        vec = [0] * _RNG_LEN
        x = seed
        for i in range(-20, _RNG_LEN):
            x = _seedrand(x)
            if i >= 0:
                # Go computes int64(x) << 40 with int64 wraparound; masking to 64 bits is the same.
                u = (x << 40) & _MASK64
                x = _seedrand(x)
                u ^= x << 20
                x = _seedrand(x)
                u ^= x
                vec[i] = u ^ cooked[i]
        self._vec = vec  # unsigned 64-bit values; Go's int64 addition wraps identically
        self._tap = 0
        self._feed = _RNG_LEN - _RNG_TAP

    def uint64(self) -> int:
        """Next raw 64-bit value (Go's ``rngSource.Uint64``), in [0, 2^64)."""
        tap = self._tap - 1
        if tap < 0:
            tap += _RNG_LEN
        feed = self._feed - 1
        if feed < 0:
            feed += _RNG_LEN
        self._tap = tap
        self._feed = feed
        vec = self._vec
        x = (vec[feed] + vec[tap]) & _MASK64
        vec[feed] = x
        return x

    def int63(self) -> int:
        """A non-negative 63-bit integer (``Int63``)."""
        return self.uint64() & _MASK63

    def uint32(self) -> int:
        """``Uint32`` = ``uint32(Int63() >> 31)``."""
        return self.int63() >> 31

    def int31(self) -> int:
        """A non-negative 31-bit integer (``Int31`` = ``Int63() >> 32``)."""
        return self.int63() >> 32

    def int63n(self, n: int) -> int:
        """``Int63n``: uniform in [0, n) for 0 < n < 2^63."""
        if n <= 0 or n > _MASK63:
            raise ValueError("invalid argument to Int63n")
        if n & (n - 1) == 0:
            return self.int63() & (n - 1)
        limit = _MASK63 - (1 << 63) % n
        v = self.int63()
        while v > limit:
            v = self.int63()
        return v % n

    def int31n(self, n: int) -> int:
        """``Int31n``: uniform in [0, n) for 0 < n < 2^31 (mask for powers of two, else reject)."""
        if n <= 0 or n > _INT32_MAX:
            raise ValueError("invalid argument to Int31n")
        if n & (n - 1) == 0:
            return self.int31() & (n - 1)
        limit = _INT32_MAX - (1 << 31) % n
        v = self.int31()
        while v > limit:
            v = self.int31()
        return v % n

    def intn(self, n: int) -> int:
        """``Intn`` on a 64-bit platform: ``Int31n`` below 2^31, ``Int63n`` above."""
        if n <= 0:
            raise ValueError("invalid argument to Intn")
        if n <= _INT32_MAX:
            return self.int31n(n)
        return self.int63n(n)

    def float64(self) -> float:
        """``Float64``: Int63 / 2^63, redrawn in the (rare) case it rounds to 1.0."""
        while True:
            f = self.int63() / (1 << 63)
            if f != 1.0:
                return f
