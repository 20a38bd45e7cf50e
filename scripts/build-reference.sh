#!/usr/bin/env bash
# Build the reference Go nara for the interop tests (tests/reference/) into build/reference/nara-go
# and print its path. A thin wrapper around the shared build script, which caches (it does nothing
# when the binary exists) and builds offline from its vendored tarball.
# The reference lives in ../shared/reference beside this checkout; NARA_REFERENCE_DIR overrides it.
# Test tooling only: the reference's source and binary stay under build/ (gitignored), never in nara.
set -euo pipefail
cd "$(dirname "$0")/.."
ref_dir="${NARA_REFERENCE_DIR:-../shared/reference}"
script="$ref_dir/build-go-nara.sh"
if [ ! -f "$script" ] || [ ! -f "$ref_dir/nara-go-2e593e1-vendored.tar.gz" ]; then
  echo "build-reference: no reference nara in $ref_dir (want build-go-nara.sh and" \
    "nara-go-2e593e1-vendored.tar.gz); set NARA_REFERENCE_DIR" >&2
  exit 1
fi

go_ok() { # a Go >= 1.23 at $1?
  local v maj min
  [ -x "$1" ] || return 1
  v=$("$1" env GOVERSION 2>/dev/null | sed 's/^go//') || return 1
  maj=${v%%.*}; min=${v#*.}; min=${min%%.*}
  [ "${maj:-0}" -gt 1 ] || { [ "${maj:-0}" -eq 1 ] && [ "${min:-0}" -ge 23 ]; }
}
have_go() {
  local g
  for g in /usr/lib/go-1.2[3-9]/bin/go /usr/lib/go-1.[3-9]*/bin/go "$(command -v go || true)"; do
    go_ok "$g" && return 0
  done
  return 1
}

# Go 1.23 from Debian bookworm-backports, when missing. (The shared script does this too, but it
# reads the mirror from every file under /etc/apt, disabled ones included, and stops silently
# when /etc/apt/sources.list does not exist; so it is done here first, from the enabled sources.)
if [ ! -x build/reference/nara-go ] && ! have_go; then
  # shellcheck disable=SC1091  # the running system's, not part of this repo
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" != bookworm ]; then
    echo "build-reference: no Go >= 1.23 found; install one (Go 1.23+) and retry" >&2
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "build-reference: no Go >= 1.23 found; as root this script installs golang-1.23-go" >&2
    exit 1
  fi
  shopt -s nullglob
  sources=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  existing=()
  for f in "${sources[@]}"; do [ -f "$f" ] && existing+=("$f"); done
  if ! grep -qs bookworm-backports "${existing[@]}" /dev/null; then
    uri=$( { grep -hoE '^(deb +(\[[^]]*\] +)?|URIs: *)[a-z]+://[^ ]+' "${existing[@]}" /dev/null || true; } \
      | sed -E 's/^(deb +(\[[^]]*\] +)?|URIs: *)//' | grep -E '/debian/?$' | head -1)
    uri=${uri:-http://deb.debian.org/debian}
    echo "deb $uri bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list
  fi
  apt-get update -qq
  apt-get install -y -qq golang-1.23-go >/dev/null
fi
exec bash "$script" build/reference
