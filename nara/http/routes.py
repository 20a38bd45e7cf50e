"""The one route table. Everything lives under the base path B ("" or e.g. "/nara"); health checks
are also answered at the root so orchestrators need not know B. Every response, routed or not,
carries the headers of ``nara.http.security``."""

from __future__ import annotations

from aiohttp import web

from nara.context import CTX
from nara.http import api, health, metrics, security, sse
from nara.http.assets import DOCS_CSP, SPA_CSP


async def spa(request: web.Request) -> web.StreamResponse:
    """index.html for / and every client-side route (/nara/{name}, /timeline ...)."""
    assets = request.app[CTX].assets
    if not assets.has_dashboard():
        return assets.placeholder()
    return assets.respond(request, "index.html", csp=SPA_CSP, cache="no-cache")


async def static_asset(request: web.Request) -> web.StreamResponse:
    assets = request.app[CTX].assets
    rel = "assets/" + request.match_info["path"]
    return assets.respond(request, rel, csp=SPA_CSP, cache=assets.cache_policy(rel))


async def root_file(request: web.Request) -> web.StreamResponse:
    assets = request.app[CTX].assets
    rel = request.match_info["file"]
    return assets.respond(request, rel, csp=SPA_CSP, cache="no-cache")


async def docs(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CTX]
    path = request.match_info.get("path", "")
    if not request.path.endswith("/") and (path == "" or "." not in path.rsplit("/", 1)[-1]):
        raise web.HTTPPermanentRedirect(request.path + "/")  # mkdocs pages are directories
    rel = "docs/" + (path + "index.html" if path == "" or path.endswith("/") else path)
    if ctx.assets.get(rel) is None:
        if not ctx.assets.has_docs():
            raise web.HTTPNotFound(
                text="The documentation has not been built into this copy of nara "
                "(make build-web).\n"
            )
        raise web.HTTPNotFound(text="no such documentation page\n")
    return ctx.assets.respond(request, rel, csp=DOCS_CSP, cache=ctx.assets.cache_policy(rel))


async def api_not_found(request: web.Request) -> web.Response:
    return api.not_found("no such API endpoint")


def add_routes(app: web.Application, base: str) -> None:
    security.install(app)
    b = base
    r = app.router
    r.add_get(f"{b}/api.json", api.api_json)
    r.add_get(f"{b}/narae.json", api.narae_json)
    r.add_get(f"{b}/status/{{name}}.json", api.status_json)
    r.add_get(f"{b}/profile/{{name}}.json", api.profile_json)
    r.add_get(f"{b}/api/inspector/events", api.inspector_events)
    r.add_get(f"{b}/api/inspector/event/{{id}}", api.inspector_event)
    r.add_get(f"{b}/api/inspector/projections", api.inspector_projections)
    r.add_get(f"{b}/api/inspector/checkpoints", api.inspector_checkpoints)
    r.add_get(f"{b}/api/inspector/checkpoint/{{name}}", api.inspector_checkpoint)
    r.add_get(f"{b}/api/inspector/uptime/{{name}}", api.inspector_uptime)
    r.add_get(f"{b}/network/map", api.network_map)
    r.add_get(f"{b}/world/journeys", api.world_journeys)
    r.add_get(f"{b}/api/changes.json", api.changes_json)
    r.add_get(f"{b}/social/recent", api.social_recent)
    r.add_get(f"{b}/social/teases", api.social_teases)
    r.add_get(f"{b}/social/clout", api.social_clout)
    r.add_get(f"{b}/api/node.json", api.node_json)
    r.add_get(f"{b}/api/{{tail:.*}}", api_not_found)
    r.add_get(f"{b}/events", sse.events)
    r.add_get(f"{b}/metrics", metrics.metrics)
    for prefix in {b, ""}:
        r.add_get(f"{prefix}/livez", health.livez)
        r.add_get(f"{prefix}/healthz", health.livez)
        r.add_get(f"{prefix}/readyz", health.readyz)
    r.add_get(f"{b}/docs", docs)
    r.add_get(f"{b}/docs/{{path:.*}}", docs)
    r.add_get(f"{b}/assets/{{path:.+}}", static_asset)
    r.add_get(f"{b}/{{file:(favicon\\.svg|favicon\\.ico|robots\\.txt)}}", root_file)
    r.add_get(f"{b}/", spa)
    if b:
        r.add_get(b, spa)
    r.add_get(f"{b}/{{tail:[^.]*}}", spa)  # client-side routes: the app decides
