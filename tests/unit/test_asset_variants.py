"""The asset store's variants from a directory of files: prebuilt ``.br``/``.gz`` used as they
are, gzip made on first use when the prebuilt one is missing, never for the templated index or
for small files, and the variant files never served under their own names."""

from __future__ import annotations

import gzip
from pathlib import Path

from nara.http.assets import AssetStore

JS = b"export const x = 1;\n" * 200  # 4,000 bytes: above the 1 KiB threshold


def store(tmp_path: Path) -> AssetStore:
    return AssetStore("/b", root=tmp_path)


def test_prebuilt_variants_are_used_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_bytes(JS)
    (tmp_path / "assets" / "app.js.br").write_bytes(b"BROTLI-BYTES")
    (tmp_path / "assets" / "app.js.gz").write_bytes(gzip.compress(JS, 1, mtime=0))
    asset = store(tmp_path).get("assets/app.js")
    assert asset is not None
    assert asset.variants["br"].body == b"BROTLI-BYTES"
    assert asset.variants["gzip"].body == (tmp_path / "assets" / "app.js.gz").read_bytes()
    etags = {v.etag for v in asset.variants.values()}
    assert len(etags) == 3 and asset.variants["br"].etag.endswith('-br"')


def test_missing_gzip_is_made_once_and_brotli_only_prebuilt(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_bytes(JS)
    s = store(tmp_path)
    asset = s.get("page.html")
    assert asset is not None and set(asset.variants) == {"identity", "gzip"}
    assert gzip.decompress(asset.variants["gzip"].body) == JS
    assert s.get("page.html") is asset


def test_index_is_never_taken_from_a_prebuilt_file(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_bytes(b'<meta content="__NARA_BASE__">' + b" " * 2000)
    (tmp_path / "index.html.gz").write_bytes(gzip.compress(b"stale", mtime=0))
    (tmp_path / "index.html.br").write_bytes(b"stale")
    asset = store(tmp_path).get("index.html")
    assert asset is not None and set(asset.variants) == {"identity", "gzip"}
    assert b'content="/b"' in gzip.decompress(asset.variants["gzip"].body)


def test_small_files_and_variant_names(tmp_path: Path) -> None:
    (tmp_path / "tiny.js").write_bytes(b"x" * 1024)
    (tmp_path / "tiny.js.gz").write_bytes(gzip.compress(b"x" * 1024, mtime=0))
    s = store(tmp_path)
    tiny = s.get("tiny.js")
    assert tiny is not None and set(tiny.variants) == {"identity"}
    assert s.get("tiny.js.gz") is None and s.get("tiny.js.br") is None
