"""``bin/nara`` carries nothing of the machine that built it, and its members can be compared.

Both layers of the binary are unpacked by ``scripts/archive_members.py`` (staticx's tar,
PyInstaller's CArchive, the PYZ of pure modules, each member uncompressed) and grepped for the
builder's checkout path, home directory, user name and host name. ``make repro-check``
(``scripts/repro-check.sh``) builds twice on one machine with different paths, HOMEs, TMPDIRs,
umasks, user and host names and compares the members; these tests check the one binary
``make test`` built, and the tool that does the comparing.

Names that cannot be told from innocent bytes are not grepped, and say so in the assertion
message: ``root`` (the owner staticx's tar gives every member, on purpose; and a word in a
hundred libraries), and user or host names shorter than 4 characters (``vm`` is in libc). Paths
are grepped as they are; ``/root`` appears nowhere in a clean build.
"""

from __future__ import annotations

import getpass
import io
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from scripts.archive_members import ARCHIVE_SECTION, differences, find, listing, members
from tests.binary.conftest import ROOT

pytestmark = pytest.mark.binary

# Bytes the archive carries on purpose or everywhere (see the module docstring).
INNOCENT_NAMES = {"root", "localhost", "localhost.localdomain"}
SHORTEST_NAME = 4
TOOL = ROOT / "scripts" / "archive_members.py"


def builder_paths() -> list[str]:
    """The checkout and the builder's home directory (not "/")."""
    homes = {os.environ.get("HOME", ""), pwd.getpwuid(os.getuid()).pw_dir}
    return [str(ROOT), *sorted(h.rstrip("/") for h in homes if h.rstrip("/"))]


def builder_names() -> tuple[list[str], list[str]]:
    """(names to grep, names that cannot be grepped) of the builder's user and host."""
    host = socket.gethostname()
    names = {getpass.getuser(), pwd.getpwuid(os.getuid()).pw_name, host, host.split(".")[0]}
    checked = sorted(n for n in names if len(n) >= SHORTEST_NAME and n not in INNOCENT_NAMES)
    return checked, sorted(names - set(checked))


def test_no_builder_path_user_or_host_name_in_any_member(nara_binary: Path) -> None:
    """Every member of both layers, uncompressed, is free of the checkout's path, the builder's
    home, and (as whole words) its user and host names."""
    found = find(nara_binary, builder_paths())
    checked, unchecked = builder_names()
    words = [
        (n, re.compile(rb"(?<![A-Za-z0-9_.-])" + re.escape(n.encode()) + rb"(?![A-Za-z0-9_-])"))
        for n in checked
    ]
    found += [(m, n) for m, data in members(nara_binary) for n, word in words if word.search(data)]
    assert not found, (
        "bin/nara carries the builder's machine: "
        + ", ".join(f"{member} contains {needle!r}" for member, needle in found)
        + f" (not grepped, indistinguishable from innocent bytes: {unchecked})"
    )


def test_the_venv_install_records_are_left_out(nara_binary: Path) -> None:
    """direct_url.json (the editable install's checkout path) and RECORD (hashes of the venv's
    path-dependent files) of no distribution are bundled; nara's METADATA is."""
    names = [name for _, name in listing(nara_binary)]
    dist_info = [n for n in names if ".dist-info/" in n]
    assert dist_info, "no dist-info at all: has PyInstaller stopped collecting metadata?"
    leaked = [n for n in dist_info if n.rsplit("/", 1)[-1] in ("RECORD", "direct_url.json")]
    assert not leaked, leaked
    assert any(re.fullmatch(r"pyinstaller:nara-[^/]+\.dist-info/METADATA", n) for n in names)


def test_both_layers_are_listed(nara_binary: Path) -> None:
    """The listing reaches every layer: staticx's bootloader and tar, PyInstaller's archive, and
    the modules inside its PYZ; member names are unique, so two listings can be compared."""
    names = [name for _, name in listing(nara_binary)]
    assert len(names) == len(set(names))
    for expected in (
        "staticx:(bootloader)",
        "staticx:libnssfix.so",
        "pyinstaller:(bootloader)",
        "pyinstaller:nara/_buildinfo.json",
        "pyinstaller:nara/web/index.html",
        "pyz:nara.core.ledger",
    ):
        assert expected in names


def _flip_a_byte_of(binary: Path, member: str) -> None:
    """Change one byte in the middle of a staticx tar member, in place."""
    with open(binary, "rb") as f:
        section = ELFFile(f).get_section_by_name(ARCHIVE_SECTION)
        assert section is not None
        start, size = int(section["sh_offset"]), int(section["sh_size"])
    data = bytearray(binary.read_bytes())
    with tarfile.open(fileobj=io.BytesIO(bytes(data[start : start + size])), mode="r:") as tar:
        info = tar.getmember(member)
    at = start + info.offset_data + info.size // 2
    data[at] ^= 0xFF
    binary.write_bytes(bytes(data))


def test_diff_names_the_member_that_differs(nara_binary: Path, tmp_path: Path) -> None:
    """What repro-check prints when two builds differ: the first differing member, by name."""
    tampered = tmp_path / "nara"
    shutil.copy2(nara_binary, tampered)
    _flip_a_byte_of(tampered, "libnssfix.so")
    assert differences(nara_binary, tampered) == ["staticx:libnssfix.so"]
    run = subprocess.run(
        [sys.executable, str(TOOL), "--diff", str(nara_binary), str(tampered)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 1, run.stderr
    assert run.stdout == "first member that differs: staticx:libnssfix.so\n"
    same = subprocess.run(
        [sys.executable, str(TOOL), "--diff", str(nara_binary), str(nara_binary)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert (same.returncode, same.stdout) == (0, "identical\n")


@pytest.mark.parametrize("what", ["text", "elf"])
def test_a_file_that_is_not_nara_gets_one_line(tmp_path: Path, what: str) -> None:
    """The tool's bad input: one readable line and exit 2, never a traceback."""
    path = tmp_path / "not-nara"
    if what == "text":
        path.write_text("hello\n")
    else:
        shutil.copy2("/bin/true", path)
    run = subprocess.run(
        [sys.executable, str(TOOL), str(path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("archive_members: "), run.stderr
