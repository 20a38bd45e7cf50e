"""mkdocs build hook: drop the pages that only work at a fixed URL.

With an empty ``site_url`` (needed so every link is relative: the site is served under /docs/ and
under {base}/docs/ behind a proxy), mkdocs still renders ``404.html`` with absolute ``/assets/…``
links and writes a sitemap with no URLs in it. The node answers unknown docs paths itself, so
both files would only be wrong copies; they are removed after the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

UNUSABLE = ("404.html", "sitemap.xml", "sitemap.xml.gz")


def on_post_build(config: Any, **kwargs: Any) -> None:
    site = Path(config["site_dir"])
    for name in UNUSABLE:
        (site / name).unlink(missing_ok=True)
