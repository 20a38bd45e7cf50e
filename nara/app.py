"""THE wiring place: ``build_app`` constructs every adapter and connects them.

Boot order is the order of ``cleanup_ctx``; cleanup runs in reverse (aiohttp's advice for complex
applications). Test seams are parameters (``clock``, ``rand``, ``sensors``), never globals.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from nara.config import Config
from nara.context import CTX, NaraContext
from nara.core.handover import Bundle
from nara.core.identity import Identity
from nara.core.protocol import Node, subscriptions
from nara.feed import Feed
from nara.handover import Desk
from nara.handover import add_routes as add_handover_routes
from nara.http.assets import AssetStore
from nara.http.metrics import REGISTRY, make_registry
from nara.http.routes import add_routes
from nara.plaza import Plaza, parse_broker_url
from nara.runtime import NodeRuntime, wall_clock_ns
from nara.sensors import SensorReader
from nara.state import StateStore, boot
from nara.tasks import Supervisor

log = logging.getLogger("nara")
SHUTDOWN_BUDGET_S = 5.0


def build_app(
    config: Config,
    identity: Identity,
    *,
    clock: Callable[[], int] = wall_clock_ns,
    rand: random.Random | None = None,
    sensors: SensorReader | None = None,
    build: dict[str, str] | None = None,
    on_fatal: Callable[[str, BaseException], None] | None = None,
    handed: Bundle | None = None,
    on_handed_over: Callable[[], None] | None = None,
) -> web.Application:
    rand = rand or random.SystemRandom()
    start_ns = clock()
    # What this nara must not forget between runs (nara/state.py): saved at once, and at shutdown.
    store = StateStore(config.state_dir, identity.nara_id, identity.name, log)
    if handed is None:
        remembered = boot(store, start_ns // 1_000_000_000)
    else:  # a handover: the old instance's memory, not a restart (nara/handover.py)
        remembered = handed.remembered
        store.save(remembered)
    node = Node(identity, config.node, rand, start_ns, remembered=remembered)
    if handed is not None:
        node.adopt(handed.events)
        log.info(
            "took over from the old instance: start time %d, restarts %d, %d ledger events",
            remembered.start_time_s,
            remembered.restarts,
            len(handed.events),
        )
    feed = Feed()
    runtime = NodeRuntime(
        node, clock=clock, sensors=sensors or SensorReader(kubernetes=config.kubernetes), feed=feed
    )
    assets = AssetStore(config.base_path)
    plaza = None
    if config.mqtt_host:
        plaza = Plaza(
            parse_broker_url(config.mqtt_host),
            name=identity.name,
            username=config.mqtt_user,
            password=config.mqtt_pass,
            insecure=config.mqtt_insecure,
            subscriptions=subscriptions(identity.name),
            deliver=runtime.deliver,
            on_state=runtime.plaza_state,
            rand=rand,
        )
        runtime.plaza = plaza
    ctx = NaraContext(
        config=config,
        identity=identity,
        runtime=runtime,
        feed=feed,
        assets=assets,
        plaza=plaza,
        build=dict(build or {}),
    )

    app = web.Application()
    app[CTX] = ctx
    app[REGISTRY] = make_registry(ctx)
    desk = Desk(
        accepting=config.accept_takeover,
        identity=identity,
        clock=clock,
        snapshot=lambda: Bundle(
            identity.name,
            identity.nara_id,
            node.remembered(),
            tuple(entry.event for entry in node.ledger),
        ),
        quiet=runtime.go_quiet,
        finish=on_handed_over or (lambda: None),
    )
    add_handover_routes(app, config.base_path, desk)
    add_routes(app, config.base_path)

    def fatal(name: str, exc: BaseException) -> None:
        if on_fatal is not None:
            on_fatal(name, exc)

    async def node_tasks(app: web.Application) -> AsyncIterator[None]:
        supervisor = Supervisor(fatal)
        supervisor.spawn("ticker", runtime.run_ticker)
        supervisor.spawn("publisher", runtime.run_publisher)
        if plaza is not None:
            log.info("joining the plaza at %s", plaza.address.display)
            if config.mqtt_insecure and plaza.address.tls:
                log.warning("TLS certificate verification of the broker is OFF (-mqtt-insecure)")
            supervisor.spawn("plaza", plaza.run)
        else:
            log.info("no MQTT broker configured (-mqtt-host): running alone, without a plaza")
        yield
        # Shutdown: remember (local and quick), chau (while the plaza is still up), then end
        # streams, then tasks.
        await asyncio.to_thread(store.save, node.remembered())
        await runtime.say_goodbye()
        feed.close()
        await supervisor.close()

    app.cleanup_ctx.append(node_tasks)

    async def close_streams(app: web.Application) -> None:
        feed.close()  # SSE handlers end before aiohttp waits for them

    app.on_shutdown.append(close_streams)
    return app
