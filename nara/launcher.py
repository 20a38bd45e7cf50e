"""Living inside the one-file launcher: the temporary directory it unpacks into, and dying with it.

``bin/nara`` is three processes (measured with staticx 0.14 + PyInstaller 6):

1. the staticx bootloader (the file ``bin/nara`` itself): unpacks the program and its libc into
   ``$TMPDIR/staticx-XXXXXX`` (~19 MB), forks, execs it, forwards SIGTERM/SIGINT, removes the
   directory when the child is gone;
2. PyInstaller's bootloader, run from that directory: unpacks Python and the assets into
   ``$TMPDIR/_MEIxxxxxx`` (~36 MB), forks, execs, forwards signals, removes the directory;
3. Python, running nara.

``$TMPDIR`` problems stop process 1 before any Python runs, with one line of the bootloader's
own: "nara: Failed to create temporary directory in DIR: REASON" (missing, not a directory, not
writable; exit status 2) or "Failed to execv() DIR/staticx-XXXXXX/nara: Permission denied"
(mounted noexec; exit status 3). Those lines cannot carry a fix without shipping our own
bootloader, so the fix is documented next to them. ``check_tmpdir`` makes the same diagnosis,
with the fix, wherever Python does run: tests, a frozen build whose bootloader fell back to
another directory (PyInstaller alone does that; staticx does not), a pre-flight check.

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
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# After the launcher died, nara gets SIGTERM (a graceful shutdown that says chau, ~5 s budget);
# if it is still alive this much later, it exits hard rather than linger as an orphan.
ORPHAN_EXIT_DEADLINE = 15.0
FIX_HINT = "set TMPDIR to a writable directory that allows executing files, e.g. TMPDIR=/var/tmp"


def check_tmpdir(environ: Mapping[str, str] | None = None) -> str | None:
    """One line saying why the launcher's unpack directory is unusable and how to fix it, or
    None when it is fine.

    The directory is ``$TMPDIR`` or ``/tmp``, as the staticx bootloader uses (PyInstaller's
    would try others; staticx runs first and does not). It must exist, be a writable and
    searchable directory, and live on a filesystem that allows executing files.
    """
    env = os.environ if environ is None else environ
    if env.get("TMPDIR") == "":
        # getenv() returns "" and the bootloader tries to create "/staticx-XXXXXX".
        return f"nara: TMPDIR is set but empty: bin/nara unpacks itself there to start; {FIX_HINT}"
    tmpdir = env.get("TMPDIR") or "/tmp"
    where = f"TMPDIR={tmpdir}" if env.get("TMPDIR") else f"{tmpdir} (TMPDIR is not set)"
    problem = None
    try:
        st_flags = os.statvfs(tmpdir).f_flag
    except FileNotFoundError:
        problem = "does not exist"
    except OSError as exc:
        problem = f"cannot be used ({exc.strerror})"
    else:
        if not os.path.isdir(tmpdir):
            problem = "is not a directory"
        elif not os.access(tmpdir, os.W_OK | os.X_OK):
            problem = f"is not writable by uid {os.getuid()}"
        elif st_flags & os.ST_NOEXEC:
            problem = "is on a filesystem mounted noexec"
    if problem is None:
        return None
    return f"nara: {where} {problem}: bin/nara unpacks itself there to start; {FIX_HINT}"


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
