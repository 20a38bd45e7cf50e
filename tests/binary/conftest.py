"""Fixtures for the tests of the frozen ``bin/nara``: the binary itself (a missing one FAILS with
the command that builds it) and an empty root to run it in.

The empty root is a directory holding only ``/nara``, ``/proc`` (a recursive bind of the host's,
in a private mount namespace, so nothing is left mounted afterwards) and ``/tmp``; the binary is
started there with an empty environment. ``unshare --mount`` needs root; without root an
unprivileged user namespace is used (``--user --map-root-user``); when neither is allowed the
test fails with unshare's reason rather than skipping.

The broker comes from the shared ``mosquitto`` fixture in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import URL_LINE, NaraProcess, wait_for

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "bin" / "nara"
# In the empty root: mount the host's /proc (and, if asked, a tmpfs on /tmp with the options in
# $TMPFS), then become the binary (exec keeps the pid, so the test's Popen pid is the launcher
# itself). chroot's options (e.g. --userspec) come in $CHROOT_OPTS.
ENTER = (
    'm=$1 c=$2 r=$3; shift 3; "$m" --rbind /proc "$r/proc" '
    '&& { [ -z "$TMPFS" ] || "$m" -t tmpfs -o "$TMPFS" tmpfs "$r/tmp"; } '
    '&& exec "$c" $CHROOT_OPTS "$r" /nara "$@"'
)


@pytest.fixture(scope="session")
def nara_binary() -> Path:
    """``bin/nara``; fails (never skips) when it has not been built."""
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} is missing: run `make build` (or `make test`, which builds it)")
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} is not executable: run `make build` again")
    return BINARY


def _tool(name: str) -> str:
    for candidate in (shutil.which(name), f"/usr/bin/{name}", f"/usr/sbin/{name}", f"/bin/{name}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"{name} is needed to run bin/nara in an empty root (Debian: util-linux/coreutils)")


def private_mount_namespace() -> list[str]:
    """The command prefix running a command in a private mount namespace (as root inside a user
    namespace when we are not root), so its mounts vanish with it."""
    userns = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return [_tool("unshare"), "--mount", "--propagation", "private", *userns, "--"]


class EmptyRoot:
    """A directory with only the binary, /proc and /tmp; runs the binary there, env empty."""

    def __init__(self, path: Path, binary: Path, logs: Path) -> None:
        self.path = path
        self.logs = logs
        (path / "proc").mkdir(parents=True)
        (path / "tmp").mkdir()
        (path / "tmp").chmod(0o1777)
        shutil.copy2(binary, path / "nara")
        self._unshare = private_mount_namespace()
        self._tools = [_tool("mount"), _tool("chroot"), str(path)]
        self.started: list[NaraProcess] = []

    def argv(self, *args: str, tmpfs: str = "", chroot_opts: str = "") -> list[str]:
        """The command running ``/nara ARGS`` in the root; ``tmpfs``: mount options for a
        tmpfs on its /tmp (e.g. "noexec,mode=1777"); ``chroot_opts``: e.g. a --userspec."""
        setup = f"TMPFS={shlex.quote(tmpfs)} CHROOT_OPTS={shlex.quote(chroot_opts)}; {ENTER}"
        return [*self._unshare, "/bin/sh", "-c", setup, "sh", *self._tools, *args]

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run to completion, e.g. ``--version`` or ``healthcheck``."""
        return subprocess.run(
            self.argv(*args), env={}, capture_output=True, text=True, timeout=timeout, check=False
        )

    def start(self, name: str, *args: str, wait: bool = True) -> NaraProcess:
        """Start ``nara -name NAME -http-addr 127.0.0.1:0 ARGS`` and wait until it listens."""
        log_path = self.logs / f"{name}-{len(self.started)}.log"
        argv = self.argv("-name", name, "-http-addr", "127.0.0.1:0", *args)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(argv, env={}, stdout=log, stderr=subprocess.STDOUT)
        nara = NaraProcess(name, proc, log_path)
        self.started.append(nara)
        if wait:

            def listening() -> str | None:
                if proc.poll() is not None:
                    raise AssertionError(
                        f"{name} exited with {proc.returncode} in the empty root:\n{nara.output()}"
                    )
                match = URL_LINE.search(nara.output())
                return match.group(1) if match else None

            nara.url = wait_for(listening, 60, what=f"{name} to listen in the empty root")
        return nara

    def stop_all(self) -> None:
        for nara in self.started:
            if nara.proc.poll() is None:
                nara.proc.kill()
                nara.proc.wait(10)


@pytest.fixture
def empty_root(tmp_path: Path, nara_binary: Path) -> Iterator[EmptyRoot]:
    """An empty root for this test; its naras are killed afterwards."""
    root = EmptyRoot(tmp_path / "root", nara_binary, tmp_path)
    probe = root.run("--version")
    if probe.returncode != 0:
        pytest.fail(
            "cannot run bin/nara in an empty root (needs root, or unprivileged user "
            f"namespaces): exit {probe.returncode}\n{probe.stdout}{probe.stderr}"
        )
    yield root
    root.stop_all()


@pytest.fixture
def descendants() -> Callable[[int], list[int]]:
    """Every process below ``pid``, from /proc (the launcher's bootloader and Python children)."""

    def below(pid: int) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        found: list[int] = []
        todo = [pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    return below
