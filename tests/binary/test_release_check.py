"""``scripts/release-check.sh`` (what ``make release-check`` and the release workflow run) on the
``bin/nara`` that ``scripts/build-binary.sh`` produced: so ``make test`` runs the release smoke
test too. Once with its own state directory (the binary case), once without one (the image case:
a container cannot see a host path), and once on an artefact that dies at start, which must fail
fast and say why."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "release-check.sh"
CHECKS = ("--version", "health: /livez", "health: /readyz", "UI: /", "docs: /docs/", "chau on")


def release_check(*command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *command],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("state", ["own", "none"])
def test_release_check_passes_on_bin_nara(nara_binary: Path, state: str) -> None:
    env = {} if state == "own" else {"RELEASE_CHECK_STATE_DIR": ""}
    done = release_check(str(nara_binary), **env)
    assert done.returncode == 0, done.stdout + done.stderr
    passed = [line for line in done.stdout.splitlines() if line.startswith("release-check: ok")]
    for check in CHECKS:
        assert any(check in line for line in passed), (check, done.stdout)
    assert any("state: state-" in line for line in passed) == (state == "own"), done.stdout
    assert f"all passed for {nara_binary}" in done.stdout


def test_release_check_fails_fast_on_an_artefact_that_dies(tmp_path: Path) -> None:
    fake = tmp_path / "fake-nara"
    fake.write_text(
        '#!/bin/sh\n[ "$1" = --version ] && { echo "nara 9.9.9"; exit 0; }\necho boom\nexit 3\n'
    )
    fake.chmod(0o755)
    done = release_check(str(fake))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL  health: /livez did not answer within 60 s (the node exited)" in done.stderr
    assert "boom" in done.stderr  # the node's log comes with the failure
