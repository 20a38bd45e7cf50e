"""The observation book: per subject, the facts the reference derives its Trinity from, kept
apart from the ledger (which evicts its oldest entries) and bounded per subject.

The derivations follow the reference's ledger rules (checkpoint_types.go:338-638):

- restarts = the latest checkpoint's ``restarts`` + the number of distinct ``start_time`` values
  of (non-backfill) restart observations whose ``start_time`` is after the checkpoint's
  ``as_of_time``; with no checkpoint, the number of distinct ``start_time`` values;
- total uptime = the checkpoint's ``total_uptime`` + the ONLINE → OFFLINE/MISSING intervals of
  status-change observations after ``as_of_time`` (an open ONLINE interval counts up to now);
- first seen = the least positive ``start_time`` of any observation or checkpoint.

Observations in this book are the ones *this* nara made (the plaza carries no one else's); a
checkpoint is a verified final (``nara.core.checkpoints``).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from nara.core.events import OBS_RESTART, OBS_STATUS_CHANGE, Observation, SyncEvent
from nara.core.payloads import MISSING, OFFLINE, ONLINE, Checkpoint

NS = 1_000_000_000
MAX_START_TIMES = 64  # distinct restart start_times kept per subject
MAX_STATUS_CHANGES = 256  # status-change observations kept per subject (the newest)
MAX_TIMELINE = 256  # online/offline marks kept per subject for the uptime periods


@dataclass(frozen=True, slots=True)
class UptimePeriod:
    """One stretch of the uptime timeline (http_inspector.go:774-780); times in seconds."""

    type: str  # "online" | "offline" | "historical"
    start_time: int
    end_time: int  # 0 while ongoing
    duration: int
    ongoing: bool

    def to_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "duration": self.duration,
            "ongoing": self.ongoing,
        }


@dataclass(slots=True)
class _Subject:
    first_seen: int = 0  # least positive start_time seen in an observation
    restart_starts: OrderedDict[int, None] = field(default_factory=OrderedDict)
    status_changes: deque[tuple[int, str]] = field(
        default_factory=lambda: deque(maxlen=MAX_STATUS_CHANGES)
    )  # (ts s, ONLINE/OFFLINE/MISSING)
    timeline: deque[tuple[int, str, str]] = field(
        default_factory=lambda: deque(maxlen=MAX_TIMELINE)
    )  # (ts s, online/offline, source)


def trimmed_mean(values: list[int]) -> int:
    """The reference's TrimmedMeanInt64 (math_helpers.go:15-85): drop non-positive values, take
    the median (element len/2 of the sorted list), keep values within [median/5, median*5]
    (integer division) and return their integer mean; the median when none is kept; 0 when
    nothing is positive."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return 0
    median = positive[len(positive) // 2]
    kept = [v for v in positive if median // 5 <= v <= median * 5]
    if not kept:
        return median
    return sum(kept) // len(kept)


class ObservationBook:
    """Subject name → the observation facts above. Bounded per subject; the node forgets a
    subject when it forgets the nara."""

    def __init__(self) -> None:
        self._subjects: dict[str, _Subject] = {}

    def __len__(self) -> int:
        return len(self._subjects)

    def __contains__(self, name: object) -> bool:
        return name in self._subjects

    def forget(self, name: str) -> None:
        self._subjects.pop(name, None)

    def record(self, event: SyncEvent) -> None:
        """Fold in an event the node appended: its own observations, and hey-there / chau marks
        for the uptime timeline."""
        p = event.payload
        ts_s = event.ts // NS
        if isinstance(p, Observation):
            s = self._subjects.setdefault(p.subject, _Subject())
            if p.start_time > 0 and (not s.first_seen or p.start_time < s.first_seen):
                s.first_seen = p.start_time
            if p.type == OBS_RESTART and not p.is_backfill and p.start_time > 0:
                s.restart_starts[p.start_time] = None
                while len(s.restart_starts) > MAX_START_TIMES:
                    s.restart_starts.popitem(last=False)
            if p.type == OBS_STATUS_CHANGE:
                s.status_changes.append((ts_s, p.online_state))
                mark = "online" if p.online_state == ONLINE else "offline"
            else:
                mark = "online"
            s.timeline.append((ts_s, mark, f"observation:{p.type}"))
            return
        kind = event.svc
        if kind in ("hey-there", "chau"):
            for name in event.subjects():
                known = self._subjects.get(name)
                if known is not None:
                    mark = "online" if kind == "hey-there" else "offline"
                    known.timeline.append((ts_s, mark, kind.replace("-", "_")))

    def first_seen(self, name: str) -> int:
        s = self._subjects.get(name)
        return s.first_seen if s is not None else 0

    def restart_start_times(self, name: str) -> list[int]:
        s = self._subjects.get(name)
        return list(s.restart_starts) if s is not None else []

    def status_changes(self, name: str) -> list[tuple[int, str]]:
        s = self._subjects.get(name)
        return list(s.status_changes) if s is not None else []

    def timeline(self, name: str) -> list[tuple[int, str, str]]:
        s = self._subjects.get(name)
        return sorted(s.timeline) if s is not None else []


def _online_seconds(changes: list[tuple[int, str]], after: int, now_s: int) -> int:
    total = 0
    online_since = 0
    for ts, state in sorted(changes):
        if after and ts <= after:
            continue
        if state == ONLINE and not online_since:
            online_since = ts
        elif state in (OFFLINE, MISSING) and online_since:
            total += ts - online_since
            online_since = 0
    if online_since:
        total += max(0, now_s - online_since)
    return total


def derive(
    book: ObservationBook, name: str, checkpoint: Checkpoint | None, now_s: int
) -> tuple[int, int, int]:
    """(restarts, total uptime s, first seen s) of ``name`` by the reference's rules."""
    starts = book.restart_start_times(name)
    changes = book.status_changes(name)
    first = book.first_seen(name)
    if checkpoint is None:
        return len(starts), _online_seconds(changes, 0, now_s), first
    as_of = checkpoint.as_of_time
    restarts = checkpoint.restarts + len({t for t in starts if t > as_of})
    uptime = checkpoint.total_uptime + _online_seconds(changes, as_of, now_s)
    if checkpoint.start_time > 0 and (not first or checkpoint.start_time < first):
        first = checkpoint.start_time
    return restarts, uptime, first


def uptime_periods(
    book: ObservationBook, name: str, checkpoint: Checkpoint | None, now_s: int
) -> list[UptimePeriod]:
    """The online/offline timeline of ``name``, newest first (http_inspector.go:785-987): a
    "historical" period for a checkpoint's uptime, then periods from our own marks after it."""
    periods: list[UptimePeriod] = []
    marks = book.timeline(name)
    current, since = "", 0
    if checkpoint is not None:
        if checkpoint.total_uptime > 0:
            periods.append(
                UptimePeriod(
                    "historical",
                    checkpoint.start_time,
                    checkpoint.as_of_time,
                    checkpoint.total_uptime,
                    False,
                )
            )
        marks = [m for m in marks if m[0] > checkpoint.as_of_time]
        current, since = "online", checkpoint.as_of_time
    for ts, mark, _source in marks:
        if not since:
            current, since = mark, ts
            continue
        if mark != current:
            periods.append(UptimePeriod(current, since, ts, ts - since, False))
            current, since = mark, ts
    if since:
        periods.append(UptimePeriod(current, since, 0, max(0, now_s - since), True))
    periods.reverse()
    return periods
