"""``/api/inspector/projections``: the reference's summary of what this nara derives about every
nara (http_inspector.go:402-484): ``online_status`` per subject the ledger mentions (status,
when and from whom the last word came, total uptime), ``clout`` (our clout opinions, as
``/social/clout``), and ``opinions`` per known nara (start time, restarts, last restart, how many
observations back it, and the reference's consensus words: none, weak 1-2, moderate 3-5,
strong 6+). ``last_event_time`` is in nanoseconds; ``last_event_type`` is the status word (we
fold statuses, not event kinds); ``observer`` is this nara."""

from __future__ import annotations

from nara.core.protocol import Node


def _consensus(count: int) -> str:
    if count > 5:
        return "strong"
    if count > 2:
        return "moderate"
    return "weak" if count > 0 else "none"


def inspector_projections(node: Node, now: int) -> dict[str, object]:
    names = [node.name, *sorted(n.name for n in node.neighbourhood)]
    online: dict[str, object] = {}
    opinions: dict[str, object] = {}
    threshold = node.settings.missing_after_s
    for name in names:
        trinity = node.trinity(name, now)
        word = node.projection.word(name)
        if word is not None:
            online[name] = {
                "status": node.projection.status(name, now, threshold),
                "last_event_time": word.ts,
                "last_event_type": word.status,
                "observer": node.name,
                "total_uptime": trinity.total_uptime,
            }
        n = node.neighbourhood.get(name)
        count = len(node.observations.timeline(name))
        opinions[name] = {
            "start_time": trinity.start_time,
            "restart_num": trinity.restarts,
            "last_restart": n.last_restart
            if n is not None
            else node.me.observation(now).last_restart,
            "observation_count": count,
            "consensus": _consensus(count),
        }
    return {"online_status": online, "clout": dict(node.clout), "opinions": opinions}
