"""Health endpoints for orchestrators: /livez (process alive), /healthz (same), /readyz (assets
present; the plaza connected and answering when one is configured). None of them depends on peers.

``plaza_silent_s`` in /readyz is the age in seconds of the broker's last word (a message, or the
answer to the plaza watchdog's probe): ``null`` with no broker configured or before it ever spoke.
A broker that has said nothing for longer than the 30 s keepalive makes the node not ready even
before the watchdog tears the connection down."""

from __future__ import annotations

from aiohttp import web

from nara.context import CTX
from nara.http.api import json_response


async def livez(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    assets = ctx.assets.has_dashboard()
    plaza: bool | None = None
    silent: float | None = None
    if ctx.plaza is not None:
        plaza = ctx.plaza.responsive
        age = ctx.plaza.silent_s()
        silent = None if age is None else round(age, 1)
    ready = assets and plaza is not False
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {"assets": assets, "docs": ctx.assets.has_docs(), "plaza": plaza},
        "plaza_silent_s": silent,
    }
    return json_response(body, status=200 if ready else 503)
