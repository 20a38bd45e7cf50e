"""The dashboard and docs as the node serves them: content types, caching, compression, security
headers and client-side routes. Needs the built assets (``make test`` builds them first)."""

from __future__ import annotations

import gzip
import re
import subprocess
import urllib.request
from collections.abc import Callable

import pytest

from tests.conftest import ROOT, NaraProcess

INDEX = ROOT / "nara-web" / "public" / "index.html"


@pytest.fixture
def node(spawn_nara: Callable[..., NaraProcess]) -> NaraProcess:
    if not INDEX.exists():
        pytest.fail("nara-web/public is not built: run `make build-web` (make test does)")
    return spawn_nara("assets", "-base-path", "/nara")


def fetch(url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, resp.read(), {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}


def test_index_is_templated_uncached_and_locked_down(node: NaraProcess) -> None:
    """index.html carries the base path, is never cached, and sends CSP + nosniff; client-side
    routes (deep links) get the same app."""
    status, body, headers = fetch(node.url + "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b'<meta name="nara-base" content="/nara">' in body and b"__NARA_BASE__" not in body
    assert headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    for route in ("/nara/bob", "/timeline", "/anything/else"):
        deep = fetch(node.url + route)
        assert deep[0] == 200 and deep[1] == body, route
    assert fetch(node.url + "/api/nope")[0] == 404


def test_hashed_assets_are_immutable_compressed_and_revalidated(node: NaraProcess) -> None:
    """Hashed JS/CSS are cached for a year, served gzip to clients that ask, and answer a
    matching If-None-Match with 304."""
    body = fetch(node.url + "/")[1].decode()
    scripts = re.findall(r'src="/nara(/assets/app-[^"]+\.js)"', body)
    assert scripts, "index.html references no hashed script"
    status, plain, headers = fetch(node.url + scripts[0])
    assert status == 200 and headers["content-type"] == "text/javascript; charset=utf-8"
    assert (
        "immutable" in headers["cache-control"] and "max-age=31536000" in headers["cache-control"]
    )
    status, packed, zheaders = fetch(node.url + scripts[0], **{"Accept-Encoding": "gzip"})
    assert zheaders.get("content-encoding") == "gzip" and gzip.decompress(packed) == plain
    assert zheaders["vary"] == "Accept-Encoding" and zheaders["content-length"] == str(len(packed))
    assert fetch(node.url + scripts[0], **{"If-None-Match": headers["etag"]})[0] == 304
    # Each variant has its own strong ETag, and 304 only for the one the client would get.
    assert zheaders["etag"] != headers["etag"]
    gz_304 = {"Accept-Encoding": "gzip", "If-None-Match": zheaders["etag"]}
    assert fetch(node.url + scripts[0], **gz_304)[0] == 304
    stale = {"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]}
    assert fetch(node.url + scripts[0], **stale)[0] == 200
    # gzip;q=0 refuses gzip: the identity body comes back.
    status, refused, rheaders = fetch(node.url + scripts[0], **{"Accept-Encoding": "gzip;q=0"})
    assert status == 200 and refused == plain and "content-encoding" not in rheaders


def test_prebuilt_brotli_and_gzip_are_served_per_variant(node: NaraProcess) -> None:
    """The web build's FILE.br and FILE.gz (nara-web/precompress.mjs) go out as they are: br to
    a client that prefers it, gzip when br is refused or ranked lower; each with its ETag, its
    304 and its HEAD; the variant files are not reachable by their own names."""
    body = fetch(node.url + "/")[1].decode()
    script = re.findall(r'src="/nara(/assets/app-[^"]+\.js)"', body)[0]
    on_disk = ROOT / "nara-web" / "public" / script.lstrip("/")
    prebuilt_br = on_disk.with_name(on_disk.name + ".br").read_bytes()
    prebuilt_gz = on_disk.with_name(on_disk.name + ".gz").read_bytes()
    # The .br decodes to the bundle (Node's zlib: Python's standard library has no brotli).
    decoded = subprocess.run(
        [
            "node",
            "-e",
            "process.stdout.write(require('zlib').brotliDecompressSync("
            "require('fs').readFileSync(process.argv[1])))",
            str(on_disk) + ".br",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert decoded == on_disk.read_bytes()

    status, packed, headers = fetch(node.url + script, **{"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and headers["content-encoding"] == "br" and packed == prebuilt_br
    assert headers["vary"] == "Accept-Encoding" and headers["etag"].endswith('-br"')
    assert headers["x-content-type-options"] == "nosniff" and headers["server"] == "nara"
    assert "script-src 'self'" in headers["content-security-policy"]
    br_304 = {"Accept-Encoding": "br", "If-None-Match": headers["etag"]}
    assert fetch(node.url + script, **br_304)[0] == 304
    assert (
        fetch(node.url + script, **{"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]})[0]
        == 200
    )
    status, gz, gheaders = fetch(node.url + script, **{"Accept-Encoding": "br;q=0.5, gzip"})
    assert gheaders["content-encoding"] == "gzip" and gz == prebuilt_gz
    assert gzip.decompress(gz) == on_disk.read_bytes()
    assert (
        fetch(node.url + script, **{"Accept-Encoding": "br;q=0, gzip"})[2]["content-encoding"]
        == "gzip"
    )
    head = urllib.request.Request(
        node.url + script, method="HEAD", headers={"Accept-Encoding": "br"}
    )
    with urllib.request.urlopen(head, timeout=5) as resp:
        assert resp.read() == b"" and resp.headers["Content-Encoding"] == "br"
        assert resp.headers["Content-Length"] == str(len(prebuilt_br))
    for name in (script + ".br", script + ".gz"):
        assert fetch(node.url + name)[0] == 404, name
    # The docs have no prebuilt variants: gzip made by the node, no br.
    status, page, dheaders = fetch(node.url + "/docs/", **{"Accept-Encoding": "br, gzip"})
    assert status == 200 and dheaders["content-encoding"] == "gzip"
    assert b"<html" in gzip.decompress(page).lower()


def test_docs_are_served_under_the_base_path(node: NaraProcess) -> None:
    """/docs redirects to /docs/; pages, the search index and theme assets come from the package."""
    status, body, headers = fetch(node.url + "/docs/")
    assert status == 200 and b"md-search" in body
    assert headers["x-content-type-options"] == "nosniff"
    assert fetch(node.url + "/docs/search/search_index.json")[0] == 200
    assert fetch(node.url + "/docs/troubleshooting/")[0] == 200
    assert fetch(node.url + "/docs/no-such-page/")[0] == 404
    assert fetch(node.url + "/docs/../../etc/passwd")[0] == 404
    assert fetch(node.url + "/assets/../../pyproject.toml")[0] == 404
