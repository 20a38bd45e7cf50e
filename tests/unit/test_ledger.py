"""The ledger: dedupe by id, bounded capacity, contiguous sequence numbers for SSE resume."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nara.core.crypto import SigningKey
from nara.core.events import make_chau, make_hey_there
from nara.core.ledger import Ledger

KEY = SigningKey(bytes(range(32)))


def hey(i: int):  # type: ignore[no-untyped-def]
    return make_hey_there(KEY, f"n{i % 7}", "id", 1_700_000_000_000_000_000 + i)


def test_dedupes_by_id() -> None:
    ledger = Ledger(10)
    assert ledger.append(hey(1)) is not None
    assert ledger.append(hey(1)) is None
    assert len(ledger) == 1 and ledger.last_seq == 1


def test_capacity_evicts_oldest_and_counts() -> None:
    ledger = Ledger(3)
    for i in range(5):
        ledger.append(hey(i))
    assert len(ledger) == 3 and ledger.evicted == 2
    assert [e.seq for e in ledger] == [3, 4, 5]
    assert ledger.by_service() == {"hey-there": 3}


@given(st.integers(1, 20), st.integers(0, 60), st.integers(-5, 70))
def test_since_returns_exactly_the_entries_after_seq(capacity: int, count: int, seq: int) -> None:
    ledger = Ledger(capacity)
    for i in range(count):
        ledger.append(hey(i))
    got = [e.seq for e in ledger.since(seq)]
    assert got == [e.seq for e in ledger if e.seq > seq]


def test_query_filters_and_pages_newest_first() -> None:
    ledger = Ledger(100)
    for i in range(10):
        ledger.append(hey(i))
    ledger.append(make_chau(KEY, "n1", "id", 1_800_000_000_000_000_000))
    page, total = ledger.query(service="hey-there", limit=3, offset=1)
    assert total == 10 and [e.seq for e in page] == [9, 8, 7]
    about, n = ledger.query(subject="n1")
    assert n == 3 and about[0].event.svc == "chau"


def test_rejects_nonpositive_capacity() -> None:
    with pytest.raises(ValueError):
        Ledger(0)
