"""Howdy coordinators: who answers a newcomer's hey-there, and with which neighbours (§2.3 howdy).

Every accepted hey-there arms a coordinator for its sender with a 0-3 s random delay. When it fires,
we reply only if fewer than 10 howdys for that target have been seen (ours and others'), numbering
ours ``seen + 1`` and listing neighbours that earlier howdys did not mention. Forgotten after 30 s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

MAX_HOWDYS = 10
MAX_COORDINATORS = 64  # pending at once; a burst of newcomers beyond this gets no reply from us
FORGET_AFTER_NS = 30 * 1_000_000_000

T = TypeVar("T")


@dataclass(slots=True)
class Coordinator:
    due_ns: int
    armed_ns: int
    seen: int = 0
    mentioned: set[str] = field(default_factory=set)
    fired: bool = False


class Coordinators:
    def __init__(self) -> None:
        self._by_target: dict[str, Coordinator] = {}

    def __len__(self) -> int:
        return len(self._by_target)

    def arm(self, target: str, due_ns: int) -> None:
        current = self._by_target.get(target)
        if current is None and len(self._by_target) >= MAX_COORDINATORS:
            return
        if current is None or current.fired:
            self._by_target[target] = Coordinator(due_ns=due_ns, armed_ns=due_ns)

    def forget(self, target: str) -> None:
        self._by_target.pop(target, None)

    def observe(self, target: str, sender: str, neighbours: list[str]) -> None:
        """Count a howdy someone sent to ``target`` (even before it is verified, as Go does)."""
        current = self._by_target.get(target)
        if current is None:
            return
        current.seen += 1
        if len(current.mentioned) < 1000:
            current.mentioned.add(sender)
            current.mentioned.update(neighbours)

    def due(
        self, now_ns: int, candidates: Callable[[str, set[str]], list[T]]
    ) -> Iterator[tuple[str, int, list[T]]]:
        """Yield (target, seq, neighbours) for every coordinator whose timer has fired."""
        for target, coordinator in list(self._by_target.items()):
            if now_ns - coordinator.armed_ns > FORGET_AFTER_NS:
                del self._by_target[target]
                continue
            if coordinator.fired or now_ns < coordinator.due_ns:
                continue
            coordinator.fired = True
            if coordinator.seen >= MAX_HOWDYS:
                continue
            yield target, coordinator.seen + 1, candidates(target, coordinator.mentioned)
