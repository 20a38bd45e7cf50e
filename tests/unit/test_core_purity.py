"""Architecture rule 1: nara/core is pure — no asyncio, aiohttp, MQTT, os, socket, time or random.

Checked by reading every module's imports, so a violation fails here before it spreads.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "nara" / "core"
FORBIDDEN = {
    "asyncio",
    "aiohttp",
    "aiomqtt",
    "paho",
    "os",
    "socket",
    "time",
    "random",
    "logging",
    "subprocess",
    "threading",
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_nothing_impure(path: Path) -> None:
    assert imported_roots(path) & FORBIDDEN == set()
