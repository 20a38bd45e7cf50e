"""The HTTP side reads only the read model (nara/readmodel.py): no handler, stream or metrics
collector reaches into the core's node, its ledger or its neighbourhood — the whiteboard's
"http → shell: feed only" arrow. Checked by reading the modules, so a shortcut fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HTTP = Path(__file__).resolve().parents[2] / "nara" / "http"
CORE_ATTRIBUTES = {"node", "neighbourhood", "ledger"}


@pytest.mark.parametrize("path", sorted(HTTP.glob("*.py")), ids=lambda p: p.name)
def test_http_modules_do_not_touch_the_core_state(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    touched = [
        f"{path.name}:{node.lineno} .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in CORE_ATTRIBUTES
    ]
    assert not touched, f"read these through runtime.model instead: {touched}"
