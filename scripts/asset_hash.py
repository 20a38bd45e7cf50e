#!/usr/bin/env python3
"""The source hash of the web assets: sha256 over the sorted list of input files and their bytes.

``scripts/build-web.sh`` writes it into ``nara-web/public/asset-hash.txt`` after a build;
``scripts/build-binary.sh`` refuses to freeze when that stamp differs from the current sources
(deployment spec §7, "stale assets": detect, never ship). Content only: mtimes, owners and the
checkout's path do not matter, so the same commit hashes the same everywhere.

Usage: asset_hash.py [--root DIR] [--list]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

# Everything the dashboard and docs builds read. requirements/dev.lock pins mkdocs and
# mkdocs-material, whose versions change the built docs as much as docs/ does.
INPUTS = (
    "nara-web/src",
    "nara-web/package.json",
    "nara-web/package-lock.json",
    "nara-web/build.mjs",
    "nara-web/precompress.mjs",
    "scripts/build-web.sh",
    "nara-web/index.html",
    "docs",
    "mkdocs.yml",
    "requirements/dev.lock",
)
SKIP_DIRS = {"__pycache__", "node_modules", ".git"}


def input_files(root: Path) -> list[str]:
    """Relative POSIX paths of every regular file under INPUTS that exists, sorted."""
    found: list[str] = []
    for entry in INPUTS:
        path = root / entry
        if path.is_file():
            found.append(entry)
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
                for name in filenames:
                    full = Path(dirpath) / name
                    if full.is_file():
                        found.append(full.relative_to(root).as_posix())
    return sorted(found)


def asset_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for rel in input_files(root):
        data = (root / rel).read_bytes()
        # Name and length before the bytes, so moving bytes between files changes the hash.
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--list", action="store_true", help="print the input files instead")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(input_files(args.root)))
    else:
        print(asset_hash(args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
