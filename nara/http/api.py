"""JSON endpoints (spec §5): /api.json, /narae.json, /status/{name}.json, /profile/{name}.json and
/api/inspector/events. Go's encoder conventions: sorted keys, trailing newline."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from nara.context import CTX, NaraContext
from nara.core import gojson, views
from nara.core.protocol import Node

JSON_TYPE = "application/json; charset=utf-8"


def json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(
        body=gojson.dumps_sorted(data) + b"\n",
        status=status,
        headers={
            "Content-Type": JSON_TYPE,
            "Cache-Control": "no-cache",
        },
    )


def not_found(message: str) -> web.Response:
    return json_response({"error": message}, status=404)


def _ctx(request: web.Request) -> NaraContext:
    return request.app[CTX]


def _cached_view(ctx: NaraContext, view: str, build: Callable[[Node, int], object]) -> web.Response:
    node, now = ctx.runtime.node, ctx.runtime.clock()
    version = (node.ledger.last_seq, node.revision)
    body = ctx.views.get(view, version, now)
    if body is None:
        body = gojson.dumps_sorted(build(node, now)) + b"\n"
        ctx.views.put(view, version, now, body)
    return web.Response(body=body, headers={"Content-Type": JSON_TYPE, "Cache-Control": "no-cache"})


async def api_json(request: web.Request) -> web.Response:
    return _cached_view(_ctx(request), "api", views.api_naras)


async def narae_json(request: web.Request) -> web.Response:
    return _cached_view(_ctx(request), "narae", views.narae)


async def status_json(request: web.Request) -> web.Response:
    """The raw NaraStatus bytes a neighbour last sent, exactly as received (404 for self)."""
    name = request.match_info["name"]
    entry = _ctx(request).runtime.node.neighbourhood.get(name)
    if entry is None or entry.status_raw is None:
        return not_found(f"no status known for {name!r}")
    return web.Response(
        body=entry.status_raw + b"\n",
        headers={
            "Content-Type": JSON_TYPE,
            "Cache-Control": "no-cache",
        },
    )


async def profile_json(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    name = request.match_info["name"]
    data = views.profile(ctx.runtime.node, name, ctx.runtime.clock())
    if data is None:
        return not_found(f"no nara called {name!r} is known here")
    return json_response(data)


def _int_param(request: web.Request, key: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(key, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(
            body=gojson.dumps_sorted({"error": f"{key} must be an integer"}) + b"\n",
            headers={"Content-Type": JSON_TYPE, "Cache-Control": "no-cache"},
        ) from None
    return max(lo, min(hi, value))


async def inspector_events(request: web.Request) -> web.Response:
    ledger = _ctx(request).runtime.node.ledger
    limit = _int_param(request, "limit", 50, 1, 500)
    offset = _int_param(request, "offset", 0, 0, 10**9)
    entries, total = ledger.query(
        service=request.query.get("service", ""),
        subject=request.query.get("subject", ""),
        after=_int_param(request, "after", 0, 0, 2**63 - 1),
        before=_int_param(request, "before", 0, 0, 2**63 - 1),
        limit=limit,
        offset=offset,
    )
    return json_response(
        {
            "events": [views.inspector_item(e) for e in entries],
            "total": total,
            "has_more": offset + len(entries) < total,
        }
    )
