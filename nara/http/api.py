"""JSON endpoints (spec §5): /api.json, /narae.json, /status/{name}.json, /profile/{name}.json and
/api/inspector/events, plus the dashboard's /api/changes.json and /api/node.json. Go's encoder
conventions: sorted keys, trailing newline.

/api.json and /narae.json are served from the read model (nara/readmodel.py) as the bytes it
keeps encoded: a request costs a dictionary lookup, however large the roster and however often
any client asks (security.md, "Fat peers")."""

from __future__ import annotations

from aiohttp import web

from nara.context import CTX, NaraContext
from nara.core import gojson

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


def _bytes_response(body: bytes) -> web.Response:
    return web.Response(body=body, headers={"Content-Type": JSON_TYPE, "Cache-Control": "no-cache"})


async def api_json(request: web.Request) -> web.Response:
    return _bytes_response(_ctx(request).runtime.model.api_json())


async def narae_json(request: web.Request) -> web.Response:
    return _bytes_response(_ctx(request).runtime.model.narae_json())


def broker_display(ctx: NaraContext) -> str:
    """The broker's URL without credentials, or "" when running alone."""
    return ctx.plaza.address.display if ctx.plaza is not None else ""


def node_info(ctx: NaraContext) -> dict[str, object]:
    return ctx.runtime.model.node_info(ctx.build, broker_display(ctx))


async def node_json(request: web.Request) -> web.Response:
    """``/api/node.json``: this node (name, ID, version, broker, start) and the plaza's state."""
    ctx = _ctx(request)
    model = ctx.runtime.model
    return json_response(
        {"node": node_info(ctx), "plaza": model.plaza, "counts": model.counts(), "rev": model.rev}
    )


async def changes_json(request: web.Request) -> web.Response:
    """``/api/changes.json``: what changed, newest first (joined, left, went missing, came back,
    restarted, forgotten, the plaza); ``?name=`` and ``?kind=`` filter."""
    name = request.query.get("name", "")
    kinds = {k for k in request.query.get("kind", "").split(",") if k}
    limit = _int_param(request, "limit", 200, 1, 1000)
    items = [
        c
        for c in _ctx(request).runtime.model.changes()
        if (not name or c["name"] == name) and (not kinds or c["kind"] in kinds)
    ]
    return json_response({"changes": items[:limit], "total": len(items)})


async def status_json(request: web.Request) -> web.Response:
    """The raw NaraStatus bytes a neighbour last sent, exactly as received (404 for self)."""
    name = request.match_info["name"]
    raw = _ctx(request).runtime.model.status_raw(name)
    if raw is None:
        return not_found(f"no status known for {name!r}")
    return web.Response(
        body=raw + b"\n",
        headers={
            "Content-Type": JSON_TYPE,
            "Cache-Control": "no-cache",
        },
    )


async def profile_json(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    name = request.match_info["name"]
    data = ctx.runtime.model.profile(name, ctx.runtime.clock())
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
    model = _ctx(request).runtime.model
    limit = _int_param(request, "limit", 50, 1, 500)
    offset = _int_param(request, "offset", 0, 0, 10**9)
    items, total = model.events(
        service=request.query.get("service", ""),
        subject=request.query.get("subject", ""),
        after=_int_param(request, "after", 0, 0, 2**63 - 1),
        before=_int_param(request, "before", 0, 0, 2**63 - 1),
        limit=limit,
        offset=offset,
    )
    return json_response(
        {
            "events": items,
            "total": total,
            "has_more": offset + len(items) < total,
        }
    )


async def social_recent(request: web.Request) -> web.Response:
    """``/social/recent``: the five newest social events (http_ui.go:113-146), hearsay marked."""
    return json_response(_ctx(request).runtime.model.social_recent())


async def social_teases(request: web.Request) -> web.Response:
    """``/social/teases``: verified teases per actor, most first (http_ui.go:149-184)."""
    return json_response(_ctx(request).runtime.model.social_teases())


async def social_clout(request: web.Request) -> web.Response:
    """``/social/clout``: our clout opinion of every nara (http_ui.go:92-110)."""
    return json_response(_ctx(request).runtime.model.social_clout())


async def inspector_checkpoints(request: web.Request) -> web.Response:
    """``/api/inspector/checkpoints``: the latest verified checkpoint of every subject."""
    return json_response(_ctx(request).runtime.model.checkpoints())


async def inspector_checkpoint(request: web.Request) -> web.Response:
    """``/api/inspector/checkpoint/{name}``: one subject's latest checkpoint and its voters."""
    name = request.match_info["name"]
    data = _ctx(request).runtime.model.checkpoint(name)
    if data is None:
        return not_found(f"no checkpoint known for {name!r}")
    return json_response(data)


async def inspector_uptime(request: web.Request) -> web.Response:
    """``/api/inspector/uptime/{name}``: periods, total, and the baseline's source."""
    ctx = _ctx(request)
    name = request.match_info["name"]
    data = ctx.runtime.model.uptime(name, ctx.runtime.clock())
    if data is None:
        return not_found(f"no nara called {name!r} is known here")
    return json_response(data)


async def inspector_event(request: web.Request) -> web.Response:
    """``/api/inspector/event/{id}``: one ledger event, whether it is signed, by a key we know,
    whether the signature verifies, and the exact string that was signed."""
    ctx = _ctx(request)
    event_id = request.match_info["id"]
    data = ctx.runtime.model.event_detail(event_id, ctx.runtime.clock())
    if data is None:
        return not_found(f"no event {event_id[:64]!r} in this nara's ledger")
    return json_response(data)


async def network_map(request: web.Request) -> web.Response:
    """``/network/map``: the reference's map nodes (name, coordinates, online, is_self) plus
    barrio and whether each is placed."""
    ctx = _ctx(request)
    return json_response(ctx.runtime.model.network_map(ctx.runtime.clock()))


async def world_journeys(request: web.Request) -> web.Response:
    """``/world/journeys``: completed journeys heard, newest first (20 unless ``?limit=``),
    in the reference's shape plus each hop's verification."""
    limit = _int_param(request, "limit", 20, 1, 200)
    return json_response(_ctx(request).runtime.model.world_journeys(limit))


async def inspector_projections(request: web.Request) -> web.Response:
    """``/api/inspector/projections``: online status, clout and opinions per nara."""
    ctx = _ctx(request)
    return json_response(ctx.runtime.model.projections(ctx.runtime.clock()))
