"""A token bucket on the caller's clock (sans-io): what a burst of strangers may cost us."""

from __future__ import annotations

NS = 1_000_000_000


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; ``take(now_ns)`` spends one."""

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("a token bucket needs a positive rate and burst")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at = 0
        self.refused = 0

    def available(self, now_ns: int) -> bool:
        """Whether ``take`` would succeed now (nothing is spent)."""
        return self._refilled(now_ns) >= 1.0

    def _refilled(self, now_ns: int) -> float:
        if not self._at:
            return self._tokens
        elapsed = max(0, now_ns - self._at) / NS
        return min(float(self.burst), self._tokens + elapsed * self.rate)

    def take(self, now_ns: int) -> bool:
        if self._at:
            elapsed = max(0, now_ns - self._at) / NS
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._at = now_ns
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.refused += 1
        return False
