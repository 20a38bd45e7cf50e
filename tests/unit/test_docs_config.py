"""The documentation site: the configuration page matches the settings table, and the built site
works offline, under any base path and under a CSP without 'unsafe-inline'.

No subprocess and no Node: the generated block is compared by importing ``nara.tools.gendocs``,
and the site is built with mkdocs' Python API into a temporary directory.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from nara.config import SETTINGS, Setting, markdown_table
from nara.tools import gendocs

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"
MKDOCS_YML = ROOT / "mkdocs.yml"
NAV = [
    ("Home", "index.md"),
    ("Getting started", "getting-started.md"),
    ("Configuration", "configuration.md"),
    ("HTTP API", "api.md"),
    ("Deployment", "deployment.md"),
    ("The social network", "social.md"),
    ("Protocol", "protocol.md"),
    ("Security", "security.md"),
    ("Architecture", "architecture.md"),
    ("Troubleshooting", "troubleshooting.md"),
]


# --- the generated settings reference --------------------------------------------------------


def test_configuration_page_matches_settings_table() -> None:
    """The table between the markers is exactly ``markdown_table()``: the page is generated from
    SETTINGS, so a new or changed setting must be followed by ``make docs-config``."""
    page = PAGE.read_text(encoding="utf-8")
    assert gendocs.generated(page).strip() == markdown_table().strip(), (
        "docs/configuration.md is stale: run `make docs-config`"
    )
    assert gendocs.render(page) == page


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_flag_and_env_var_is_documented(setting: Setting) -> None:
    """Users look options up by flag or by variable name; each spelling must be on the page,
    including the *_FILE variant of a secret."""
    page = PAGE.read_text(encoding="utf-8")
    for flag in setting.flags:
        assert f"`-{flag}`" in page, f"-{flag} is not documented"
    names = [*setting.env, *filter(None, [setting.file_env])]
    for env in names:
        assert f"`{env}`" in page, f"{env} is not documented"


def test_render_rewrites_only_the_block() -> None:
    """Hand-written text around the markers survives regeneration, and rendering twice changes
    nothing (so ``--check`` after a rewrite passes)."""
    page = f"# Title\n\nintro\n\n{gendocs.BEGIN}\nold table\n{gendocs.END}\n\noutro\n"
    once = gendocs.render(page, "| new |\n")
    assert once.startswith(f"# Title\n\nintro\n\n{gendocs.BEGIN}\n")
    assert once.endswith(f"{gendocs.END}\n\noutro\n")
    assert gendocs.generated(once).strip() == "| new |"
    assert "old table" not in once
    assert gendocs.render(once, "| new |\n") == once


@pytest.mark.parametrize(
    "page",
    [
        "no markers at all\n",
        f"{gendocs.BEGIN}\nonly the beginning\n",
        f"{gendocs.END}\nreversed\n{gendocs.BEGIN}\n",
        f"{gendocs.BEGIN}\n{gendocs.END}\n{gendocs.BEGIN}\n{gendocs.END}\n",
    ],
    ids=["none", "no-end", "reversed", "twice"],
)
def test_broken_markers_are_refused(page: str, tmp_path: Path) -> None:
    """A page whose markers are missing, doubled or out of order is never rewritten: guessing
    where the table goes could overwrite hand-written text. The tool exits 2."""
    with pytest.raises(gendocs.MarkerError):
        gendocs.render(page)
    path = tmp_path / "configuration.md"
    path.write_text(page, encoding="utf-8")
    assert gendocs.main(["--path", str(path)]) == 2
    assert path.read_text(encoding="utf-8") == page


def test_check_mode_detects_drift_and_write_mode_fixes_it(tmp_path: Path) -> None:
    """``--check`` exits 1 on a stale page without touching it; a plain run rewrites it, after
    which ``--check`` exits 0. This is what CI and ``make docs-config`` rely on."""
    path = tmp_path / "configuration.md"
    stale = f"intro\n{gendocs.BEGIN}\n| stale |\n{gendocs.END}\n"
    path.write_text(stale, encoding="utf-8")

    assert gendocs.main(["--check", "--path", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == stale

    assert gendocs.main(["--path", str(path)]) == 0
    assert gendocs.generated(path.read_text(encoding="utf-8")).strip() == markdown_table().strip()
    assert gendocs.main(["--check", "--path", str(path)]) == 0


# --- mkdocs.yml ------------------------------------------------------------------------------


def _mkdocs_yml() -> dict[str, object]:
    cfg = yaml.safe_load(MKDOCS_YML.read_text(encoding="utf-8"))
    assert isinstance(cfg, dict)
    return cfg


def test_mkdocs_config_is_offline_and_relative() -> None:
    """The site is embedded in the binary and served under /docs/ or {base}/docs/: no Google
    fonts, only the built-in search plugin (no privacy/offline plugins that fetch at build
    time), an empty site_url so links stay relative, and output where the binary picks it up."""
    cfg = _mkdocs_yml()
    theme = cfg["theme"]
    assert isinstance(theme, dict)
    assert theme["name"] == "material"
    assert theme["font"] is False
    assert cfg["plugins"] == ["search"]
    assert cfg.get("site_url", "") in ("", None)
    assert cfg["docs_dir"] == "docs"
    assert cfg["site_dir"] == "nara-web/public/docs"
    assert cfg["strict"] is True


def test_navigation_order_and_every_page_listed() -> None:
    """The navigation has the agreed order, and every page under docs/ is in it (an unlisted
    page would be built but unreachable)."""
    nav = _mkdocs_yml()["nav"]
    assert isinstance(nav, list)
    assert [next(iter(item.items())) for item in nav] == NAV
    docs = ROOT / "docs"
    pages = {
        p.relative_to(docs).as_posix()
        for p in docs.rglob("*.md")
        if "overrides" not in p.relative_to(docs).parts
    }
    assert pages == {path for _, path in NAV}


# --- the built site --------------------------------------------------------------------------


class _Resources(HTMLParser):
    """Collects what a page loads or runs: scripts, stylesheets, images, inline code, links."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []  # URLs the browser fetches on its own
        self.links: list[str] = []  # <a href>
        self.inline_scripts: list[str] = []
        self.inline_styles: list[str] = []
        self._in_script = False
        self._script_is_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "style" in a:
            self.inline_styles.append(f"<{tag} style={a['style']!r}>")
        if any(name.startswith("on") for name in a):
            self.inline_scripts.append(f"<{tag}> event handler attribute")
        if tag == "script":
            self._in_script = True
            kind = (a.get("type") or "text/javascript").lower()
            self._script_is_code = "src" not in a and ("javascript" in kind or kind == "module")
            if a.get("src"):
                self.loads.append(a["src"] or "")
        elif tag == "style":
            self.inline_styles.append("<style> element")
        elif tag == "link" and a.get("href"):
            self.loads.append(a["href"] or "")
        elif tag in ("img", "source", "iframe", "embed") and a.get("src"):
            self.loads.append(a["src"] or "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self._script_is_code and data.strip():
            self.inline_scripts.append(data.strip()[:80])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs built with the project's mkdocs.yml (strict) into a temporary directory."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    out = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_MKDOCS_2_WARNING", "1")
        build(load_config(config_file=str(MKDOCS_YML), site_dir=str(out)))
    return out


def test_built_site_has_every_page_and_a_search_index(site: Path) -> None:
    """Each page is a directory with index.html (the node serves /docs/<page>/), and the search
    index is built locally, so search needs no network."""
    for _, source in NAV:
        name = source.removesuffix(".md")
        page = site / ("index.html" if name == "index" else f"{name}/index.html")
        assert page.is_file(), page
    assert (site / "search" / "search_index.json").stat().st_size > 1000
    assert not (site / "404.html").exists()  # absolute links; removed by docs/overrides/hooks.py
    assert not (site / "overrides").exists()


def test_built_pages_run_under_a_strict_csp_and_any_base_path(site: Path) -> None:
    """No page has inline scripts, event-handler attributes, style attributes or <style>
    elements (so `script-src 'self'; style-src 'self'` suffices); nothing is loaded from another
    origin; and every URL is relative, so the site works under /docs/ and {base}/docs/."""
    problems: list[str] = []
    for html in sorted(site.rglob("*.html")):
        parser = _Resources()
        parser.feed(html.read_text(encoding="utf-8"))
        rel = html.relative_to(site).as_posix()
        problems += [f"{rel}: inline script {s!r}" for s in parser.inline_scripts]
        problems += [f"{rel}: inline style {s}" for s in parser.inline_styles]
        for url in parser.loads:
            if "://" in url or url.startswith(("/", "data:")):
                problems.append(f"{rel}: loads {url}")
        for url in parser.links:
            if url.startswith("/"):
                problems.append(f"{rel}: absolute link {url}")
    assert problems == []
