"""Serving the built dashboard and docs from package data (``importlib.resources``), from memory.

Works the same from a source checkout (``nara/web`` → ``nara-web/public``) and inside the frozen
binary. Files are read once, on first request, and kept with a gzip copy for compressible types.
Only files that exist are kept: the cache is bounded by what was built into this copy of nara,
whatever paths clients ask for. The security headers every response carries are added in
``nara.http.security``; here each asset only picks its Content-Security-Policy.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import mimetypes
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from aiohttp import web

# The types we serve, fixed here rather than taken from the host's /etc/mime.types (which the
# static binary may not have, and which differs between distributions).
CONTENT_TYPES = {
    "html": "text/html",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "css": "text/css",
    "json": "application/json",
    "map": "application/json",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
    "woff2": "font/woff2",
    "txt": "text/plain",
    "xml": "application/xml",
}
HASHED = re.compile(r"-[A-Za-z0-9_]{8,}\.(js|css|map|svg|png|woff2?)$")
COMPRESSIBLE = ("text/", "application/json", "application/xml", "image/svg+xml")
SPA_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# The docs site needs nothing more: its theme scripts were moved out of line (docs/overrides).
DOCS_CSP = SPA_CSP
PLACEHOLDER = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>nara</title></head>
<body><main><h1>nara is running</h1>
<p>The dashboard has not been built into this copy of nara. Build it with
<code>make build-web</code> (or use a release binary). The JSON API works already:
<a href="{base}/narae.json">narae.json</a>, <a href="{base}/api.json">api.json</a>,
<a href="{base}/metrics">metrics</a>.</p></main></body></html>
"""


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str  # of the identity body; the gzip variant has its own (a strong ETag names bytes)
    gzip_etag: str = ""


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value accepts gzip (RFC 9110 §12.5.3): listed as ``gzip`` (or
    ``x-gzip``, or covered by ``*``) with a q-value above 0. ``gzip;q=0`` refuses it."""
    star: bool | None = None
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if name in ("gzip", "x-gzip"):
            return q > 0
        if name == "*":
            star = q > 0
    return bool(star)


def web_root() -> Traversable:
    return importlib.resources.files("nara") / "web"


class AssetStore:
    """Reads assets lazily and caches the ones that exist; one per app (no module-level state)."""

    def __init__(self, base_path: str, root: Traversable | None = None) -> None:
        self.base_path = base_path
        self.root = root if root is not None else web_root()
        self._cache: dict[str, Asset] = {}

    @property
    def cached(self) -> int:
        """How many assets are held in memory (exported as ``nara_asset_cache_entries``)."""
        return len(self._cache)

    def has_dashboard(self) -> bool:
        return self._file("index.html") is not None

    def has_docs(self) -> bool:
        return self._file("docs/index.html") is not None

    def _file(self, rel: str) -> Traversable | None:
        node = self.root
        for part in rel.split("/"):
            if part in ("", ".", "..") or part.startswith("."):
                return None
            node = node / part
        try:
            return node if node.is_file() else None
        except (OSError, ValueError):  # ValueError: a NUL byte in the path
            return None

    def get(self, rel: str) -> Asset | None:
        cached = self._cache.get(rel)
        if cached is not None:
            return cached
        node = self._file(rel)
        if node is None:
            return None  # a miss is not remembered: clients choose the paths they ask for
        try:
            body = node.read_bytes()
        except OSError:
            return None
        if rel == "index.html":
            body = body.replace(b"__NARA_BASE__", self.base_path.encode())
        ext = rel.rsplit(".", 1)[-1].lower() if "." in rel else ""
        ctype = CONTENT_TYPES.get(ext) or mimetypes.guess_type(rel)[0]
        ctype = ctype or "application/octet-stream"
        if ctype.startswith("text/") or ctype == "application/json":
            ctype += "; charset=utf-8"
        gz = None
        if ctype.startswith(COMPRESSIBLE) and len(body) > 1024:
            # Compressed once per asset and kept, so the best level costs nothing per request.
            gz = gzip.compress(body, compresslevel=9, mtime=0)
        digest = hashlib.sha256(body).hexdigest()[:32]
        asset = Asset(body, gz, ctype, f'"{digest}"', f'"{digest}-gz"' if gz is not None else "")
        self._cache[rel] = asset
        return asset

    def respond(self, request: web.Request, rel: str, *, csp: str, cache: str) -> web.Response:
        asset = self.get(rel)
        if asset is None:
            raise web.HTTPNotFound(text="not found\n")
        use_gzip = asset.gzipped is not None and accepts_gzip(
            request.headers.get("Accept-Encoding", "")
        )
        etag = asset.gzip_etag if use_gzip else asset.etag
        headers = {
            "Content-Type": asset.content_type,
            "Cache-Control": cache,
            "ETag": etag,
            "Content-Security-Policy": csp,
            "Vary": "Accept-Encoding",
        }
        if use_gzip:
            headers["Content-Encoding"] = "gzip"
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None and etag in (t.strip() for t in if_none_match.split(",")):
            return web.Response(status=304, headers=headers)
        body = asset.gzipped if use_gzip and asset.gzipped is not None else asset.body
        return web.Response(body=body, headers=headers)

    def cache_policy(self, rel: str) -> str:
        if HASHED.search(rel):
            return "public, max-age=31536000, immutable"
        return "no-cache"

    def placeholder(self) -> web.Response:
        return web.Response(
            text=PLACEHOLDER.format(base=self.base_path),
            content_type="text/html",
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": SPA_CSP,
            },
        )
