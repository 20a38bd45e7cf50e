"""Health endpoints for orchestrators: /livez (process alive), /healthz (same), /readyz (assets
present; the plaza connected when one is configured). None of them depends on peers."""

from __future__ import annotations

from aiohttp import web

from nara.context import CTX
from nara.http.api import json_response


async def livez(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    assets = ctx.assets.has_dashboard()
    plaza = None if ctx.plaza is None else ctx.plaza.connected.is_set()
    ready = assets and plaza is not False
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {"assets": assets, "docs": ctx.assets.has_docs(), "plaza": plaza},
    }
    return json_response(body, status=200 if ready else 503)
