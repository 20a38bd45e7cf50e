"""The supervisor's restart schedule, driven by a fake clock and a fake sleep: a task that keeps
crashing waits 1, 2, 4 … 60 s between restarts; one that ran 60 s without crashing restarts after
1 s again; each task has its own schedule. Nothing here waits on the wall clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from nara.tasks import HEALTHY_AFTER_S, Supervisor


class FakeTime:
    """A monotonic clock that only moves when a task 'runs' or the supervisor 'sleeps'."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def scripted(
    time: FakeTime, runs: list[float], done: asyncio.Event, *, crash: bool = True
) -> Callable[[], Awaitable[None]]:
    """A task factory: the n-th run lasts ``runs[n]`` fake seconds, then crashes (or returns);
    after the script it sets ``done`` and blocks until cancelled."""
    script = iter(runs)

    async def run() -> None:
        duration = next(script, None)
        if duration is None:
            done.set()
            await asyncio.Event().wait()
            return
        time.now += duration
        await asyncio.sleep(0)
        if crash:
            raise RuntimeError("boom")

    return run


def no_fatal(name: str, exc: BaseException) -> None:
    raise AssertionError(f"unexpected fatal stop of {name}: {exc!r}")


async def run_script(runs: list[float], *, crash: bool = True) -> list[float]:
    time = FakeTime()
    done = asyncio.Event()
    supervisor = Supervisor(no_fatal, clock=time.clock, sleep=time.sleep)
    supervisor.spawn("publisher", scripted(time, runs, done, crash=crash))
    await done.wait()
    await supervisor.close()
    return time.sleeps


async def test_repeated_crashes_back_off_up_to_60_s() -> None:
    assert await run_script([0.0] * 9) == [1, 2, 4, 8, 16, 32, 60, 60, 60]


async def test_a_task_that_ran_well_restarts_at_the_shortest_delay_again() -> None:
    """The finding: seven bad inputs pushed the publisher's delay to 60 s for good. Now a run of
    HEALTHY_AFTER_S without a crash resets the delay to 1 s."""
    runs = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, HEALTHY_AFTER_S, 0.0, HEALTHY_AFTER_S + 5]
    assert await run_script(runs) == [1, 2, 4, 8, 16, 32, 60, 1, 2, 1]


async def test_a_short_healthy_run_does_not_reset_the_delay() -> None:
    assert await run_script([0.0, 0.0, HEALTHY_AFTER_S - 1, 0.0]) == [1, 2, 4, 8]


async def test_a_task_that_returns_is_restarted_on_the_same_schedule() -> None:
    assert await run_script([0.0, 0.0, HEALTHY_AFTER_S], crash=False) == [1, 2, 1]


async def test_each_task_has_its_own_delay() -> None:
    time = FakeTime()
    crashy_done, calm_done = asyncio.Event(), asyncio.Event()
    supervisor = Supervisor(no_fatal, clock=time.clock, sleep=time.sleep)
    supervisor.spawn("crashy", scripted(time, [0.0] * 5, crashy_done))
    await crashy_done.wait()
    crashy = list(time.sleeps)
    supervisor.spawn("calm", scripted(time, [0.0], calm_done))
    await calm_done.wait()
    await supervisor.close()
    assert crashy == [1, 2, 4, 8, 16]
    assert time.sleeps[len(crashy) :] == [1]  # calm's first restart: not crashy's 32 s


async def test_a_crash_without_restart_is_fatal() -> None:
    time = FakeTime()
    fatal: list[str] = []
    stopped = asyncio.Event()

    def on_fatal(name: str, exc: BaseException) -> None:
        fatal.append(name)
        stopped.set()

    supervisor = Supervisor(on_fatal, clock=time.clock, sleep=time.sleep)
    supervisor.spawn("plaza", scripted(time, [0.0], asyncio.Event()), restart=False)
    await stopped.wait()
    await supervisor.close()
    assert fatal == ["plaza"]
    assert time.sleeps == []


async def test_spawning_a_name_twice_is_refused() -> None:
    supervisor = Supervisor(no_fatal)
    supervisor.spawn("ticker", asyncio.Event().wait)
    with pytest.raises(ValueError, match="already running"):
        supervisor.spawn("ticker", asyncio.Event().wait)
    await supervisor.close()
