"""Build facts of this nara (version, commit, build date, Python, platform, asset hash) for
``--version`` and the ``nara_build_info`` metric.

The frozen ``bin/nara`` carries them in ``nara/_buildinfo.json``, written by
``scripts/build-binary.sh`` before freezing (the build date is ``SOURCE_DATE_EPOCH``, the last
commit's time, so two builds of one commit are byte-identical). A source checkout has no such
file and falls back to the installed distribution's version, ``git rev-parse`` when a ``.git``
is right there, and the built assets' ``asset-hash.txt`` when present; anything else is
"unknown".
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import platform
from pathlib import Path

UNKNOWN = "unknown"
# The keys of build_info(), in the order --version prints them.
FIELDS = ("version", "commit", "build_date", "python", "platform", "asset_hash")
BUILDINFO_RESOURCE = "_buildinfo.json"


def build_info() -> dict[str, str]:
    """Every field of FIELDS as a string; "unknown" where a fact cannot be had."""
    return dict(_build_info())


def version_text() -> str:
    """The multi-line ``nara --version`` output."""
    info = build_info()
    return (
        f"nara {info['version']}\n"
        f"commit:     {info['commit']}\n"
        f"built:      {info['build_date']}\n"
        f"python:     {info['python']} ({info['platform']})\n"
        f"assets:     {info['asset_hash']}\n"
    )


@functools.cache
def _build_info() -> tuple[tuple[str, str], ...]:
    # Cached: the facts cannot change while the process runs, and the source fallback may run git.
    info = _bundled() or _from_source()
    # Python and platform are facts of the running interpreter; in the frozen binary they are the
    # bundled interpreter's, i.e. the build's.
    info["python"] = platform.python_version()
    info["platform"] = f"{platform.system().lower()}-{platform.machine()}"
    return tuple((key, str(info.get(key) or UNKNOWN)) for key in FIELDS)


def _bundled() -> dict[str, str] | None:
    try:
        text = (importlib.resources.files("nara") / BUILDINFO_RESOURCE).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {key: str(value) for key, value in data.items() if key in FIELDS}


def _from_source() -> dict[str, str]:
    # Imported here, not at the top: only a source checkout gets this far (the frozen binary
    # reads _buildinfo.json), and importlib.metadata is ~10 ms of every cold start.
    import importlib.metadata

    try:
        version = importlib.metadata.version("nara")
    except importlib.metadata.PackageNotFoundError:
        version = UNKNOWN
    return {
        "version": version,
        "commit": _git_commit(Path(__file__).resolve().parent.parent),
        "build_date": UNKNOWN,
        "asset_hash": _asset_hash(),
    }


def _git_commit(checkout: Path) -> str:
    # Only when cheap: a checkout right here and git on PATH; never longer than a second.
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None or not (checkout / ".git").exists():
        return UNKNOWN
    try:
        result = subprocess.run(
            [git, "-C", str(checkout), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=1.0,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else UNKNOWN


def _asset_hash() -> str:
    try:
        node = importlib.resources.files("nara") / "web" / "asset-hash.txt"
        return node.read_text(encoding="utf-8").strip() or UNKNOWN
    except (OSError, ValueError):
        return UNKNOWN
