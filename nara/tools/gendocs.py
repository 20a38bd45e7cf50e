"""The generated part of ``docs/configuration.md``: the settings reference from ``SETTINGS``.

``python -m nara.tools.gendocs`` rewrites the block between the two markers below with
``nara.config.markdown_table()``; ``--check`` only compares and exits 1 when the page is stale
(for CI and ``tests/unit/test_docs_config.py``). Everything outside the markers is hand-written
and left alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from nara.config import markdown_table

BEGIN = "<!-- BEGIN GENERATED SETTINGS -->"
END = "<!-- END GENERATED SETTINGS -->"
# The repository root when running from a checkout (nara/tools/gendocs.py → ../../).
DEFAULT_PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


class MarkerError(ValueError):
    """The page does not hold exactly one BEGIN marker followed by one END marker."""


def _span(page: str) -> tuple[int, int]:
    """Offsets of the text between the markers (after BEGIN, before END)."""
    if page.count(BEGIN) != 1 or page.count(END) != 1:
        raise MarkerError(f"expected exactly one {BEGIN!r} and one {END!r}")
    start = page.index(BEGIN) + len(BEGIN)
    stop = page.index(END)
    if stop < start:
        raise MarkerError(f"{END!r} comes before {BEGIN!r}")
    return start, stop


def block(table: str) -> str:
    """What goes between the markers. Blank lines around the table keep Markdown from reading
    it as part of the HTML comment block."""
    return "\n\n" + table.strip("\n") + "\n\n"


def generated(page: str) -> str:
    """The text currently between the markers."""
    start, stop = _span(page)
    return page[start:stop]


def render(page: str, table: str | None = None) -> str:
    """The page with its generated block replaced by ``table`` (default: the current table)."""
    start, stop = _span(page)
    return page[:start] + block(markdown_table() if table is None else table) + page[stop:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nara.tools.gendocs",
        description="Regenerate the settings table in docs/configuration.md.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 when the page differs from the settings table",
    )
    parser.add_argument("--path", type=Path, default=DEFAULT_PAGE, help="the page to update")
    args = parser.parse_args(argv)

    path: Path = args.path
    try:
        page = path.read_text(encoding="utf-8")
        fresh = render(page)
    except (OSError, MarkerError) as exc:
        print(f"gendocs: {path}: {exc}", file=sys.stderr)
        return 2

    if fresh == page:
        return 0
    if args.check:
        print(
            f"gendocs: {path} is out of date with nara/config.py SETTINGS; "
            "run `make docs-config` (python -m nara.tools.gendocs)",
            file=sys.stderr,
        )
        return 1
    path.write_text(fresh, encoding="utf-8")
    print(f"gendocs: updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
