"""The state directory (nara/state.py): atomic writes that a crash cannot tear, a corrupt file set
aside with one warning, an unusable directory meaning memory only (never fatal), one file per
nara ID, never the soul, and the boot rule (restarts + 1, the first start time kept)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nara.core.identity import native_soul_custom
from nara.core.selfstatus import Remembered
from nara.state import StateStore, boot
from tests.conftest import ROOT

NOW = 1_750_000_000
NARA_ID = "8vXgR5aE3yW1q2Z"  # Base58-looking, like a real nara ID
LOG = "test.nara.state"


def store(directory: Path | str, nara_id: str = NARA_ID, name: str = "alice") -> StateStore:
    return StateStore(str(directory), nara_id, name, logging.getLogger(LOG))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def state_file(directory: Path, nara_id: str = NARA_ID) -> Path:
    return directory / f"state-{nara_id}.json"


def test_first_boot_then_restarts_keep_the_first_start_time(tmp_path: Path) -> None:
    """No saved state → (now, 0), saved at once; every later boot → (first start, restarts+1)."""
    directory = tmp_path / "state"
    assert boot(store(directory), NOW) == Remembered(start_time_s=NOW, restarts=0)
    assert oct(directory.stat().st_mode & 0o777) == "0o700"
    assert oct(state_file(directory).stat().st_mode & 0o777) == "0o600"
    assert boot(store(directory), NOW + 60) == Remembered(start_time_s=NOW, restarts=1)
    assert boot(store(directory), NOW + 120) == Remembered(start_time_s=NOW, restarts=2)
    doc = json.loads(state_file(directory).read_text())
    assert doc == {
        "version": 1,
        "name": "alice",
        "nara_id": NARA_ID,
        "start_time_s": NOW,
        "restarts": 2,
    }


def test_the_file_never_holds_the_soul(tmp_path: Path) -> None:
    soul = native_soul_custom(hashlib.sha256(b"state").digest(), "alice")
    s = store(tmp_path)
    boot(s, NOW)
    s.save(Remembered(start_time_s=NOW, restarts=3))
    raw = state_file(tmp_path).read_bytes()
    assert soul.text.encode() not in raw and soul.seed.hex().encode() not in raw


def test_two_naras_sharing_a_directory_do_not_mix(tmp_path: Path) -> None:
    boot(store(tmp_path, "idA", "alice"), NOW)
    boot(store(tmp_path, "idA", "alice"), NOW + 1)
    assert boot(store(tmp_path, "idB", "bob"), NOW + 5) == Remembered(NOW + 5, 0)
    assert boot(store(tmp_path, "idA", "alice"), NOW + 9) == Remembered(NOW, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state-idA.json", "state-idB.json"]


def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write fails after the temporary file was written (here: fsync says EIO): the saved
    state is the old one, complete, and no temporary file is left behind."""
    s = store(tmp_path)
    s.save(Remembered(NOW, 4))
    before = state_file(tmp_path).read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    assert s.save(Remembered(NOW, 5)) is False
    monkeypatch.undo()
    assert state_file(tmp_path).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [state_file(tmp_path).name]


def test_a_crash_mid_write_leaves_a_whole_file(tmp_path: Path) -> None:
    """A child process saves in a tight loop and is SIGKILLed in the middle of it: the file on
    disk is always one complete state (old or new), never torn; the next boot counts on from it
    and removes the crashed write's temporary file."""
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path), NARA_ID],
        stdout=subprocess.PIPE, cwd=ROOT, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"  # 200 saves done, more under way
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    (tmp_path / f".{state_file(tmp_path).name}.crashed.tmp").write_text('{"version": 1, "na')
    doc = json.loads(state_file(tmp_path).read_text())
    assert doc["start_time_s"] == NOW and doc["restarts"] >= 199
    again = boot(store(tmp_path), NOW + 1)
    assert again == Remembered(NOW, doc["restarts"] + 1)
    assert [p.name for p in tmp_path.iterdir()] == [state_file(tmp_path).name]


_WRITER = """
import logging, sys
from nara.core.selfstatus import Remembered
from nara.state import StateStore
s = StateStore(sys.argv[1], sys.argv[2], "alice", logging.getLogger("w"))
i = 0
while True:
    assert s.save(Remembered(1_750_000_000, i))
    i += 1
    if i == 200:
        print("writing", flush=True)
"""


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff\xfe garbage",
        b"{not json",
        b"[1, 2]",
        b'{"version": 99, "nara_id": "8vXgR5aE3yW1q2Z", "start_time_s": 1, "restarts": 0}',
        b'{"version": 1, "nara_id": "someone-else", "start_time_s": 1750000000, "restarts": 0}',
        b'{"version": 1, "nara_id": "8vXgR5aE3yW1q2Z", "start_time_s": "x", "restarts": 0}',
        b'{"version": 1, "nara_id": "8vXgR5aE3yW1q2Z", "start_time_s": 1750000000, "restarts": -1}',
        b'{"version": 1, "nara_id": "8vXgR5aE3yW1q2Z", "start_time_s": 1e300, "restarts": 0}',
        b'{"version": 1, "nara_id": "8vXgR5aE3yW1q2Z", "start_time_s": true, "restarts": 0}',
        b" " * 70_000,
    ],
    ids=[
        "binary",
        "not-json",
        "not-object",
        "version",
        "other-id",
        "start-type",
        "negative-restarts",
        "huge-start",
        "bool-start",
        "oversized",
    ],
)
def test_a_corrupt_file_is_set_aside_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    state_file(tmp_path).write_bytes(content)
    with caplog.at_level(logging.INFO, logger=LOG):
        assert boot(store(tmp_path), NOW) == Remembered(NOW, 0)
    [warning] = warnings(caplog)
    assert "set aside" in warning and f"state-{NARA_ID}.json.corrupt-{NOW}" in warning
    assert (tmp_path / f"state-{NARA_ID}.json.corrupt-{NOW}").read_bytes() == content
    assert json.loads(state_file(tmp_path).read_text())["restarts"] == 0


def test_a_second_corrupt_file_does_not_overwrite_the_first(tmp_path: Path) -> None:
    for _ in range(2):
        state_file(tmp_path).write_text("garbage")
        boot(store(tmp_path), NOW)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        f"state-{NARA_ID}.json",
        f"state-{NARA_ID}.json.corrupt-{NOW}",
        f"state-{NARA_ID}.json.corrupt-{NOW}-1",
    ]


def test_a_symlinked_state_file_is_not_followed(tmp_path: Path) -> None:
    """Someone who can write the directory cannot make nara read (or write through) a link."""
    target = tmp_path / "elsewhere.json"
    target.write_text(
        json.dumps({"version": 1, "nara_id": NARA_ID, "start_time_s": NOW - 9, "restarts": 7})
    )
    state_file(tmp_path).symlink_to(target)
    assert boot(store(tmp_path), NOW) == Remembered(NOW, 0)
    assert not state_file(tmp_path).is_symlink()
    assert json.loads(target.read_text())["restarts"] == 7


def test_a_start_time_in_the_future_is_clamped_to_now(tmp_path: Path) -> None:
    """The clock went back since the last run: the first start is not later than this one."""
    store(tmp_path).save(Remembered(NOW + 3600, 2))
    assert boot(store(tmp_path), NOW) == Remembered(NOW, 3)


def test_an_unusable_directory_means_memory_only_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The directory cannot be created (its parent is a file; this holds for root too): one
    warning saying memory only, no exception, and later saves are silent no-ops. The start time
    is left to the network's votes (Remembered())."""
    (tmp_path / "file").write_text("")
    s = store(tmp_path / "file" / "state")
    with caplog.at_level(logging.INFO, logger=LOG):
        assert boot(s, NOW) == Remembered()
        assert s.save(Remembered(NOW, 1)) is False
    [warning] = warnings(caplog)
    assert "memory only" in warning and str(tmp_path / "file" / "state") in warning


def test_a_read_only_directory_with_a_saved_state_still_counts_this_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state that can be read but not written (a read-only mount): this run is still restart
    n+1 of the remembered first start, with one warning that it will not be remembered."""
    store(tmp_path).save(Remembered(NOW - 50, 4))

    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    with caplog.at_level(logging.INFO, logger=LOG):
        assert boot(store(tmp_path), NOW) == Remembered(NOW - 50, 5)
    [warning] = warnings(caplog)
    assert "Read-only file system" in warning and "memory only" in warning


def test_no_directory_is_memory_only_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    s = store("")
    with caplog.at_level(logging.INFO, logger=LOG):
        assert boot(s, NOW) == Remembered()
    assert warnings(caplog) == []
    assert any("memory only" in r.getMessage() for r in caplog.records)
