"""/metrics in the Prometheus text format, collected from the node's state at scrape time.

No label value is free text chosen by a peer: topics are folded by the runtime, drop reasons are a
fixed set, and the per-nara series carry only the ``name``, which the core validates
(``[A-Za-z0-9._-]{1,64}``) and whose count the bounded neighbourhood limits (``-max-naras``, so
at most ``max_naras + 1`` series per per-nara family). A peer's Flair or LicensePlate is shown by
the JSON API, never used as a label.

Values that can go down are gauges: a nara's restart count (it starts again from 0 when the nara
is forgotten and met anew), the roster, the SSE clients. The per-nara series and the status counts
are read from the read model (nara/readmodel.py), like every other HTTP view. The standard
``process_*`` (CPU, memory, descriptors, start time) and ``python_*`` series come from
prometheus_client's own collectors.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from nara.context import NaraContext
from nara.core.wire import DropReason

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_REASON = re.compile(r"[a-z0-9_]{1,40}")


def publish_failures(value: int | Mapping[str, int]) -> dict[str, int]:
    """The plaza's publish failures by reason, whether it counts them as one int or a Counter.

    Reasons come from our own code, but are checked anyway: an odd one is counted as "other".
    """
    if isinstance(value, int):
        return {"unknown": value}
    out: Counter[str] = Counter()
    for reason, n in value.items():
        out[reason if _REASON.fullmatch(reason) else "other"] += int(n)
    return dict(out)


def _count(value: object) -> int:
    """An int counter, or the sum of a Counter; anything else counts as 0."""
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        return sum(n for n in value.values() if isinstance(n, int))
    return 0


# Node.counters → (metric, help): one series each, no labels.
NODE_COUNTERS = {
    "roster_evictions": (
        "nara_roster_evictions",
        "Naras pushed out of a full roster to make room for a newcomer.",
    ),
    "rekeyed_by_vouches": (
        "nara_rekeyed_by_vouches",
        "Names whose key changed because established naras vouched for another.",
    ),
    "checkpoints_stored": (
        "nara_checkpoints_stored",
        "Verified checkpoint finals stored (ours and others').",
    ),
    "checkpoint_votes": (
        "nara_checkpoint_votes",
        "Votes this nara signed on others' checkpoint proposals.",
    ),
    "own_echoes": (
        "nara_own_echoes",
        "Our own messages the broker sent back to us (not acted on; not a drop).",
    ),
    "howdys_skipped": (
        "nara_howdys_skipped",
        "Howdy replies not sent because the howdy budget was spent.",
    ),
    "teases_sent": ("nara_teases_sent", "Teases this nara signed and published."),
    "teases_skipped": (
        "nara_teases_skipped",
        "Teases not sent because the tease budget was spent.",
    ),
    "hearsay_kept": (
        "nara_hearsay_kept",
        "Unverified social events kept as hearsay (outside the ledger).",
    ),
    "social_not_meaningful": (
        "nara_social_not_meaningful",
        "Social events this nara's personality did not keep.",
    ),
}


class NaraCollector(Collector):
    def __init__(self, ctx: NaraContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        ctx = self.ctx
        rt = ctx.runtime
        model = rt.model
        sizes = model.gauges()
        now = rt.clock()

        received = CounterMetricFamily(
            "nara_messages_received", "Plaza messages received, by topic.", labels=["topic"]
        )
        for topic, n in sorted(rt.stats.received.items()):
            received.add_metric([topic], n)
        yield received

        dropped = CounterMetricFamily(
            "nara_messages_dropped", "Plaza messages dropped, by reason.", labels=["reason"]
        )
        reasons = {r.value: 0 for r in DropReason} | dict(rt.stats.dropped)
        for reason, n in sorted(reasons.items()):
            dropped.add_metric([reason], n)
        yield dropped

        published = CounterMetricFamily(
            "nara_messages_published", "Plaza messages published, by topic.", labels=["topic"]
        )
        for topic, n in sorted(rt.stats.published.items()):
            published.add_metric([topic], n)
        yield published

        by_status = GaugeMetricFamily("nara_naras", "Naras known, by status.", labels=["status"])
        for status, n in rt.model.counts().items():
            by_status.add_metric([status], n)
        yield by_status

        yield GaugeMetricFamily(
            "nara_sse_clients", "Connected /events clients.", value=len(ctx.feed)
        )
        yield CounterMetricFamily(
            "nara_sse_clients_dropped",
            "Slow /events clients cut off.",
            value=ctx.feed.slow_clients_dropped,
        )
        yield GaugeMetricFamily(
            "nara_ledger_events", "Events held in the ledger.", value=sizes["ledger_events"]
        )
        yield GaugeMetricFamily(
            "nara_ledger_capacity", "Ledger capacity in events.", value=sizes["ledger_capacity"]
        )
        connected = 0 if ctx.plaza is None or not ctx.plaza.connected.is_set() else 1
        yield GaugeMetricFamily(
            "nara_plaza_connected", "1 while connected to the plaza.", value=connected
        )
        if ctx.plaza is not None:
            yield CounterMetricFamily(
                "nara_plaza_connects", "Successful plaza (re)connections.", value=ctx.plaza.connects
            )
            failures = CounterMetricFamily(
                "nara_publish_failures",
                "Messages that could not be published (no connection, or the broker failed).",
                labels=["reason"],
            )
            for reason, n in sorted(publish_failures(ctx.plaza.publish_failures).items()):
                failures.add_metric([reason], n)
            yield failures
            yield CounterMetricFamily(
                "nara_plaza_watchdog_trips",
                "Connections torn down because the broker stopped answering.",
                value=ctx.plaza.watchdog_trips,
            )
            silent = ctx.plaza.silent_s()
            yield GaugeMetricFamily(
                "nara_plaza_silent_seconds",
                "Seconds since the broker last said anything (-1 before it ever answered).",
                value=-1.0 if silent is None else silent,
            )
            yield CounterMetricFamily(
                "nara_mqtt_incoming_overflow",
                "Plaza messages discarded because the incoming queue was full.",
                value=_count(getattr(ctx.plaza, "incoming_overflow", 0)),
            )
        yield GaugeMetricFamily(
            "nara_roster_capacity",
            "Most other naras kept (-max-naras).",
            value=sizes["max_naras"],
        )
        for key, (name, help_text) in NODE_COUNTERS.items():
            yield CounterMetricFamily(name, help_text, value=model.counter(key))
        abstains = CounterMetricFamily(
            "nara_checkpoint_abstains",
            "Proposals this nara did not vote on, by why (booting: it has run too briefly; "
            "unsure: it has not observed the subject long enough to agree or disagree).",
            labels=["why"],
        )
        for why in ("booting", "unsure"):
            abstains.add_metric([why], model.counter(f"checkpoint_abstains_{why}"))
        yield abstains
        pruned = CounterMetricFamily(
            "nara_pruned", "Naras forgotten by tiered pruning, by tier.", labels=["tier"]
        )
        for tier in ("zombies", "newcomers", "established"):
            pruned.add_metric([tier], model.counter(f"pruned_{tier}"))
        yield pruned
        yield GaugeMetricFamily(
            "nara_asset_cache_entries",
            "Dashboard and docs files held in memory (only files that exist).",
            value=ctx.assets.cached,
        )

        build = GaugeMetricFamily("nara_build_info", "Build information.", labels=sorted(ctx.build))
        build.add_metric([ctx.build[k] for k in sorted(ctx.build)], 1)
        yield build

        info = GaugeMetricFamily("nara_info", "One series per known nara.", labels=["name"])
        online = GaugeMetricFamily("nara_online", "1 when the nara is ONLINE.", labels=["name"])
        last_seen = GaugeMetricFamily(
            "nara_last_seen_timestamp_seconds",
            "When this node last heard of the nara (Unix time).",
            labels=["name"],
        )
        restarts = GaugeMetricFamily(
            "nara_restarts",
            "Restarts of the nara this node has counted (from 0 again if it is forgotten).",
            labels=["name"],
        )
        my_last_seen, my_restarts = model.self_observation(now)
        info.add_metric([model.server], 1)
        online.add_metric([model.server], 1)
        last_seen.add_metric([model.server], my_last_seen)
        restarts.add_metric([model.server], my_restarts)
        for card in rt.model.neighbours():
            data = card.data
            info.add_metric([card.name], 1)
            online.add_metric([card.name], 1 if card.status == "ONLINE" else 0)
            last_seen.add_metric([card.name], _number(data.get("LastSeen")))
            restarts.add_metric([card.name], _number(data.get("Restarts")))
        yield from (info, online, last_seen, restarts)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


async def metrics(request: web.Request) -> web.Response:
    registry = request.app[REGISTRY]
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})


REGISTRY = web.AppKey("registry", CollectorRegistry)


def make_registry(ctx: NaraContext) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NaraCollector(ctx))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
