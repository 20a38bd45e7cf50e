"""The frozen ``bin/nara`` (deployment spec §3, §9): one static file that serves the real
dashboard and docs from an empty root, answers health checks, refuses a busy port, says chau on
SIGTERM, never outlives its launcher, and meets ``python -m nara`` on a broker.

Run by ``make test`` after ``scripts/build-binary.sh``; a missing binary fails every test that
needs it, with the command to build it. The last section tests the support modules the binary
relies on (healthcheck, build facts, launcher) from source. Processes are waited on with
deadlines, never with sleeps.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nara.buildinfo import FIELDS, build_info, version_text
from nara.healthcheck import healthcheck, livez_url
from nara.launcher import FIX_HINT, WHY, check_tmpdir
from scripts.asset_hash import asset_hash
from tests.binary.conftest import ROOT, EmptyRoot, private_mount_namespace
from tests.conftest import Broker, NaraProcess, wait_for
from tests.integration.helpers import Plaza, sync_event_from

pytestmark = pytest.mark.binary

PT_INTERP = 3
PT_DYNAMIC = 2
STEADY = {"NARA_MISSING_AFTER": "300"}


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def program_header_types(path: Path) -> set[int]:
    """The p_type of every ELF program header (64-bit little-endian, as built here)."""
    with open(path, "rb") as f:
        ident = f.read(64)
        assert ident[:4] == b"\x7fELF", "not an ELF file"
        assert ident[4] == 2 and ident[5] == 1, "expected a 64-bit little-endian ELF"
        (phoff,) = struct.unpack_from("<Q", ident, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", ident, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return {struct.unpack_from("<I", table, i * phentsize)[0] for i in range(phnum)}


# ---- the artifact ------------------------------------------------------------------------------


def test_binary_exists_and_is_executable(nara_binary: Path) -> None:
    """Spec §9 "artifact verification": bin/nara exists and is executable."""
    assert nara_binary.is_file()
    assert os.access(nara_binary, os.X_OK)


def test_binary_is_statically_linked(nara_binary: Path) -> None:
    """No program interpreter and no dynamic section: the file runs without any libc of the host's
    (Alpine, old distributions, an empty root)."""
    types = program_header_types(nara_binary)
    assert PT_INTERP not in types, "bin/nara asks for a dynamic loader (PT_INTERP)"
    assert PT_DYNAMIC not in types, "bin/nara has a dynamic section"
    ldd = subprocess.run(["ldd", str(nara_binary)], capture_output=True, text=True, check=False)
    assert "not a dynamic executable" in ldd.stdout + ldd.stderr


def test_version_names_the_build_and_current_assets(nara_binary: Path) -> None:
    """--version prints the pyproject version, a commit, the build date, and the hash of the web
    sources it carries, which must be today's sources: a stale binary fails here (spec §7)."""
    result = subprocess.run(
        [str(nara_binary), "--version"], env={}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    lines = result.stdout.splitlines()
    assert lines[0] == f"nara {version}"
    fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    assert fields["commit"].strip() not in ("", "unknown")
    assert fields["built"].strip().endswith("Z")
    assert fields["assets"].strip() == asset_hash(ROOT), (
        "bin/nara carries web assets built from other sources: run `make build`"
    )


# ---- in an empty root with an empty environment ------------------------------------------------


def test_serves_dashboard_docs_and_health_from_an_empty_root(empty_root: EmptyRoot) -> None:
    """Spec §3/§9: with no files but itself, /proc and /tmp, and no environment, the binary serves
    the built dashboard at / (not the "not built" placeholder), the mkdocs site at /docs/, and
    answers /livez and /readyz on the same port."""
    nara = empty_root.start("lonely")
    status, body = get(nara.url + "/")
    assert status == 200
    assert '<meta name="nara-base"' in body
    assert "dashboard has not been built" not in body
    status, body = get(nara.url + "/docs/")
    assert status == 200
    assert "mkdocs" in body.lower() or "md-search" in body
    assert get(nara.url + "/livez")[0] == 200
    status, body = get(nara.url + "/readyz")
    assert status == 200, body
    assert json.loads(body)["checks"]["docs"] is True


def test_healthcheck_subcommand(empty_root: EmptyRoot) -> None:
    """`nara healthcheck` (Docker's HEALTHCHECK) exits 0 while the node answers /livez, from the
    port in -http-addr as from an explicit -url, and 1 with one line when nothing answers."""
    nara = empty_root.start("checked")
    port = nara.url.rsplit(":", 1)[1]
    ok = empty_root.run("healthcheck", "-http-addr", f"127.0.0.1:{port}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    ok = empty_root.run("healthcheck", "-url", nara.url + "/livez")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    nara.signal(signal.SIGTERM)
    assert nara.wait_exit(10) == 0
    down = empty_root.run("healthcheck", "-http-addr", f"127.0.0.1:{port}")
    assert down.returncode == 1
    assert len(down.stderr.strip().splitlines()) == 1, down.stderr
    assert f"127.0.0.1:{port}" in down.stderr


def docker_healthcheck_argv() -> list[str]:
    """The CMD of the Dockerfile's HEALTHCHECK (an exec-form JSON array)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])\s*$", text, re.M)
    assert match, "no exec-form HEALTHCHECK CMD in the Dockerfile"
    argv: list[str] = json.loads(match.group(1))
    return argv


def test_docker_healthcheck_command_probes_the_node(empty_root: EmptyRoot, tmp_path: Path) -> None:
    """The image's HEALTHCHECK, run as Alpine runs it (busybox sh and wget, HTTP_ADDR from the
    image's environment): 0 while the node answers /livez, non-zero once it is gone."""
    busybox = shutil.which("busybox")
    assert busybox, "busybox is needed (Debian package busybox; make test installs it)"
    applets = tmp_path / "busybox-bin"
    applets.mkdir()
    for applet in ("sh", "wget"):
        (applets / applet).symlink_to(busybox)
    argv = docker_healthcheck_argv()
    assert argv[0] == "/bin/sh"
    argv = [str(applets / "sh"), *argv[1:]]
    nara = empty_root.start("docked")
    port = nara.url.rsplit(":", 1)[1]
    env = {"PATH": str(applets), "HTTP_ADDR": f":{port}"}
    up = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert up.returncode == 0, up.stdout + up.stderr
    nara.signal(signal.SIGTERM)
    assert nara.wait_exit(10) == 0
    down = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert down.returncode != 0


def test_second_instance_on_the_same_port_exits_2(empty_root: EmptyRoot) -> None:
    """Spec §7 "port conflict": a second nara on a busy port exits 2 with a message that names
    the address and points at -http-addr; the first keeps serving."""
    first = empty_root.start("first")
    addr = first.url.removeprefix("http://")
    second = empty_root.run("-name", "second", "-http-addr", addr)
    assert second.returncode == 2, second.stdout + second.stderr
    assert addr in second.stderr
    assert "-http-addr" in second.stderr
    assert get(first.url + "/livez")[0] == 200


def test_sigterm_says_chau_and_exits_0_within_5s(empty_root: EmptyRoot, mosquitto: Broker) -> None:
    """SIGTERM to the launcher (what Docker, Fly and systemd send) reaches the node through both
    bootloaders: it publishes chau on the plaza and exits 0 within the 5 s shutdown budget."""
    plaza = Plaza(mosquitto.host, mosquitto.port, topics=["nara/plaza/chau"])
    try:
        nara = empty_root.start("leaver", "-mqtt-host", mosquitto.url)
        wait_for(
            lambda: json.loads(get(nara.url + "/readyz")[1])["checks"]["plaza"] is True,
            30,
            what="the binary to connect to the broker",
        )
        nara.signal(signal.SIGTERM)
        assert nara.wait_exit(5) == 0, nara.output()
        plaza.wait(
            "nara/plaza/chau",
            lambda m: sync_event_from(m, "chau", "leaver"),
            timeout=5,
            what="leaver's chau",
        )
    finally:
        plaza.close()


def test_sigkill_of_the_launcher_leaves_no_server(
    empty_root: EmptyRoot, descendants: Callable[[int], list[int]]
) -> None:
    """SIGKILL cannot be forwarded: killing the outermost process (the staticx bootloader that a
    supervisor knows) must still end PyInstaller's bootloader and the Python server below it,
    and free the port. Each process is watched through a pidfd, so pid reuse cannot fool us."""
    nara = empty_root.start("doomed")
    below = descendants(nara.proc.pid)
    assert len(below) >= 2, f"expected the bootloader and Python below the launcher: {below}"
    pidfds = [os.pidfd_open(pid) for pid in below]
    try:
        nara.proc.kill()
        nara.proc.wait(10)

        def all_gone() -> bool:
            ready, _, _ = select.select(pidfds, [], [], 0)
            return len(ready) == len(pidfds)

        wait_for(all_gone, 15, what=f"processes {below} to exit after their launcher was killed")
    finally:
        for fd in pidfds:
            os.close(fd)

    def refused() -> bool:
        try:
            get(nara.url + "/livez", timeout=1)
        except OSError:
            return True
        return False

    wait_for(refused, 5, what="the port to stop answering")


# What is wrong with the unpack directory: (TMPDIR, tmpfs options for /tmp, chroot options,
# the problem the one line names). The root holds /nara (a file), /proc, /tmp and /locked
# (root's, 0755).
UNUSABLE_TMPDIRS = {
    "missing": ("/no/such/dir", "", "", "does not exist"),
    "empty": ("", "", "", "set but empty"),
    "a-file": ("/nara", "", "", "is not a directory"),
    "below-a-file": ("/nara/tmp", "", "", "is not a directory"),
    "noexec": (None, "noexec,mode=1777", "", "is on a filesystem mounted noexec"),
    "read-only": (None, "ro,mode=1777", "", "is on a read-only filesystem"),
    "not-writable": ("/locked", "", "--userspec=65534:65534", "is not writable by uid 65534"),
}


@pytest.mark.parametrize("case", UNUSABLE_TMPDIRS)
def test_unusable_tmpdir_stops_the_launcher_with_one_line(empty_root: EmptyRoot, case: str) -> None:
    """The one-file launcher unpacks into $TMPDIR and executes from there before any Python
    runs. Before it unpacks anything, the check linked into its bootloader stops it, with
    status 2 and one line naming the directory, what is wrong with it and how to fix it: the
    very line nara.launcher.check_tmpdir gives for the same problem. Nothing is unpacked."""
    tmpdir, tmpfs, chroot_opts, problem = UNUSABLE_TMPDIRS[case]
    if chroot_opts and os.geteuid() != 0:
        pytest.skip("running the binary as another uid in the empty root needs root")
    (empty_root.path / "locked").mkdir(mode=0o755)
    env = {} if tmpdir is None else {"TMPDIR": tmpdir}
    result = subprocess.run(
        empty_root.argv("--version", tmpfs=tmpfs, chroot_opts=chroot_opts),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    where = {"": "TMPDIR is", None: "/tmp (TMPDIR is not set)"}.get(tmpdir, f"TMPDIR={tmpdir}")
    assert lines[0] == f"nara: {where} {problem}: {WHY}; {FIX_HINT}"
    assert "e.g. TMPDIR=/var/tmp" in lines[0]
    assert not any((empty_root.path / "tmp").iterdir())
    assert not any((empty_root.path / "locked").iterdir())
    if case in ("missing", "empty"):
        assert check_tmpdir(env) == lines[0]


def test_usable_tmpdir_elsewhere_starts_the_binary(empty_root: EmptyRoot) -> None:
    """The fix the line gives works: with /tmp noexec, TMPDIR pointing at a usable directory
    lets the binary start."""
    (empty_root.path / "var" / "tmp").mkdir(parents=True)
    result = subprocess.run(
        empty_root.argv("--version", tmpfs="noexec,mode=1777"),
        env={"TMPDIR": "/var/tmp"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "nara" in result.stdout


# ---- with python -m nara -----------------------------------------------------------------------


def test_binary_and_source_naras_meet(
    nara_binary: Path, mosquitto: Broker, spawn_nara: Callable[..., NaraProcess]
) -> None:
    """The frozen node and the source node speak the same plaza protocol: on one broker each lists
    the other ONLINE in /narae.json."""
    frozen = spawn_nara("frozen", broker=mosquitto, env=STEADY, command=[str(nara_binary)])
    source = spawn_nara("source", broker=mosquitto, env=STEADY)

    def met() -> bool:
        return (
            frozen.statuses().get("source") == "ONLINE"
            and source.statuses().get("frozen") == "ONLINE"
        )

    wait_for(met, 60, what="frozen and source naras to list each other ONLINE")


# ---- the support modules, from source (no bin/nara needed) -------------------------------------


@pytest.fixture
def http_server() -> Iterator[str]:
    """A stdlib HTTP server on a free loopback port: /livez 200, /sick 503, /moved 302."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = {"/livez": 200, "/sick": 503, "/moved": 302}.get(self.path, 404)
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "/livez")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_healthcheck_exit_status(http_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """0 only for a 2xx answer; 1 with exactly one line otherwise (an error status, a redirect:
    a probe that lands elsewhere proves nothing, nothing listening, not an http URL). A proxy in
    the environment is ignored: a loopback probe must never leave the machine."""
    monkeypatch.setenv("http_proxy", "http://192.0.2.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://192.0.2.1:9")
    out = io.StringIO()
    assert healthcheck(http_server + "/livez", out=out) == 0
    assert out.getvalue() == ""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}/livez"
    for url, expected in [
        (http_server + "/sick", "HTTP 503"),
        (http_server + "/moved", "HTTP 302"),
        (closed, "refused"),
        ("file:///etc/passwd", "not an http"),
    ]:
        out = io.StringIO()
        assert healthcheck(url, timeout=2.0, out=out) == 1, url
        assert len(out.getvalue().splitlines()) == 1 and expected in out.getvalue(), url


def test_livez_url_probes_loopback_for_wildcard_addresses() -> None:
    """A node listening on every interface is probed on loopback; IPv6 literals are bracketed;
    the base path is kept."""
    assert livez_url("", 8080) == "http://127.0.0.1:8080/livez"
    assert livez_url("0.0.0.0", 80, "/nara") == "http://127.0.0.1:80/nara/livez"
    assert livez_url("::", 8080) == "http://[::1]:8080/livez"
    assert livez_url("192.0.2.7", 9000) == "http://192.0.2.7:9000/livez"


def test_check_tmpdir_names_the_problem_and_the_fix(tmp_path: Path) -> None:
    """One line naming TMPDIR, what is wrong with it and how to fix it; None for a usable one."""
    assert check_tmpdir({"TMPDIR": str(tmp_path)}) is None
    a_file = tmp_path / "file"
    a_file.write_text("")
    for value, problem in [
        (str(tmp_path / "missing"), "does not exist"),
        (str(a_file), "is not a directory"),
        (str(a_file) + "/", "is not a directory"),
        ("", "set but empty"),
    ]:
        message = check_tmpdir({"TMPDIR": value})
        assert message is not None and "\n" not in message
        assert value in message and problem in message and "TMPDIR" in message


@pytest.mark.parametrize(
    ("options", "problem"),
    [("noexec", "is on a filesystem mounted noexec"), ("ro", "is on a read-only filesystem")],
)
def test_check_tmpdir_sees_mount_options(tmp_path: Path, options: str, problem: str) -> None:
    """A TMPDIR on a filesystem mounted noexec or read-only is reported (checked on a real
    tmpfs, in a private mount namespace)."""
    script = (
        'mount -t tmpfs -o "$3" tmpfs "$1" && exec "$2" -c '
        "\"from nara.launcher import check_tmpdir; print(check_tmpdir({'TMPDIR': '$1'}))\""
    )
    argv = [*private_mount_namespace(), "/bin/sh", "-c", script, "sh"]
    result = subprocess.run(
        [*argv, str(tmp_path), sys.executable, options],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"nara: TMPDIR={tmp_path} {problem}: {WHY}; {FIX_HINT}"


def test_build_info_from_source() -> None:
    """From a checkout, build facts fall back to the installed version and git; every field is a
    non-empty string and --version's first line names the version."""
    info = build_info()
    assert tuple(info) == FIELDS
    assert all(isinstance(v, str) and v for v in info.values())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert info["version"] == version
    assert version_text().splitlines()[0] == f"nara {version}"


def test_bind_to_parent_does_nothing_from_source() -> None:
    """`python -m nara` started from a shell must outlive that shell: outside the one-file
    binary, no parent-death signal is set."""
    code = (
        "import ctypes; from nara.launcher import bind_to_parent; bind_to_parent(); "
        "libc = ctypes.CDLL(None); sig = ctypes.c_int(-1); "
        "libc.prctl(2, ctypes.byref(sig), 0, 0, 0); print(sig.value)"  # PR_GET_PDEATHSIG
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
