#!/usr/bin/env bash
# Build the binary twice from scratch and compare sha256 (deployment spec §2: reproducibility).
#
# Both builds run on one snapshot of the checkout (tracked and untracked, not ignored, files),
# copied to two directories whose paths differ in length, so edits made meanwhile cannot
# interfere and a build that records its own path is caught. The second build also gets what
# must not matter either: a cold PyInstaller cache, another TMPDIR, another umask, a later
# clock. The real bin/nara is left alone. On a difference, says where: which entries of the
# PyInstaller archive differ, or else the staticx layer around it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PY=$root/.venv/bin/python
out=$root/build/repro
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/nara-repro.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The build facts come from the real checkout (the snapshots have no .git).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
NARA_COMMIT=${NARA_COMMIT:-$(git rev-parse HEAD)-repro}
export SOURCE_DATE_EPOCH NARA_COMMIT

echo "repro-check: snapshot of the checkout -> $work/snapshot"
mkdir "$work/snapshot"
git ls-files -z -co --exclude-standard \
  | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$work/snapshot"
# Copied, not linked: esbuild resolves symlinks, and source maps would name the real path.
cp -a nara-web/node_modules "$work/snapshot/nara-web/node_modules"
ln -s "$root/.venv" "$work/snapshot/.venv"

build() { # $1: name, $2: directory to build in
  echo "repro-check: build $1 in $2"
  cp -a "$work/snapshot" "$2"
  (cd "$2" && FORCE=1 scripts/build-binary.sh)
  cp "$2/bin/nara" "$out/$1"
  cp "$2/build/dist/nara" "$out/$1.pyinstaller"
}

build first "$work/a"
(
  umask 0077
  mkdir -p "$work/tmp"
  export TMPDIR=$work/tmp PYINSTALLER_CONFIG_DIR=$work/pyinstaller-cache
  build second "$work/second-build-in-a-longer-path"
)

(cd "$out" && sha256sum first second)
a=$(sha256sum <"$out/first")
b=$(sha256sum <"$out/second")
if [ "$a" = "$b" ]; then
  echo "repro-check: OK, the two builds are identical: sha256 ${a%% *}"
  exit 0
fi

echo "repro-check: the two builds differ" >&2
if cmp -s "$out/first.pyinstaller" "$out/second.pyinstaller"; then
  echo "repro-check: the PyInstaller archives are identical: the staticx layer differs" >&2
else
  echo "repro-check: the PyInstaller archives differ in:" >&2
  "$PY" - "$out/first.pyinstaller" "$out/second.pyinstaller" <<'PY' >&2
import sys
from PyInstaller.archive.readers import CArchiveReader
a, b = (CArchiveReader(p) for p in sys.argv[1:3])
for name in sorted(set(a.toc) | set(b.toc)):
    if name not in a.toc or name not in b.toc:
        print("  only in one:", name)
    elif a.extract(name) != b.extract(name):
        print("  differs:", name)
PY
fi
exit 1
