"""Named background tasks with an owner: started together, cancelled and awaited on shutdown.

A long-lived task that crashes is logged by name and restarted with backoff (``restart=True``) or
stops the whole process (``restart=False``); nothing dies silently (architecture rule 4).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("nara.tasks")


class Supervisor:
    """Owns every background task of one running node."""

    def __init__(self, on_fatal: Callable[[str, BaseException], None]) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._on_fatal = on_fatal
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
        delay = 1.0
        while True:
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
                log.exception("task %s crashed; restarting in %.0f s", name, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            if self._closing or not restart:
                return
            log.warning("task %s returned unexpectedly; restarting", name)
            await asyncio.sleep(delay)

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
