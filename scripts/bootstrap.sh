#!/usr/bin/env bash
# Set up what `make run` (mode "build") or `make test` / `make lint` (mode "test", the default)
# need on a fresh Debian machine (as root): system packages when missing, the Python venv with
# pinned, hash-checked dependencies, and the npm packages (npm ci). Idempotent: a second run does
# only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}

want_pkgs=()
need() { command -v "$1" >/dev/null 2>&1 || want_pkgs+=("$2"); }
if [ "$mode" = test ]; then
  need mosquitto mosquitto   # the real broker the tests start
  need chromium chromium     # browser tests
  # Fonts for readable screenshots (text and the flair emoji); Chromium comes without recommends.
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || want_pkgs+=(fonts-dejavu-core)
  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || want_pkgs+=(fonts-noto-color-emoji)
  need go golang-go             # interop tests: Go's own encoding/json decodes what we emit
  need nix-instantiate nix-bin   # lint: parse the .nix files
  need shellcheck shellcheck     # lint: scripts
  need busybox busybox           # the Docker image's HEALTHCHECK runs busybox wget
  command -v systemd-analyze >/dev/null 2>&1 || want_pkgs+=(systemd)  # lint: the unit file
fi
need node nodejs
need npm npm
need objcopy binutils   # PyInstaller strip and staticx
# staticx's bootloader is built from source with nara's TMPDIR check (scripts/build-bootloader.sh):
# musl-gcc for the bootloader, gcc and the glibc headers for staticx's libnssfix.
need musl-gcc musl-tools
need gcc gcc
[ -e /usr/include/stdio.h ] || want_pkgs+=(libc6-dev)
need git git            # the commit in the build info
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || want_pkgs+=(python3-venv)
[ -e /usr/include/python3.11/Python.h ] || want_pkgs+=(python3-dev)
if [ "${#want_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: missing system packages: ${want_pkgs[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "bootstrap: installing ${want_pkgs[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${want_pkgs[@]}"
fi

# The venv is made from Debian's python3: staticx refuses a libpython with an RPATH (pyenv's).
PY=${NARA_PYTHON:-/usr/bin/python3}
stamp=.venv/.lock-sha256
lock_sum=$(sha256sum requirements/dev.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  echo "bootstrap: creating .venv with $PY and the pinned dependencies"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements/dev.lock
  .venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  echo "$lock_sum" > "$stamp"
fi

if [ ! -d nara-web/node_modules ] || [ nara-web/package-lock.json -nt nara-web/node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci"
  (cd nara-web && npm ci --no-audit --no-fund --loglevel=error)
fi
