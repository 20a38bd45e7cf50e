"""``make build`` stops on a broken link in docs/, with mkdocs' own message.

mkdocs 1.6 with ``--strict --quiet`` filters the warnings before its strict counter sees them:
a broken link built, exited 0 and shipped. ``scripts/build-web.sh`` now runs ``mkdocs build
--strict`` without ``--quiet`` and drops only the INFO lines. These tests run the real script on a
temporary copy of the docs (the dashboard is taken as prebuilt, so no Node is needed), once with
a broken link and once without.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BROKEN = "[a page that does not exist](no-such-page.md)"


def docs_tree(tmp_path: Path, *, broken_link: bool) -> Path:
    """What build-web.sh reads, copied (docs/, mkdocs.yml, the scripts, the lock) with the venv
    linked; the security-notes drafts are left out, so only this test's link decides."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "docs", tree / "docs", ignore=shutil.ignore_patterns("security-notes"))
    (tree / "scripts").mkdir()
    for name in ("scripts/build-web.sh", "scripts/asset_hash.py", "mkdocs.yml"):
        shutil.copy2(ROOT / name, tree / name)
    (tree / "requirements").mkdir()
    shutil.copy2(ROOT / "requirements" / "dev.lock", tree / "requirements" / "dev.lock")
    (tree / ".venv").symlink_to(ROOT / ".venv")
    public = tree / "nara-web" / "public"
    public.mkdir(parents=True)
    (public / "index.html").write_text('<meta name="nara-base" content="">\n', encoding="utf-8")
    if broken_link:
        with open(tree / "docs" / "index.md", "a", encoding="utf-8") as page:
            page.write(f"\n{BROKEN}\n")
    return tree


def build_web(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE", "SOURCE_DATE_EPOCH")}
    env.update(NARA_SPA_PREBUILT="1", FORCE="1")
    return subprocess.run(
        ["scripts/build-web.sh"], cwd=tree, env=env, capture_output=True, text=True, check=False
    )


def test_a_broken_docs_link_stops_the_web_build(tmp_path: Path) -> None:
    tree = docs_tree(tmp_path, broken_link=True)
    run = build_web(tree)
    assert run.returncode != 0, f"a broken link built:\n{run.stdout}{run.stderr}"
    # mkdocs' own words: the page, the link, and its strict-mode verdict.
    assert "Doc file 'index.md' contains a link 'no-such-page.md'" in run.stderr, run.stderr
    assert "Aborted with 1 warnings in strict mode!" in run.stderr, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    # Nothing marks the half-built docs as good, so build-binary.sh refuses to freeze them.
    assert not (tree / "nara-web" / "public" / "asset-hash.txt").exists()


def test_the_same_docs_without_it_build_quietly(tmp_path: Path) -> None:
    tree = docs_tree(tmp_path, broken_link=False)
    run = build_web(tree)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tree / "nara-web" / "public" / "docs" / "index.html").is_file()
    assert (tree / "nara-web" / "public" / "asset-hash.txt").is_file()
    # mkdocs' INFO chatter is dropped; a clean build says nothing on stderr.
    assert "INFO" not in run.stdout + run.stderr
    assert run.stderr == "", run.stderr
