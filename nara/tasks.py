"""Named background tasks with an owner: started together, cancelled and awaited on shutdown.

A long-lived task that crashes is logged by name and restarted with backoff (``restart=True``) or
stops the whole process (``restart=False``); nothing dies silently (architecture rule 4).

The backoff is per task: 1, 2, 4 … 60 s between restarts of a task that keeps crashing, and back
to 1 s once the task has run ``HEALTHY_AFTER_S`` without crashing, so a few bad inputs spread over
an afternoon never leave a task (the publisher, say) 60 s behind each time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

log = logging.getLogger("nara.tasks")

RESTART_FIRST_S: Final = 1.0
RESTART_MAX_S: Final = 60.0
HEALTHY_AFTER_S: Final = 60.0

Sleep = Callable[[float], Awaitable[None]]


class Supervisor:
    """Owns every background task of one running node.

    ``clock`` (monotonic seconds) and ``sleep`` are injectable so tests can drive the restart
    schedule without waiting."""

    def __init__(
        self,
        on_fatal: Callable[[str, BaseException], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._on_fatal = on_fatal
        self._clock = clock
        self._sleep = sleep
        self._closing = False

    def spawn(
        self, name: str, factory: Callable[[], Awaitable[None]], *, restart: bool = True
    ) -> None:
        if name in self._tasks:
            raise ValueError(f"task {name!r} already running")
        loop = asyncio.get_running_loop()
        self._tasks[name] = loop.create_task(self._guard(name, factory, restart), name=name)

    async def _guard(
        self, name: str, factory: Callable[[], Awaitable[None]], restart: bool
    ) -> None:
        delay = RESTART_FIRST_S
        while True:
            started = self._clock()
            try:
                await factory()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._closing:
                    return
                if not restart:
                    log.exception("task %s crashed; stopping nara", name)
                    self._on_fatal(name, exc)
                    return
                if self._clock() - started >= HEALTHY_AFTER_S:
                    delay = RESTART_FIRST_S
                log.exception("task %s crashed; restarting in %.0f s", name, delay)
                await self._sleep(delay)
                delay = min(delay * 2, RESTART_MAX_S)
                continue
            if self._closing or not restart:
                return
            if self._clock() - started >= HEALTHY_AFTER_S:
                delay = RESTART_FIRST_S
            log.warning("task %s returned unexpectedly; restarting in %.0f s", name, delay)
            await self._sleep(delay)
            delay = min(delay * 2, RESTART_MAX_S)

    def __len__(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        """Cancel every task and wait for all of them. Safe to call twice."""
        self._closing = True
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
