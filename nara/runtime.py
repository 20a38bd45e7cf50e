"""The node's shell: feeds plaza messages and clock ticks to the pure core and carries out the
commands it returns (publish, notify the live feed, count drops, log).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from nara.core import protocol
from nara.core.names import printable
from nara.core.protocol import (
    Appended,
    Command,
    Dropped,
    Forgotten,
    Node,
    Note,
    Publish,
    StatusChanged,
)
from nara.feed import Feed, Frame, entry_frame
from nara.plaza import Plaza
from nara.readmodel import ReadModel, plaza_state
from nara.sensors import SensorReader

log = logging.getLogger("nara.node")


def wall_clock_ns() -> int:
    return time.time_ns()


def topic_label(topic: str) -> str:
    """Bounded label values for /metrics: peers choose topic names, not our series count."""
    if topic.startswith(protocol.TOPIC_NEWSPAPER_PREFIX):
        return "nara/newspaper/+"
    if topic.startswith("nara/ledger/") and topic.endswith("/request"):
        return "nara/ledger/+/request"
    if topic in (protocol.TOPIC_HEY_THERE, protocol.TOPIC_CHAU, protocol.TOPIC_HOWDY):
        return topic
    return "other"


@dataclass
class Stats:
    received: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    published: Counter[str] = field(default_factory=Counter)


class NodeRuntime:
    """Single owner of the Node; every input goes through here on the event loop."""

    def __init__(
        self,
        node: Node,
        *,
        clock: Callable[[], int],
        sensors: SensorReader,
        feed: Feed,
    ) -> None:
        self.node = node
        self.clock = clock
        self.sensors = sensors
        self.feed = feed
        self.stats = Stats()
        self.plaza: Plaza | None = None
        # What the HTTP side reads (nara/readmodel.py): kept current after every batch below.
        self.model = ReadModel(node, feed, clock())
        self._outbox: asyncio.Queue[Publish] = asyncio.Queue(maxsize=1000)
        self._stopped = False
        self.quiet = False  # handed over (nara/handover.py): nothing more goes out, not even chau

    # ---- inputs ---------------------------------------------------------------------------

    def deliver(self, topic: str, payload: bytes) -> None:
        """A message from the plaza. Never raises: a decoder bug must not kill the pump."""
        self.stats.received[topic_label(topic)] += 1
        try:
            commands = self.node.on_message(topic, payload, self.clock())
        except Exception:
            log.exception("internal error handling a message on %s; dropped", printable(topic))
            self.stats.dropped["internal_error"] += 1
            return
        sender = topic[len(protocol.TOPIC_NEWSPAPER_PREFIX) :]
        newspaper = topic.startswith(protocol.TOPIC_NEWSPAPER_PREFIX)
        self.execute(commands, also=(sender,) if newspaper and commands else ())

    def plaza_state(self, connected: bool) -> None:
        now = self.clock()
        self.execute(self.node.on_connected(now) if connected else self.node.on_disconnected(now))
        self.observe_plaza(now)

    def tick(self) -> None:
        now = self.clock()
        self.execute(self.node.tick(now, self.sensors.read()))
        self.observe_plaza(now)
        self.model.reconcile(now)

    def observe_plaza(self, now: int) -> None:
        """Tell the read model what the plaza is doing (connected, silent, reconnecting, …)."""
        plaza = self.plaza
        if plaza is None:
            self.model.set_plaza("alone", "", now)
            return
        state = plaza_state(True, plaza.connected.is_set(), plaza.responsive, plaza.connects > 0)
        self.model.set_plaza(state, plaza.address.display, now)

    # ---- commands -------------------------------------------------------------------------

    def execute(self, commands: list[Command], also: tuple[str, ...] = ()) -> None:
        """Carry out one batch of commands, then bring the read model up to date with the naras
        they name (and ``also``: a newspaper's sender, whose card it may have changed)."""
        touched: set[str] = set(also)
        for command in commands:
            if isinstance(command, Publish):
                try:
                    self._outbox.put_nowait(command)
                except asyncio.QueueFull:
                    self.stats.dropped["outbox_full"] += 1
            elif isinstance(command, Appended):
                touched.update(command.entry.subjects)
                touched.add(command.entry.event.emitter)
                if command.entry.event.svc == "social":
                    self.model.note_social(command.entry, self.clock())
                frame = entry_frame(command.entry, self.model.rev)
                if frame is not None:
                    self.feed.publish(frame)
            elif isinstance(command, StatusChanged):
                touched.add(command.name)
                if command.previous or command.online != "ONLINE":
                    log.info("%s is now %s", command.name, command.online)
                data: dict[str, object] = {
                    "name": command.name,
                    "online": command.online,
                    "previous": command.previous,
                }
                self.feed.publish(Frame("status", data))
            elif isinstance(command, Dropped):
                self.stats.dropped[command.reason] += 1
                log.debug(
                    "dropped a message on %s: %s (%s)",
                    printable(command.topic),
                    command.reason,
                    printable(command.detail),
                )
            elif isinstance(command, Forgotten):
                touched.add(command.name)  # the read model drops its card at once
            elif isinstance(command, Note):
                log.log(logging.getLevelName(command.level.upper()), "%s", command.message)
        if touched:
            self.model.touch(touched, self.clock())

    # ---- long-lived tasks -----------------------------------------------------------------

    async def run_ticker(self) -> None:
        while True:
            self.tick()
            await asyncio.sleep(1.0)

    async def run_publisher(self) -> None:
        """Drain the outbox onto the plaza, in order. One message never stops the rest:
        ``Plaza.publish`` counts, logs (rate-limited) and swallows its own failures, and anything
        it might still raise is one log line here and that message is skipped."""
        while True:
            command = await self._outbox.get()
            if self.plaza is None or self.quiet:
                continue
            try:
                sent = await self.plaza.publish(command.topic, command.payload, command.qos)
            except Exception as exc:
                log.error(
                    "publishing on %s failed (%s); message skipped",
                    topic_label(command.topic),
                    type(exc).__name__,
                )
                continue
            if sent:
                self.stats.published[topic_label(command.topic)] += 1

    def go_quiet(self) -> None:
        """Handed over: publish nothing from now on, and skip the chau at shutdown (the new
        instance speaks for this nara now)."""
        self.quiet = True
        self._stopped = True
        while not self._outbox.empty():
            self._outbox.get_nowait()

    async def say_goodbye(self, wait_s: float = 2.0) -> None:
        """Shutdown: publish the chau straight away (bypassing the outbox) and wait for the ack."""
        if self._stopped:
            return
        self._stopped = True
        for command in self.node.shutdown(self.clock()):
            if isinstance(command, Publish) and self.plaza is not None:
                try:
                    sent = await asyncio.wait_for(
                        self.plaza.publish(command.topic, command.payload, command.qos, wait_s),
                        wait_s,
                    )
                except TimeoutError:
                    sent = False
                log.info("said chau on the plaza" if sent else "could not say chau (no plaza)")
            elif not isinstance(command, Publish):
                self.execute([command])
