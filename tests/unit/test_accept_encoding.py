"""Which Accept-Encoding values let the asset store answer with its gzip copy (RFC 9110 §12.5.3)."""

from __future__ import annotations

import pytest

from nara.http.assets import accepted_encodings, accepts_gzip


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("*, gzip;q=0", False),
        ("identity", False),
        ("br", False),
        ("", False),
        ("gzip;q=nonsense", False),
        ("notgzip", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", ("br", "gzip")),
        ("br", ("br",)),
        ("gzip", ("gzip",)),
        ("br;q=0.5, gzip", ("gzip", "br")),
        ("br;q=0.8, gzip;q=0.8", ("br", "gzip")),
        ("*", ("br", "gzip")),
        ("*;q=0.5, gzip", ("gzip", "br")),
        ("br;q=0, *", ("gzip",)),
        ("identity", ()),
        ("", ()),
        ("BR, X-GZIP", ("br", "gzip")),
        ("br;q=junk, gzip", ("gzip",)),
    ],
)
def test_accepted_encodings_best_first(header: str, expected: tuple[str, ...]) -> None:
    assert accepted_encodings(header) == expected
