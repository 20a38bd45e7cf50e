"""Serving the built dashboard and docs from package data (``importlib.resources``), from memory.

Works the same from a source checkout (``nara/web`` → ``nara-web/public``) and inside the frozen
binary. Files are read once, on first request, and kept with their compressed variants: the
prebuilt ``FILE.br`` and ``FILE.gz`` beside them when the web build wrote them
(nara-web/precompress.mjs), else a gzip copy made here, for compressible types above 1 KiB.
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
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable

from aiohttp import web

from nara.http import security

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


# Content codings we serve, best first (RFC 9110 §8.4.1): brotli only from a prebuilt ``.br``
# beside the file (nara-web/precompress.mjs; the standard library has no brotli), gzip from a
# prebuilt ``.gz`` or, when there is none, compressed here once on first use.
ENCODINGS = ("br", "gzip")
VARIANT_SUFFIX = {"br": ".br", "gzip": ".gz"}
ETAG_SUFFIX = {"br": "-br", "gzip": "-gz", "identity": ""}
ACCEPT_CACHE_MAX = 64  # distinct Accept-Encoding values remembered (browsers send a handful)


@dataclass(frozen=True, slots=True)
class Variant:
    """One representation of an asset: its bytes and its own strong ETag (a strong ETag names
    bytes, so identity, gzip and br each have one)."""

    body: bytes
    etag: str
    encoding: str  # "identity", "gzip" or "br"


@dataclass(slots=True)
class Asset:
    content_type: str
    variants: dict[str, Variant]  # by encoding; "identity" always present
    # Complete response headers per (encoding, csp, cache): built once, copied per response.
    headers: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)

    @property
    def body(self) -> bytes:
        return self.variants["identity"].body

    @property
    def etag(self) -> str:
        return self.variants["identity"].etag

    @property
    def gzipped(self) -> bytes | None:
        gz = self.variants.get("gzip")
        return gz.body if gz is not None else None


def _q_values(accept_encoding: str) -> dict[str, float]:
    """Coding → q-value of an Accept-Encoding value; a malformed q counts as 0 (refused)."""
    out: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if name == "x-gzip":
            name = "gzip"
        out.setdefault(name, q)  # the first mention counts
    return out


def accepted_encodings(accept_encoding: str) -> tuple[str, ...]:
    """The content codings of ``ENCODINGS`` an Accept-Encoding value accepts (RFC 9110
    §12.5.3), the one to prefer first: higher q first, then br before gzip. A coding named with
    ``q=0`` is refused; one not named is accepted when ``*`` is, with ``*``'s q-value."""
    qs = _q_values(accept_encoding)
    star = qs.get("*", 0.0)
    ranked = [(-qs.get(enc, star), i, enc) for i, enc in enumerate(ENCODINGS)]
    return tuple(enc for q, _, enc in sorted(ranked) if q < 0)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value accepts gzip (``gzip;q=0`` refuses it)."""
    return "gzip" in accepted_encodings(accept_encoding)


def web_root() -> Traversable:
    return importlib.resources.files("nara") / "web"


class AssetStore:
    """Reads assets lazily and caches the ones that exist; one per app (no module-level state)."""

    def __init__(self, base_path: str, root: Traversable | None = None) -> None:
        self.base_path = base_path
        self.root = root if root is not None else web_root()
        self._cache: dict[str, Asset] = {}
        self._accepted: dict[str, tuple[str, ...]] = {}  # Accept-Encoding → codings, bounded

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
        if rel.endswith((".br", ".gz")):
            return None  # the variant files are served as variants, never by their own name
        node = self._file(rel)
        if node is None:
            return None  # a miss is not remembered: clients choose the paths they ask for
        try:
            body = node.read_bytes()
        except OSError:
            return None
        templated = rel == "index.html"
        if templated:
            body = body.replace(b"__NARA_BASE__", self.base_path.encode())
        ext = rel.rsplit(".", 1)[-1].lower() if "." in rel else ""
        ctype = CONTENT_TYPES.get(ext) or mimetypes.guess_type(rel)[0]
        ctype = ctype or "application/octet-stream"
        if ctype.startswith("text/") or ctype == "application/json":
            ctype += "; charset=utf-8"
        digest = hashlib.sha256(body).hexdigest()[:32]
        variants = {"identity": Variant(body, f'"{digest}"', "identity")}
        if ctype.startswith(COMPRESSIBLE) and len(body) > 1024:
            for enc in ENCODINGS:
                # A prebuilt file of a templated page would hold the token, not the base path.
                packed = None if templated else self._read(rel + VARIANT_SUFFIX[enc])
                if packed is None and enc == "gzip":
                    # Compressed once per asset and kept, so the best level costs nothing per
                    # request.
                    packed = gzip.compress(body, compresslevel=9, mtime=0)
                if packed is not None and len(packed) < len(body):
                    variants[enc] = Variant(packed, f'"{digest}{ETAG_SUFFIX[enc]}"', enc)
        asset = Asset(ctype, variants)
        self._cache[rel] = asset
        return asset

    def _read(self, rel: str) -> bytes | None:
        node = self._file(rel)
        if node is None:
            return None
        try:
            return node.read_bytes()
        except OSError:
            return None

    def _choose(self, asset: Asset, accept_encoding: str) -> Variant:
        if len(asset.variants) == 1 or not accept_encoding:
            return asset.variants["identity"]
        accepted = self._accepted.get(accept_encoding)
        if accepted is None:
            accepted = accepted_encodings(accept_encoding)
            if len(self._accepted) >= ACCEPT_CACHE_MAX:
                self._accepted.clear()  # bounded, whatever values clients send
            self._accepted[accept_encoding] = accepted
        for enc in accepted:
            variant = asset.variants.get(enc)
            if variant is not None:
                return variant
        return asset.variants["identity"]

    def respond(self, request: web.Request, rel: str, *, csp: str, cache: str) -> web.Response:
        asset = self.get(rel)
        if asset is None:
            raise web.HTTPNotFound(text="not found\n")
        variant = self._choose(asset, request.headers.get("Accept-Encoding", ""))
        key = (variant.encoding, csp, cache)
        headers = asset.headers.get(key)
        if headers is None:
            headers = {
                "Content-Type": asset.content_type,
                "Cache-Control": cache,
                "ETag": variant.etag,
                "Content-Security-Policy": csp,
                "Vary": "Accept-Encoding",
                **security.complete_headers(),
            }
            if variant.encoding != "identity":
                headers["Content-Encoding"] = variant.encoding
            if len(asset.headers) < 16:  # routes pass a fixed few (csp, cache) pairs
                asset.headers[key] = headers
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None and variant.etag in (
            t.strip() for t in if_none_match.split(",")
        ):
            response = web.Response(status=304, headers=headers)
        else:
            response = web.Response(body=variant.body, headers=headers)
        security.mark_complete(response)
        return response

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
