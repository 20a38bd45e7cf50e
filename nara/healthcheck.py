"""``nara healthcheck``: one GET against the node's ``/livez``; exit status 0 when it answers 2xx.

For orchestrators that run a command rather than an HTTP probe (Docker's ``HEALTHCHECK``): the
static binary has no curl or wget beside it. Standard library only, and deliberately blunt: no
proxies (an ``HTTP_PROXY`` in a container's environment must not route a loopback probe
elsewhere), no redirects (a probe that lands somewhere else proves nothing), one line on failure.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from typing import IO

LIVEZ = "/livez"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


def healthcheck(url: str, timeout: float = 3.0, *, out: IO[str] | None = None) -> int:
    """GET ``url``; return 0 when the answer is 2xx, else print one line to ``out`` (stderr)
    and return 1."""
    out = out if out is not None else sys.stderr
    if not url.startswith(("http://", "https://")):
        print(f"nara healthcheck: {url}: not an http:// or https:// URL", file=out)
        return 1
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    request = urllib.request.Request(url, headers={"User-Agent": "nara-healthcheck"})
    try:
        with opener.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"nara healthcheck: {url}: {reason}", file=out)
        return 1
    if 200 <= status < 300:
        return 0
    print(f"nara healthcheck: {url}: HTTP {status}", file=out)
    return 1


def livez_url(host: str, port: int, base_path: str = "") -> str:
    """The URL a local probe should use for a node listening on ``host:port``.

    A wildcard listen address (``""``, ``0.0.0.0``, ``::``) is probed on loopback; an IPv6
    literal is bracketed. ``base_path`` is the configured prefix (``""`` or ``/nara``).
    """
    if host in ("", "0.0.0.0", "*"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}{base_path}{LIVEZ}"
