"""The state directory: what a nara must not forget between runs (``Remembered``: its first start
time and its restart count), one small JSON file per nara.

* **Keyed by the nara ID** (``state-<nara_id>.json``; the ID is Base58, so a safe file name): two
  naras with different souls or names may share a directory without mixing their memories.
* **Never the soul**: the file holds the name, the public nara ID, the start time and the count.
* **Atomic**: the new content goes to a temporary file in the same directory, is fsynced, renamed
  over the old file, and the directory is fsynced. A crash at any point leaves the old file or
  the new one, never a torn one.
* **Never fatal**: a corrupt or unreadable file is reported in one warning line and set aside
  (renamed to ``state-<id>.json.corrupt-<unix s>``); a directory that cannot be created or
  written is one warning line, and the nara runs with memory only.

The boot rule (``boot``): no saved state → ``Remembered(now, 0)``; saved state →
``Remembered(saved.start_time_s, saved.restarts + 1)``, saved again at once, so a crash still
counts as a restart next time. The shell saves ``node.remembered()`` again at a clean shutdown.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, TypeGuard

from nara.core.names import printable
from nara.core.selfstatus import Remembered

FORMAT_VERSION = 1
# The file is ~150 bytes; anything much larger is not ours.
MAX_STATE_BYTES = 64 * 1024
# Sanity bounds of a saved value: a start time before 2001-09-09 or after the year 36812, or a
# restart count beyond 2**31, is not something this program wrote.
MIN_START_TIME_S = 1_000_000_000
MAX_START_TIME_S = 2**40
MAX_RESTARTS = 2**31 - 1


class CorruptState(ValueError):
    """The state file exists but cannot be used; the message is a short phrase."""


class StateStore:
    """One nara's state file in ``directory``. ``directory`` "" means memory only."""

    def __init__(self, directory: str, nara_id: str, name: str, log: logging.Logger) -> None:
        self.directory = Path(directory) if directory else None
        self.nara_id = nara_id
        self.name = name
        self.log = log
        self.usable = self.directory is not None
        self._file = f"state-{nara_id}.json"

    @property
    def path(self) -> Path | None:
        return self.directory / self._file if self.directory is not None else None

    # ---- reading ----------------------------------------------------------------------------

    def load(self, now_s: int) -> Remembered | None:
        """The saved state, or None (no file, no directory, or a corrupt file set aside)."""
        path = self.path
        if path is None or not self.usable:
            return None
        self._remove_stale_temporaries(path)
        try:
            data = _read_bounded(path)
        except FileNotFoundError:
            return None
        except NotADirectoryError as exc:
            self._give_up(f"{exc.strerror or exc}")
            return None
        except OSError as exc:
            self._set_aside(path, f"cannot be read ({exc.strerror or exc})", now_s)
            return None
        try:
            return self._decode(data)
        except CorruptState as exc:
            self._set_aside(path, str(exc), now_s)
            return None

    def _decode(self, data: bytes) -> Remembered:
        if len(data) > MAX_STATE_BYTES:
            raise CorruptState(f"is larger than {MAX_STATE_BYTES // 1024} KiB")
        try:
            doc: Any = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise CorruptState("is not JSON") from None
        if not isinstance(doc, dict):
            raise CorruptState("is not a JSON object")
        if doc.get("version") != FORMAT_VERSION:
            raise CorruptState(f"has an unknown version (expected {FORMAT_VERSION})")
        if doc.get("nara_id") != self.nara_id:
            raise CorruptState("belongs to another nara ID")
        start, restarts = doc.get("start_time_s"), doc.get("restarts")
        if not _int_in(start, MIN_START_TIME_S, MAX_START_TIME_S):
            raise CorruptState("has no valid start_time_s")
        if not _int_in(restarts, 0, MAX_RESTARTS):
            raise CorruptState("has no valid restarts")
        return Remembered(start_time_s=start, restarts=restarts)

    def _set_aside(self, path: Path, reason: str, now_s: int) -> None:
        """Rename a bad file out of the way (kept for a post-mortem) and say so, once."""
        target = _free_name(path, now_s)
        try:
            os.replace(path, target)
            _fsync_dir(path.parent)
        except OSError as exc:
            self._give_up(f"its state file {reason} and cannot be set aside: {exc.strerror or exc}")
            return
        self.log.warning(
            "state file %s %s; set aside as %s, starting afresh (restarts 0)",
            printable(str(path), 200),
            reason,
            target.name,
        )

    # ---- writing ----------------------------------------------------------------------------

    def save(self, remembered: Remembered) -> bool:
        """Write the state atomically. False (after one warning, the first time) when the
        directory cannot be used: from then on the nara runs with memory only."""
        if self.directory is None or not self.usable:
            return False
        doc = {
            "version": FORMAT_VERSION,
            "name": self.name,
            "nara_id": self.nara_id,
            "start_time_s": remembered.start_time_s,
            "restarts": remembered.restarts,
        }
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            _atomic_write(self.directory / self._file, (json.dumps(doc) + "\n").encode())
        except OSError as exc:
            self._give_up(exc.strerror or str(exc))
            return False
        return True

    def _remove_stale_temporaries(self, path: Path) -> None:
        """Temporary files of a write that a crash interrupted (the old file is still whole)."""
        with contextlib.suppress(OSError):
            for stale in path.parent.glob(f".{path.name}.*.tmp"):
                stale.unlink()

    def _give_up(self, reason: str) -> None:
        self.usable = False
        self.log.warning(
            "state directory %s cannot be used (%s): running with memory only; the start time "
            "and restart count will not survive a restart (-state-dir / NARA_STATE_DIR)",
            printable(str(self.directory), 200),
            reason,
        )


def boot(store: StateStore, now_s: int) -> Remembered:
    """Apply the boot rule (module docstring) and save the result at once.

    With memory only (no directory, or one that cannot be written) this run's values are kept
    as ``Remembered()``: the start time is then this run's or what the network agrees on."""
    saved = store.load(now_s)
    if saved is None:
        remembered = Remembered(start_time_s=now_s, restarts=0)
    else:
        remembered = Remembered(
            # A start time after now means the clock went back: the first start is not later
            # than this one.
            start_time_s=min(saved.start_time_s, now_s),
            restarts=min(saved.restarts + 1, MAX_RESTARTS),
        )
    if store.save(remembered):
        if saved is None:
            store.log.info("state: first start, remembered in %s", printable(str(store.path), 200))
        else:
            store.log.info(
                "state: restart %d since the first start at %d (%s)",
                remembered.restarts,
                remembered.start_time_s,
                printable(str(store.path), 200),
            )
        return remembered
    if store.directory is None:
        store.log.info(
            "no state directory (-state-dir, or HOME, unset): start time and restart count "
            "are kept in memory only"
        )
    return Remembered() if saved is None else remembered


# ---- file helpers ---------------------------------------------------------------------------


def _int_in(value: object, low: int, high: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _read_bounded(path: Path) -> bytes:
    """At most MAX_STATE_BYTES + 1 bytes of ``path``; a symlink is not followed."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(MAX_STATE_BYTES + 1)


def _free_name(path: Path, now_s: int) -> Path:
    base = path.with_name(f"{path.name}.corrupt-{now_s}")
    candidate, n = base, 1
    while candidate.exists() and n < 100:
        candidate, n = base.with_name(f"{base.name}-{n}"), n + 1
    return candidate


def _atomic_write(path: Path, data: bytes) -> None:
    """Temp file in the same directory → write → fsync → rename over ``path`` → fsync the dir."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
