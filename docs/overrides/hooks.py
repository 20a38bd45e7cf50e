"""mkdocs build hooks: fill in the repository, and drop the pages that only work at a fixed URL.

``{{ repository }}`` in a page becomes ``extra.repository`` from mkdocs.yml (``{{ github }}`` its
``owner/name``), so the download URL, the clone command and the flake URL come from one setting.

With an empty ``site_url`` (needed so every link is relative: the site is served under /docs/ and
under {base}/docs/ behind a proxy), mkdocs still renders ``404.html`` with absolute ``/assets/…``
links and writes a sitemap with no URLs in it. The node answers unknown docs paths itself, so
both files would only be wrong copies; they are removed after the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

UNUSABLE = ("404.html", "sitemap.xml", "sitemap.xml.gz")


def on_page_markdown(markdown: str, page: Any, config: Any, **kwargs: Any) -> str:
    repository = str(config["extra"].get("repository", "")).rstrip("/")
    if not repository:
        raise ValueError("mkdocs.yml: set extra.repository (the nara repository's URL)")
    github = repository.removeprefix("https://github.com/")  # owner/name, for flake URLs
    return markdown.replace("{{ repository }}", repository).replace("{{ github }}", github)


def on_post_build(config: Any, **kwargs: Any) -> None:
    site = Path(config["site_dir"])
    for name in UNUSABLE:
        (site / name).unlink(missing_ok=True)
