"""Pure tease triggers and the cooldown (nara.core.teases), checked against social.go's rules."""

from __future__ import annotations

import hashlib

from nara.core.personality import Personality
from nara.core.teases import (
    TeaseCooldown,
    is_nice_number,
    partition_subjects,
    should_random_tease,
    should_tease_for_comeback,
    should_tease_for_nice_number,
    should_tease_for_restarts,
    should_tease_for_trend_abandon,
    tease_resonates,
)

AVERAGE = Personality(agreeableness=50, sociability=50, chill=50)
SOCIAL = Personality(agreeableness=0, sociability=99, chill=0)
DAY = 86400


def test_restarts_rate_not_count() -> None:
    now = 10 * DAY
    assert not should_tease_for_restarts(100, now - DAY // 2, now, SOCIAL)  # under a day old
    assert should_tease_for_restarts(30, now - 3 * DAY, now, AVERAGE)  # 10/day
    assert not should_tease_for_restarts(1000, now - 1000 * DAY, now, AVERAGE)  # 1/day


def test_restart_threshold_floor_and_personality() -> None:
    now = 10 * DAY
    # threshold 2 - 99/200 = 1.505: 1.6/day teased by a social nara, not by an average one (3.0)
    assert should_tease_for_restarts(16, now - 10 * DAY, now, SOCIAL)
    assert not should_tease_for_restarts(16, now - 10 * DAY, now, AVERAGE)


def test_comeback_only_from_missing() -> None:
    assert should_tease_for_comeback("MISSING", "ONLINE", AVERAGE)
    assert not should_tease_for_comeback("OFFLINE", "ONLINE", AVERAGE)
    assert not should_tease_for_comeback("MISSING", "MISSING", AVERAGE)
    assert not should_tease_for_comeback("MISSING", "ONLINE", Personality(50, 40, 50))


def test_trend_abandon() -> None:
    assert should_tease_for_trend_abandon("disco", "", 0.5, AVERAGE)
    assert not should_tease_for_trend_abandon("", "disco", 0.9, AVERAGE)
    assert not should_tease_for_trend_abandon("disco", "disco", 0.9, AVERAGE)
    assert not should_tease_for_trend_abandon("disco", "", 0.1, AVERAGE)
    assert not should_tease_for_trend_abandon("disco", "", 0.9, Personality(71, 50, 50))


def test_nice_numbers() -> None:
    nice = [42, 69, 1337, 100, 2500, 11, 121, 12321]
    assert all(is_nice_number(n) for n in nice)
    assert not any(is_nice_number(n) for n in [0, 7, 43, 150, 1001 + 1])


def test_nice_number_roll_is_the_reference_die() -> None:
    for n in [42, 69, 100, 222, 1337]:
        roll = int.from_bytes(hashlib.sha256(f"nice-{n}".encode()).digest()[:8], "big") % 100
        assert should_tease_for_nice_number(n, AVERAGE) == (roll < 70)
    assert not should_tease_for_nice_number(43, SOCIAL)


def test_random_tease_is_rare_and_deterministic() -> None:
    hits = sum(should_random_tease("soul", "bob", t, AVERAGE) for t in range(20000))
    assert 150 < hits < 350  # threshold 10+5-2 = 13 per mille
    assert should_random_tease("s", "b", 5, AVERAGE) == should_random_tease("s", "b", 5, AVERAGE)
    capped = sum(should_random_tease("soul", "bob", t, SOCIAL, boost=100.0) for t in range(20000))
    assert 800 < capped < 1200  # capped at 5 %


def test_resonance_threshold_clamped() -> None:
    hits = sum(tease_resonates(f"ev{i}", "soul", AVERAGE) for i in range(5000))
    assert 2000 < hits < 3000  # 50+10-5-2 = 53 %


def test_partition_matches_reference_hash() -> None:
    parts = partition_subjects(["a", "b", "c", "d"], 2)
    assert parts == [["b", "d"], ["a", "c"]]  # ord('a')=97 odd
    assert partition_subjects(["x"], 5) == [["x"]]


def test_cooldown_per_pair_and_bounded() -> None:
    cd = TeaseCooldown(cooldown_s=300, max_entries=2)
    assert cd.try_tease("me", "bob", 1000)
    assert not cd.try_tease("me", "bob", 1300)  # exactly the cooldown: still cooling
    assert cd.try_tease("me", "bob", 1301)
    assert cd.try_tease("me", "eve", 1301)
    assert not cd.try_tease("me", "zed", 1302)  # full: refuse rather than grow
    assert len(cd) == 2
    assert cd.try_tease("me", "zed", 1302 + 601)  # old pairs forgotten, room again
