"""Security headers on every HTTP response, in one place so that nothing escapes them.

They are set from aiohttp's ``on_response_prepare`` signal, which runs for every response the
application prepares: handler results, streamed responses (``/events``), the ``HTTPException``s
aiohttp turns into 404/405 pages, and the 500 page of an unexpected error. A handler may choose
its own Content-Security-Policy (the dashboard and the docs do); everything else gets the strictest
one, since JSON, text and event streams never need to load anything.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

# For responses that are not pages: nothing may load, nothing may frame them.
STRICT_CSP: Final = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# Browser features a dashboard never uses. Only features Chromium and Firefox know: an unknown
# name makes Chromium print an error in the console of every page.
PERMISSIONS_POLICY: Final = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)
HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# aiohttp announces "Python/3.x aiohttp/3.x"; a public node tells no one what to attack.
SERVER: Final = "nara"


# Set on a response whose headers already hold everything below (``complete_headers``): the
# static assets build their header dicts once, with these in, and the signal skips them.
COMPLETE: Final = web.ResponseKey("nara_security_headers_complete", bool)


def complete_headers() -> dict[str, str]:
    """``HEADERS`` plus ``Server``: with a Content-Security-Policy of its own, a response
    carrying these (and marked with ``mark_complete``) needs nothing from the signal."""
    return {**HEADERS, "Server": SERVER}


def mark_complete(response: web.StreamResponse) -> None:
    response[COMPLETE] = True


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if response.get(COMPLETE):
        return
    headers = response.headers
    headers.update(HEADERS)
    headers.setdefault("Content-Security-Policy", STRICT_CSP)
    headers["Server"] = SERVER


def install(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
