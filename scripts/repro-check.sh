#!/usr/bin/env bash
# Build bin/nara twice, as two strangers would, and compare (deployment spec §2: reproducibility).
#
# What is built: a snapshot of what is on disk now (tracked files as they are in the working
# tree, plus untracked files that are not ignored: `git ls-files -co --exclude-standard`), so
# uncommitted edits are checked too and edits made meanwhile cannot interfere. Nothing else is
# taken from this checkout: no .venv, no node_modules, no build/.
#
# Each build gets its own copy of the snapshot in its own directory (the two paths differ in
# length), its own venv and npm packages (scripts/bootstrap.sh build: the editable install
# records its checkout's path), its own staticx bootloader (built from source, cold), its own
# HOME (so a cold PyInstaller cache), TMPDIR, umask (022 / 077, applied to the copy too), TZ,
# and, for the second, another user name ($USER, $LOGNAME) and, as root, another host name
# (a private UTS namespace). Shared: only caches that are content-addressed and checked: pip's
# wheel cache, npm's cache, the hash-checked staticx sdist. The build facts (SOURCE_DATE_EPOCH,
# the commit) come from this checkout's git; the real bin/nara is left alone.
#
# Then: the sha256 of both binaries; when they differ, the first member that differs (both
# layers unpacked by scripts/archive_members.py: staticx's tar, PyInstaller's archive, the PYZ),
# and every other. Either way, neither build may contain its builder's path, HOME, TMPDIR, user
# or host name, nor this checkout's path. Outputs are kept in build/repro (KEEP=1 also keeps
# the two build trees). Needs the network only when those caches are cold.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PY=$root/.venv/bin/python # only for archive_members.py (PyInstaller's readers, pyelftools)
log() { echo "repro-check: $*"; }
die() {
  echo "repro-check: $*" >&2
  exit 1
}
mkdir -p build
exec 7>build/.repro-check.lock
flock -n 7 || die "another repro-check runs in this checkout"
out=$root/build/repro
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/nara-repro.XXXXXX")
# shellcheck disable=SC2317  # called by the trap
cleanup() { if [ "${KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
started=$(date +%s)

# The build facts come from the real checkout (the copies have no .git).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
NARA_COMMIT=${NARA_COMMIT:-$(git rev-parse HEAD)-repro}
export SOURCE_DATE_EPOCH NARA_COMMIT
# Content-addressed caches, shared whatever HOME says.
PIP_CACHE_DIR=${PIP_CACHE_DIR:-$("$PY" -m pip cache dir 2>/dev/null || echo "$work/pip-cache")}
npm_config_cache=${npm_config_cache:-$(npm config get cache 2>/dev/null || echo "$work/npm-cache")}
export PIP_CACHE_DIR npm_config_cache
# Nothing of the caller's PyInstaller, Python or XDG set-up reaches the builds.
unset PYINSTALLER_CONFIG_DIR PYTHONPATH PYTHONSTARTUP PYTHONUSERBASE VIRTUAL_ENV \
  XDG_CACHE_HOME XDG_CONFIG_HOME XDG_DATA_HOME FORCE NARA_OUT

log "snapshot of the working tree (tracked + untracked, not ignored) -> $work/snapshot.tar"
# (.venv excluded by name as well: a symlinked one is not matched by .gitignore's ".venv/".)
git ls-files -z -co --exclude-standard -- . ':(exclude).venv' \
  | tar --null --ignore-failed-read -T - -cf "$work/snapshot.tar" 2>/dev/null

# $1 name, $2 directory, $3 umask, $4 TZ, $5 user name, $6 host name (empty: keep this one's)
build() {
  local name=$1 dir=$2 mask=$3 tz=$4 user=$5 host=$6
  log "build $name in $dir (umask $mask, TZ=$tz, user ${user:-$(id -un)}, host ${host:-$(hostname)})"
  mkdir -p "$work/$name-home" "$work/$name-tmp" "$dir"
  local cmd=(env "HOME=$work/$name-home" "TMPDIR=$work/$name-tmp" "TZ=$tz")
  [ -n "$user" ] && cmd+=("USER=$user" "LOGNAME=$user")
  # shellcheck disable=SC2016  # expanded by that bash, from its arguments
  cmd+=(bash -c 'umask "$1" && cd "$2" && tar --no-same-permissions -xf "$3" \
    && { [ ! -d "$4" ] || { mkdir -p build && cp -r "$4" build/sdists; }; } \
    && scripts/bootstrap.sh build && FORCE=1 scripts/build-binary.sh' \
    build "$mask" "$dir" "$work/snapshot.tar" "$root/build/sdists")
  if [ -n "$host" ]; then
    cmd=(unshare --uts -- /usr/bin/python3 -c 'import os, socket, sys
socket.sethostname(sys.argv[1])
os.execvp(sys.argv[2], sys.argv[2:])' "$host" "${cmd[@]}")
  fi
  if ! "${cmd[@]}" >"$out/$name.log" 2>&1; then
    tail -n 40 "$out/$name.log" >&2
    die "build $name failed (log above, all of it in $out/$name.log)"
  fi
  grep -E '^build-binary: \[6/6\]' "$out/$name.log" | sed "s/^/  [$name] /"
  cp "$dir/bin/nara" "$out/$name"
}

host_b=""
if [ "$(id -u)" = 0 ] && unshare --uts -- true 2>/dev/null; then
  host_b=nara-repro-host-$RANDOM$RANDOM
else
  log "not root (or no UTS namespaces): both builds run under this host name"
fi
user_b=nara-repro-user-$RANDOM$RANDOM
build first "$work/a" 022 UTC "" ""
build second "$work/second-build-in-a-longer-path" 077 Pacific/Kiritimati "$user_b" "$host_b"

(cd "$out" && sha256sum first second)
status=0
if cmp -s "$out/first" "$out/second"; then
  log "OK, the two builds are identical: sha256 $(sha256sum <"$out/first" | cut -d' ' -f1)"
else
  status=1
  log "the two builds differ" >&2
  "$PY" scripts/archive_members.py "$out/first" >"$out/first.members"
  "$PY" scripts/archive_members.py "$out/second" >"$out/second.members"
  "$PY" scripts/archive_members.py --diff "$out/first" "$out/second" | sed "s/^/repro-check: /" >&2 || true
  log "both layers unpacked and listed in $out/{first,second}.members" >&2
fi

# No builder's path, HOME, TMPDIR, user or host name, nor this checkout's path, in either build.
# The user and host names are checked where they are distinctive (the second build's).
# ($work holds both build trees, HOMEs and TMPDIRs.) The caller's HOME too, unless it is "/".
needles=("$root" "$work" "$user_b")
[ -n "$host_b" ] && needles+=("$host_b")
[ "${HOME:-/}" != / ] && needles+=("$HOME")
for name in first second; do
  if ! "$PY" scripts/archive_members.py "$out/$name" --find "${needles[@]}" >"$out/$name.leaks"; then
    sed "s/^/repro-check: build $name: /" "$out/$name.leaks" >&2
    status=1
  fi
done
[ "$status" = 0 ] && log "neither build contains a builder's path, HOME, TMPDIR, user or host name"
log "$(($(date +%s) - started)) s"
exit "$status"
