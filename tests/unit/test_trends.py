"""Trends (nara/core/trends.py): join, start and leave as social_trend.go:35-200 decides."""

from __future__ import annotations

from collections import deque

from nara.core import trends
from nara.core.personality import Personality
from nara.core.trends import Peer


class Dice:
    """A scripted random source: ``randrange`` answers from a list, ``shuffle`` keeps order."""

    def __init__(self, *rolls: int) -> None:
        self.rolls = deque(rolls)
        self.asked: list[int] = []

    def randrange(self, stop: int) -> int:
        self.asked.append(stop)
        value = self.rolls.popleft()
        assert 0 <= value < stop
        return value

    def shuffle(self, x: list[str]) -> None:
        pass


P = Personality(agreeableness=40, sociability=50, chill=60)


def peer(name: str, trend: str = "", emoji: str = "", online: bool = True, vibe: int = 0) -> Peer:
    return Peer(name, trend, emoji, online, vibe)


def test_joins_a_trend_its_neighbours_follow_with_their_emoji() -> None:
    peers = [peer("a", "zed-style", "🔥", vibe=3), peer("b", "zed-style", "🔥", vibe=9)]
    # chance = agreeableness 40 + 20 × one same-vibe member = 60; a roll of 59 of 150 joins
    dice = Dice(59)
    change = trends.step("me", 3, "", P, peers, dice)
    assert change == trends.Change("zed-style", "🔥", trends.BUZZ_JOIN, "joined")
    assert dice.asked == [150]


def test_a_roll_too_high_does_not_join_and_may_start_instead() -> None:
    peers = [peer("a", "zed-style", "🔥")]
    # join: chance 40 + 20 (vibe 0 = ours) = 60, roll 60 fails; start: sociability 50 / 10 = 5,
    # halved by the one trend = 2.5, plus the contrarian boost (its one follower is 100 % of the
    # online naras): (100 − 40) × (100 − 50) / 100 = 30, halved = 15 → int(17.5) = 17
    change = trends.step("me", 0, "", P, peers, Dice(60, 16, 4))
    assert change == trends.Change("me-style", trends.TREND_EMOJIS[4], trends.BUZZ_START, "started")
    assert trends.step("me", 0, "", P, peers, Dice(60, 17)) is None


def test_offline_naras_trends_are_not_counted() -> None:
    peers = [peer("a", "zed-style", "🔥", online=False)]
    dice = Dice(4, 17)  # no trend to join: the first roll is the start roll (chance 5 / 1)
    change = trends.step("me", 0, "", P, peers, dice)
    assert change == trends.Change("me-style", trends.TREND_EMOJIS[17], 5, "started")
    assert dice.asked == [100, len(trends.TREND_EMOJIS)]
    assert trends.step("me", 0, "", P, peers, Dice(5)) is None


def test_contrarians_start_underground_trends_when_one_is_mainstream() -> None:
    rebel = Personality(agreeableness=0, sociability=0, chill=50)
    peers = [peer(f"p{i}", "big-style", "✨", vibe=1) for i in range(4)]
    # joining: chance 0 + 0 same-vibe (ours is 2) → never; starting: base 0, mainstream 100 %,
    # boost (100 × 50) / 100 = 50, halved by the one trend = 25 → a roll of 24 starts one
    change = trends.step("me", 2, "", rebel, peers, Dice(0, 24, 0))
    assert change is not None and change.what == "started"
    assert trends.step("me", 2, "", rebel, peers, Dice(0, 25)) is None


def test_leaving_is_likelier_alone_and_for_the_unchill() -> None:
    alone: list[Peer] = []
    # chance = 100 − chill 60 + 30 (nobody else in it) = 70
    assert trends.step("me", 0, "me-style", P, alone, Dice(69)) == trends.Change(
        "", "", trends.BUZZ_LEAVE, "left"
    )
    assert trends.step("me", 0, "me-style", P, alone, Dice(70)) is None
    company = [peer("a", "me-style")]
    assert trends.step("me", 0, "me-style", P, company, Dice(39)) is not None
    assert trends.step("me", 0, "me-style", P, company, Dice(40)) is None


def test_a_name_too_long_for_a_trend_starts_none() -> None:
    long_name = "n" * 60
    assert trends.step(long_name, 0, "", P, [], Dice(0, 0)) is None


def test_the_emoji_is_copied_from_a_follower_even_when_empty() -> None:
    peers = [peer("a", "quiet-style", "")]
    change = trends.step("me", 0, "", P, peers, Dice(0))
    assert change is not None and change.emoji == ""
    assert trends.DEFAULT_EMOJI == "🕶️"
