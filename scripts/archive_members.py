#!/usr/bin/env python3
"""Every member of ``bin/nara``, unpacked from both of its layers, with its sha256.

``bin/nara`` is staticx around PyInstaller: a static bootloader ELF whose ``.staticx.archive``
section holds a tar (uncompressed: ``--no-compress``) of the dynamic loader, the libraries and
``.staticx.prog``, the PyInstaller one-file executable. That one is PyInstaller's bootloader
followed by its CArchive (data files, extension modules, scripts), one member of which is the
PYZ of every pure Python module. Members are named by layer, and listed in this order
(innermost first):

    staticx:<tar member>        e.g. staticx:libc.so.6, staticx:libnssfix.so
    pyinstaller:<entry>         e.g. pyinstaller:nara/web/index.html (uncompressed bytes)
    pyz:<module>                e.g. pyz:nara.core.ledger (uncompressed marshalled code)
    pyz:(toc)                   the PYZ's module list: order, names, kinds
    pyinstaller:PYZ.pyz         the PYZ itself
    pyinstaller:(toc)           the CArchive's table of contents: order, names, kinds, flags
    pyinstaller:(bootloader)    the program up to its CArchive
    staticx:nara                the program (PyInstaller's executable), and .staticx.prog
    staticx:(tar headers)       name, mode, owner, mtime, link target of every tar member, in order
    staticx:(bootloader)        the ELF without its archive section's bytes

``scripts/repro-check.sh`` diffs the listings of two builds and names the first member that
differs; ``tests/binary`` greps the members for the builder's path, user and host names.

Usage: archive_members.py BINARY                    print "sha256  member" lines
       archive_members.py --diff OTHER BINARY       name the first member that differs, then the
                                                    others; exit 1 when one does
       archive_members.py --find TEXT... -- BINARY  print the members containing any TEXT; exit 1
                                                    when one does
Exit 2, with one line, for a file that is not such a binary. Needs the build venv (pyelftools,
PyInstaller).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from PyInstaller.archive.readers import CArchiveReader, ZlibArchiveReader

ARCHIVE_SECTION = ".staticx.archive"
PROG_MEMBER = ".staticx.prog"
PYZ_TYPECODE = "z"


class NotNaraBinary(Exception):
    """The file is not staticx around a PyInstaller one-file executable."""


def members(binary: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every member of both layers, innermost first: a layer's members before
    the layer itself (its container, its table, its bootloader, which change whenever a member's
    size does), so the first difference between two builds is the one that caused the others."""
    data = binary.read_bytes()
    with open(binary, "rb") as f:
        try:
            section = ELFFile(f).get_section_by_name(ARCHIVE_SECTION)
        except ELFError as exc:
            raise NotNaraBinary(f"{binary}: not an ELF file ({exc})") from exc
        if section is None:
            raise NotNaraBinary(f"{binary}: no {ARCHIVE_SECTION} section (not a staticx binary)")
        start, size = int(section["sh_offset"]), int(section["sh_size"])
    prog_name = PROG_MEMBER
    headers: list[str] = []
    tar_members: list[tuple[str, bytes]] = []
    with tarfile.open(fileobj=io.BytesIO(data[start : start + size]), mode="r:") as tar:
        for info in tar:
            headers.append(
                f"{info.name} {info.type!r} {info.mode:o} {info.uid}:{info.gid} "
                f"{info.uname}:{info.gname} {info.mtime} {info.linkname}"
            )
            extracted = tar.extractfile(info) if info.isreg() else None
            content = extracted.read() if extracted else f"-> {info.linkname}".encode()
            tar_members.append((info.name, content))
            if info.name == PROG_MEMBER and info.issym():
                prog_name = info.linkname  # staticx links .staticx.prog to the program's name
    prog = dict(tar_members).get(prog_name)
    if prog is None:
        raise NotNaraBinary(f"{binary}: no {PROG_MEMBER} in the staticx archive")
    wrappers = (prog_name, PROG_MEMBER)
    for name, content in tar_members:
        if name not in wrappers:
            yield f"staticx:{name}", content
    yield from _pyinstaller_members(prog)
    for name, content in tar_members:
        if name in wrappers:
            yield f"staticx:{name}", content
    yield "staticx:(tar headers)", "\n".join(headers).encode()
    yield "staticx:(bootloader)", data[:start] + data[start + size :]


def _pyinstaller_members(prog: bytes) -> Iterator[tuple[str, bytes]]:
    # PyInstaller's readers want a file name.
    with tempfile.TemporaryDirectory(prefix="nara-members-") as tmp:
        path = os.path.join(tmp, "prog")
        with open(path, "wb") as f:
            f.write(prog)
        try:
            carchive = CArchiveReader(path)
        except Exception as exc:  # PyInstaller raises bare ArchiveReadError/ValueError kinds
            raise NotNaraBinary(f"{PROG_MEMBER} is not a PyInstaller executable: {exc}") from exc
        toc = [(name, entry[3], entry[4]) for name, entry in carchive.toc.items()]
        for name, _, typecode in toc:
            if typecode != PYZ_TYPECODE:
                yield f"pyinstaller:{name}", carchive.extract(name)
        for name, _, typecode in toc:
            if typecode == PYZ_TYPECODE:
                pyz = carchive.open_embedded_archive(name)
                assert isinstance(pyz, ZlibArchiveReader)
                for module in pyz.toc:
                    # raw: decompressed, still marshalled (None for a namespace package).
                    yield f"pyz:{module}", pyz.extract(module, raw=True) or b""
                yield "pyz:(toc)", "\n".join(f"{m} {e[0]}" for m, e in pyz.toc.items()).encode()
                yield f"pyinstaller:{name}", carchive.extract(name)
        yield "pyinstaller:(toc)", "\n".join(f"{n} {c} {t}" for n, c, t in toc).encode()
        yield "pyinstaller:(bootloader)", prog[: carchive._start_offset]


def listing(binary: Path) -> list[tuple[str, str]]:
    """(sha256 hex, member name) of every member, in archive order."""
    return [(hashlib.sha256(data).hexdigest(), name) for name, data in members(binary)]


def find(binary: Path, needles: list[str]) -> list[tuple[str, str]]:
    """(member, needle) for every member containing a needle (bytes, case-sensitive)."""
    wanted = [(n, n.encode()) for n in needles if n]
    return [
        (name, needle) for name, data in members(binary) for needle, raw in wanted if raw in data
    ]


def differences(first: Path, second: Path) -> list[str]:
    """Every member whose bytes differ, or that only one has: first's order, then second's."""
    a, b = ({name: digest for digest, name in listing(p)} for p in (first, second))
    names = [*a, *(name for name in b if name not in a)]
    return [name for name in names if a.get(name) != b.get(name)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", type=Path)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--find", nargs="+", metavar="TEXT", help="report members containing it")
    mode.add_argument("--diff", type=Path, metavar="OTHER", help="compare with another binary")
    args = parser.parse_args(argv)
    try:
        if args.diff:
            differ = differences(args.diff, args.binary)
            if not differ:
                same = args.diff.read_bytes() == args.binary.read_bytes()
                print("identical" if same else "every member is identical; their layout differs")
                return 0 if same else 1
            print(f"first member that differs: {differ[0]}")
            for name in differ[1:]:
                print(f"  also: {name}")
            return 1
        if args.find:
            hits = find(args.binary, args.find)
            for name, needle in hits:
                print(f"{name} contains {needle!r}")
            return 1 if hits else 0
        for digest, name in listing(args.binary):
            print(f"{digest}  {name}")
    except (OSError, NotNaraBinary, tarfile.TarError) as exc:
        print(f"archive_members: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
