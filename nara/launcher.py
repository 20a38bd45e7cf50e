"""Living inside the one-file launcher: the temporary directory it unpacks into, and dying with it.

``bin/nara`` is three processes (measured with staticx 0.14 + PyInstaller 6):

1. the staticx bootloader (the file ``bin/nara`` itself): unpacks the program and its libc into
   ``$TMPDIR/staticx-XXXXXX`` (~19 MB), forks, execs it, forwards SIGTERM/SIGINT, removes the
   directory when the child is gone;
2. PyInstaller's bootloader, run from that directory: unpacks Python and the assets into
   ``$TMPDIR/_MEIxxxxxx`` (~36 MB), forks, execs, forwards signals, removes the directory;
3. Python, running nara.

Before process 1 unpacks anything, a check of ours linked into its bootloader
(``packaging/bootloader/nara_preflight.c``, built by ``scripts/build-bootloader.sh``) makes sure
``$TMPDIR`` (or ``/tmp``) is usable: it exists, is a writable and searchable directory, and is
on a filesystem that is neither read-only nor mounted noexec. If not, it prints one line that
says what is wrong and how to fix it, and exits with status 2. ``check_tmpdir`` is the same
check in Python, in the same words (only the system's text for an unusual error, from musl
there and glibc here, may differ); the tests compare the two.

SIGKILL cannot be forwarded: killing process 1 or 2 that way would orphan process 3, a server
still holding its port. ``bind_to_parent`` makes process 3 follow both launcher processes.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import select
import shutil
import signal
import stat
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# After the launcher died, nara gets SIGTERM (a graceful shutdown that says chau, ~5 s budget);
# if it is still alive this much later, it exits hard rather than linger as an orphan.
ORPHAN_EXIT_DEADLINE = 15.0
WHY = "nara unpacks itself there to start"
FIX_HINT = "set TMPDIR to a writable directory that allows executing files, e.g. TMPDIR=/var/tmp"


def check_tmpdir(environ: Mapping[str, str] | None = None) -> str | None:
    """One line saying why the launcher's unpack directory is unusable and how to fix it, or
    None when it is fine. The same checks, in the same order and words, as the bootloader's
    ``nara_preflight.c``.

    The directory is ``$TMPDIR`` or ``/tmp``, as the staticx bootloader uses (PyInstaller's
    would try others; staticx runs first and does not).
    """
    env = os.environ if environ is None else environ
    tmpdir = env.get("TMPDIR")
    if tmpdir == "":
        # getenv() returns "" and the bootloader would try to create "/staticx-XXXXXX".
        return f"nara: TMPDIR is set but empty: {WHY}; {FIX_HINT}"
    where = f"TMPDIR={tmpdir}" if tmpdir else "/tmp (TMPDIR is not set)"
    problem = _tmpdir_problem(tmpdir or "/tmp")
    if problem is None:
        return None
    return f"nara: {where} {problem}: {WHY}; {FIX_HINT}"


def _tmpdir_problem(path: str) -> str | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except NotADirectoryError:
        return "is not a directory"
    except OSError as exc:
        return f"cannot be used ({exc.strerror})"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    try:
        flags = os.statvfs(path).f_flag
    except OSError:
        flags = 0  # unknown: let the launcher try, as the C check does
    if flags & os.ST_RDONLY:
        return "is on a read-only filesystem"
    # Effective ids and capabilities, as creating the directory will use.
    if not os.access(path, os.W_OK | os.X_OK, effective_ids=True):
        return f"is not writable by uid {os.geteuid()}"
    if flags & os.ST_NOEXEC:
        return "is on a filesystem mounted noexec"
    return None


def is_onefile_child() -> bool:
    """True in the Python process of a PyInstaller one-file build (its parent is the
    bootloader); False from source and in a one-folder build."""
    meipass = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or meipass is None:
        return False
    # One-folder builds keep their files next to the executable; one-file builds unpack them
    # into a temporary _MEI directory elsewhere.
    return not Path(meipass).resolve().is_relative_to(Path(sys.executable).resolve().parent)


def bind_to_parent(environ: Mapping[str, str] | None = None) -> None:
    """Make this process get SIGTERM when any launcher process above it dies, even by SIGKILL.

    Call once, early, in the one-file binary's Python process; elsewhere it does nothing (a
    ``python -m nara`` started from a shell must outlive that shell). Linux only.

    - The direct parent (PyInstaller's bootloader): ``PR_SET_PDEATHSIG``; then ``getppid`` is
      checked again, because a parent that died before the ``prctl`` sends nothing.
    - The staticx bootloader above it (the ``bin/nara`` a supervisor actually killed): a pidfd,
      watched by a daemon thread, since a death signal only covers the direct parent. It needs
      ``/proc`` to learn that grandparent; without ``/proc`` only the direct parent is covered.

    When it fires, nara gets SIGTERM (the normal graceful shutdown) and exits hard
    ``ORPHAN_EXIT_DEADLINE`` seconds later if still alive; the staticx directory that the killed
    bootloader can no longer remove is removed at exit.
    """
    if not sys.platform.startswith("linux") or not is_onefile_child():
        return
    env = os.environ if environ is None else environ
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        print(f"nara: prctl(PR_SET_PDEATHSIG) failed: {os.strerror(err)}", file=sys.stderr)
    atexit.register(_remove_orphaned_unpack_dir, parent)
    if os.getppid() != parent:
        _launcher_gone()
        return
    _watch_staticx_launcher(parent, env)


def _remove_orphaned_unpack_dir(parent: int) -> None:
    # PyInstaller's bootloader removes its _MEI directory after we exit; when it was killed
    # first, nobody else will. Unlinked files stay mapped, so removing it as we exit is safe.
    meipass = getattr(sys, "_MEIPASS", "")
    if os.getppid() != parent and Path(meipass).name.startswith("_MEI"):
        shutil.rmtree(meipass, ignore_errors=True)


def _watch_staticx_launcher(parent: int, env: Mapping[str, str]) -> None:
    bundle = env.get("STATICX_BUNDLE_DIR", "")
    if not bundle:
        return
    try:
        parent_exe = os.readlink(f"/proc/{parent}/exe")
        launcher = _ppid_of(parent)
    except OSError:
        return  # no /proc: the death signal alone has to do
    # Our parent runs from the staticx bundle directory, so its parent is the staticx bootloader.
    if not parent_exe.startswith(bundle.rstrip("/") + "/") or launcher <= 1:
        return
    try:
        pidfd = os.pidfd_open(launcher)
    except OSError:
        _launcher_gone(bundle)
        return
    # The launcher may have died (and its pid been reused) between reading it and opening the
    # pidfd; the parent is then no longer its child.
    try:
        still_child = _ppid_of(parent) == launcher
    except OSError:
        still_child = False
    if not still_child:
        os.close(pidfd)
        _launcher_gone(bundle)
        return
    threading.Thread(
        target=_wait_for_exit, args=(pidfd, bundle, parent), name="nara-launcher-watch", daemon=True
    ).start()


def _ppid_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as stat:
        text = stat.read()
    # "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    return int(text[text.rindex(")") + 2 :].split()[1])


def _wait_for_exit(pidfd: int, bundle: str, parent: int) -> None:
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    while not poller.poll():
        pass
    os.close(pidfd)
    # When our parent died first, its death signal has already asked us to stop; a second
    # SIGTERM could land after the event loop restored the default handler and kill us
    # before the exit handlers run.
    _launcher_gone(bundle, signal_self=os.getppid() == parent)


def _launcher_gone(bundle: str = "", *, signal_self: bool = True) -> None:
    if bundle and Path(bundle).name.startswith("staticx-"):
        # Whoever killed the bootloader left its directory behind; our parent still runs from
        # it, which is fine (unlinked files stay mapped), so remove it only as we exit.
        atexit.register(shutil.rmtree, bundle, ignore_errors=True)
    threading.Thread(target=_hard_exit_later, name="nara-orphan-deadline", daemon=True).start()
    if signal_self:
        os.kill(os.getpid(), signal.SIGTERM)


def _hard_exit_later() -> None:
    time.sleep(ORPHAN_EXIT_DEADLINE)
    print("nara: launcher gone and shutdown did not finish; exiting", file=sys.stderr)
    os._exit(1)
