#!/usr/bin/env bash
# Build staticx, with nara's pre-flight check linked into its bootloader, into build/staticx.
#
# bin/nara starts in staticx's bootloader, which unpacks the program into $TMPDIR before any
# Python runs. Its own errors for an unusable TMPDIR name the symptom only, so we build the
# bootloader from staticx's pinned source release (requirements/staticx-source.txt, hash
# checked) with packaging/bootloader/nara_preflight.c added at link time: a constructor that
# runs before the bootloader's main() and explains, in one line, what is wrong with TMPDIR and
# how to fix it. staticx's files are not modified; the compiler is musl-gcc, as for staticx's
# own wheels. scripts/build-binary.sh then runs this tree's staticx (PYTHONPATH=build/staticx).
#
# Skips itself when build/staticx was built from the same inputs. Needs musl-gcc (Debian
# musl-tools), gcc and libc6-dev (for staticx's libnssfix), scons and pyelftools (in the venv).
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$self")/.."
root=$PWD
export PATH="$root/.venv/bin:$PATH"
# SCons is Python, and staticx's libnssfix/SConscript collects the NSS modules named in its
# nsswitch.conf through a set: with a random string hash the DT_NEEDED order of libnssfix.so
# (libnss_dns, libnss_files) differed in about half of all clean builds. A fixed seed fixes it.
export PYTHONHASHSEED=0
log() { echo "build-bootloader: $*"; }
die() {
  echo "build-bootloader: $*" >&2
  exit 1
}
pin=requirements/staticx-source.txt
preflight=packaging/bootloader/nara_preflight.c
dest=build/staticx
command -v musl-gcc >/dev/null || die "musl-gcc is missing (Debian: apt-get install musl-tools)"
command -v scons >/dev/null || die "scons is missing from the venv (make bootstrap-build)"

version=$(sed -n 's/^staticx==\([0-9.]*\).*/\1/p' "$pin")
# Everything that goes into the bootloader and libnssfix: the sources, this script, the
# machine, the compilers and musl (linked in statically).
toolchain() {
  uname -m
  musl-gcc --version
  gcc --version
  if command -v dpkg-query >/dev/null; then dpkg-query -W musl musl-dev musl-tools gcc libc6-dev; fi
}
inputs_hash=$(cat "$pin" "$preflight" "$self" <(toolchain 2>&1) | sha256sum | cut -c1-16)
built() { [ -x "$1/staticx/assets/release/bootloader" ] && [ -f "$1/staticx/assets/release/libnssfix.so" ]; }
if [ -f "$dest/.nara-inputs" ] && [ "$(cat "$dest/.nara-inputs")" = "$inputs_hash" ] \
  && built "$dest"; then
  log "staticx $version bootloader with nara's TMPDIR check is up to date"
  exit 0
fi

log "staticx $version from source, bootloader with nara's TMPDIR check -> $dest"
sdists=build/sdists
mkdir -p "$sdists"
tarball=$sdists/staticx-$version.tar.gz
want=$(sed -n 's/.*--hash=sha256:\([0-9a-f]*\).*/\1/p' "$pin")
if [ -f "$tarball" ] && ! echo "$want  $tarball" | sha256sum --check --status -; then
  log "cached $tarball does not match $pin: downloading it again"
  rm -f "$tarball"
fi
if [ ! -f "$tarball" ]; then
  # Hash-checked by pip (--require-hashes); no build isolation, so pip fetches nothing else.
  if ! pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    --no-build-isolation --require-hashes -r "$pin" -d "$sdists" 2>&1 \
    | { grep -v "^WARNING: Location" >&2 || true; } || [ ! -f "$tarball" ]; then
    die "could not download the staticx $version sdist (see above)"
  fi
fi
echo "$want  $tarball" | sha256sum --check --quiet - || die "$tarball does not match $pin"

rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
tar -xzf "$tarball" -C "$dest.tmp" --strip-components=1
# Our object and a compiler wrapper that adds it to every link sit in the tree's root, where
# SCons runs its commands; the relative name keeps the checkout's path out of the bootloader
# (it records the compiler's name).
musl-gcc -std=gnu99 -Os -Wall -Wextra -Werror -static -c "$preflight" \
  -o "$dest.tmp/nara_preflight.o"
cat >"$dest.tmp/nara-cc" <<'CC'
#!/bin/sh
# musl-gcc, plus nara's pre-flight object when linking (no -c, -S or -E).
for arg; do
  case $arg in -c | -S | -E) exec musl-gcc "$@" ;; esac
done
exec musl-gcc "$@" nara_preflight.o
CC
chmod +x "$dest.tmp/nara-cc"
if ! (cd "$dest.tmp" && scons --quiet "STATICX_VERSION=$version" BOOTLOADER_CC=./nara-cc \
  staticx/assets) >"$dest.tmp/scons.log" 2>&1; then
  cat "$dest.tmp/scons.log" >&2
  die "scons failed building staticx (log above)"
fi
bootloader=$dest.tmp/staticx/assets/release/bootloader
if ! built "$dest.tmp"; then
  cat "$dest.tmp/scons.log" >&2
  # staticx builds libnssfix only when its configure step finds glibc's NSS (gcc, libc6-dev);
  # without it staticx refuses every glibc program, so a build without it is no build.
  die "scons built no release bootloader or no libnssfix.so (log above; gcc and libc6-dev?)"
fi
grep -q "TMPDIR is set but empty" "$bootloader" \
  || die "the built bootloader lacks nara's pre-flight check"
echo "$inputs_hash" >"$dest.tmp/.nara-inputs"
mv "$dest.tmp" "$dest"
log "built $(stat -c %s "$dest/staticx/assets/release/bootloader") byte bootloader"
