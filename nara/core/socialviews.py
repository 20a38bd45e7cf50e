"""``/social/recent`` and ``/social/teases`` in the reference's shapes (http_ui.go:113-184),
plus what the reference cannot say: whether we verified an event or only heard it."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from nara.core.events import Social, SyncEvent
from nara.core.ledger import Entry

if TYPE_CHECKING:
    from nara.core.protocol import Node

RECENT_SOCIAL = 5  # GetRecentSocialEvents(5), sync_ledger.go:1398-1420

_TEMPLATES: dict[str, tuple[str, ...]] = {  # social.go:307-345
    "high-restarts": (
        "nice uptime there, {}",
        "{} keeping things exciting with all those restarts",
        "{} discovering the restart button",
        "persistence is key, right {}?",
    ),
    "comeback": (
        "oh look who decided to show up, {}",
        "welcome back {}, we almost forgot about you",
        "{} rises from the grave",
        "the prodigal {} returns",
    ),
    "trend-abandon": (
        "{} marching to their own beat now",
        "too cool for trends now, {}?",
        "{} going solo",
        "guess {} got bored",
    ),
    "random": ("hey", "sup", "*pokes*", "boop"),
    "nice-number": (
        "nice.",
        "ooh, {} hit a good one",
        "{} with the satisfying numbers",
        "appreciate the aesthetics, {}",
    ),
}


def tease_message(reason: str, target: str) -> str:
    """The reference's message for a reason, picked by the sum of the target's code points."""
    msgs = _TEMPLATES.get(reason)
    if not msgs:
        return ""
    return msgs[sum(ord(c) for c in target) % len(msgs)].format(target)


def social_item(event: SyncEvent, *, verified: bool, relayed_by: str = "") -> dict[str, object]:
    p = event.payload
    assert isinstance(p, Social)
    item: dict[str, object] = {
        "actor": p.actor,
        "target": p.target,
        "reason": p.reason,
        "message": tease_message(p.reason, p.target),
        "timestamp": event.ts // 1_000_000_000,
        "type": p.type,
        "id": event.id,
        "verified": verified,
    }
    if not verified:
        item["relayed_by"] = relayed_by
    return item


def recent(node: Node, limit: int = RECENT_SOCIAL, subject: str = "") -> list[dict[str, object]]:
    """The newest social events, verified (ledger) and hearsay, newest first."""
    items: list[tuple[int, dict[str, object]]] = []
    entries, _ = node.ledger.query(service="social", subject=subject, limit=limit)
    for entry in entries:
        items.append((entry.event.ts, social_item(entry.event, verified=True)))
    for h in node.hearsay.newest(limit, subject):
        items.append((h.event.ts, social_item(h.event, verified=False, relayed_by=h.relayed_by)))
    items.sort(key=lambda t: t[0], reverse=True)
    return [item for _, item in items[:limit]]


def social_recent(node: Node) -> dict[str, object]:
    return {"server": node.name, "events": recent(node) or None}


def social_teases(node: Node) -> dict[str, object]:
    """Teases per actor in our ledger (verified only), most first (GetTeaseCounts)."""
    counts: Counter[str] = Counter()
    for entry in node.ledger:
        p = entry.event.payload
        if isinstance(p, Social) and p.type == "tease":
            counts[p.actor] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"server": node.name, "teases": [{"actor": a, "count": c} for a, c in ranked] or None}


def mark(item: dict[str, object], entry: Entry) -> dict[str, object]:
    """An inspector item of a social event from the ledger: verified, by construction."""
    if entry.event.svc == "social":
        item["verified"] = True
    return item


def inspector_hearsay(
    node: Node, subject: str, limit: int, offset: int
) -> tuple[list[dict[str, object]], int]:
    """``/api/inspector/events?service=hearsay``: unverified social events, newest first."""
    held = node.hearsay.newest(len(node.hearsay), subject)
    page = held[offset : offset + limit]
    items: list[dict[str, object]] = []
    for h in page:
        e = h.event
        items.append(
            {
                "id": e.id,
                "seq": 0,
                "timestamp": e.ts,
                "service": e.svc,
                "emitter": e.emitter,
                "emitter_id": e.emitter_id,
                "signed": e.is_signed(),
                "subjects": list(e.subjects()),
                "ui_format": e.ui_format(),
                "verified": False,
                "relayed_by": h.relayed_by,
            }
        )
    return items, len(held)


NEWS_S = 60  # a social event older than this when it enters the ledger is not news


def change_item(entry: Entry, now: int) -> dict[str, object] | None:
    """The change-log line for a verified social event that is news, else None."""
    p = entry.event.payload
    if not isinstance(p, Social) or now - entry.event.ts > NEWS_S * 1_000_000_000:
        return None
    message = tease_message(p.reason, p.target)
    verb = "teased" if p.type == "tease" else p.type
    text = f"{p.actor} {verb} {p.target}" + (f": “{message}”" if message else "")
    return {"name": p.actor, "target": p.target, "text": text}
