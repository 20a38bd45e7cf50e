"""Add the staticx bootloader to a release SBOM (CycloneDX JSON, edited in place).

`cyclonedx-py environment` lists what is installed in the build venv. staticx is not: it is
built from its pinned source release into build/staticx by scripts/build-bootloader.sh, with
nara's TMPDIR check linked into its bootloader. This adds it as a component, pinned by the
sdist's hash, and says what was added to it.

Usage: python scripts/sbom_add_bootloader.py SBOM.cdx.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PIN = ROOT / "requirements" / "staticx-source.txt"


def staticx_component(pin_text: str) -> dict[str, Any]:
    """The CycloneDX component for staticx, from requirements/staticx-source.txt."""
    version = re.search(r"^staticx==([\w.]+)", pin_text, re.M)
    digest = re.search(r"--hash=sha256:([0-9a-f]{64})", pin_text)
    if not version or not digest:
        raise ValueError("requirements/staticx-source.txt names no staticx version and sha256")
    return {
        "type": "application",
        "bom-ref": f"pkg:pypi/staticx@{version.group(1)}",
        "name": "staticx",
        "version": version.group(1),
        "purl": f"pkg:pypi/staticx@{version.group(1)}",
        "licenses": [{"license": {"id": "GPL-2.0-or-later"}}],
        "hashes": [{"alg": "SHA-256", "content": digest.group(1)}],
        "description": (
            "Built from this source release (the hash is the sdist's) by "
            "scripts/build-bootloader.sh; its bootloader, the outer launcher of the binary, "
            "has packaging/bootloader/nara_preflight.c linked in."
        ),
    }


def add_component(bom: dict[str, Any], component: dict[str, Any]) -> dict[str, Any]:
    """bom with component added (replacing any of the same name)."""
    components = [c for c in bom.get("components", []) if c.get("name") != component["name"]]
    components.append(component)
    components.sort(key=lambda c: (c.get("name", ""), c.get("version", "")))
    return {**bom, "components": components}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    path = Path(argv[1])
    bom = json.loads(path.read_text())
    bom = add_component(bom, staticx_component(PIN.read_text()))
    path.write_text(json.dumps(bom, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
