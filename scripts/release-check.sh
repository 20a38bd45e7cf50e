#!/usr/bin/env bash
# The release smoke test of one artefact: the same checks for `make release-check` (on the
# bin/nara that `make build` produced) and for the release workflow (each binary, each image).
#
#   scripts/release-check.sh [COMMAND...]     default COMMAND: bin/nara
#   scripts/release-check.sh docker run --rm -i --network host IMAGE
#
# COMMAND is started as `COMMAND serve -nara-id … -http-addr 127.0.0.1:PORT -mqtt-host …` with
# its own mosquitto on a free loopback port (MOSQUITTO=path to use another binary), and must:
#   --version    print a version;
#   health       answer /livez, and /readyz once it is on the plaza;
#   UI, docs     serve the dashboard (/ with its nara-base meta) and the docs (/docs/, mkdocs);
#   chau         on SIGTERM say chau on the plaza (the broker acknowledged it: QoS 1) and exit 0.
# Exit 0 when every check passed; otherwise the failing check and the node's log.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- bin/nara
MOSQUITTO=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "release-check: FAIL  $*" >&2
  [ -f "$work/node.log" ] && sed 's/^/    /' "$work/node.log" >&2
  exit 1
}
ok() { echo "release-check: ok    $*"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

until_ok() { # until_ok SECONDS COMMAND...: retry once a second
  local tries=$1
  shift
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  return 1
}

# --- version -----------------------------------------------------------------------------------
version=$("$@" --version 2>&1 | head -1) || fail "--version: $version"
case $version in *[0-9].[0-9]*) ok "--version: $version" ;; *) fail "--version printed: $version" ;; esac

# --- a broker of our own -------------------------------------------------------------------------
[ -x "$MOSQUITTO" ] || fail "mosquitto is needed for the chau check (Debian package mosquitto)"
mqtt_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt_port" \
  >"$work/mosquitto.conf"
"$MOSQUITTO" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
until_ok 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$mqtt_port" || fail "mosquitto did not start"

# --- the node ------------------------------------------------------------------------------------
http_port=$(free_port)
base="http://127.0.0.1:$http_port"
name="release-check-$$"
"$@" serve -nara-id "$name" -http-addr "127.0.0.1:$http_port" \
  -mqtt-host "tcp://127.0.0.1:$mqtt_port" -state-dir "$work/state" >"$work/node.log" 2>&1 &
node=$!
pids+=("$node")
until_ok 60 curl -fsS "$base/livez" || fail "health: /livez did not answer within 60 s"
ok "health: /livez"
until_ok 30 curl -fsS "$base/readyz" || fail "health: /readyz (on the plaza) not within 30 s"
ok "health: /readyz (connected to the plaza)"
curl -fsS "$base/" | grep -q '<meta name="nara-base"' || fail "UI: / is not the dashboard"
ok "UI: /"
curl -fsS "$base/docs/" | grep -qi mkdocs || fail "docs: /docs/ is not the documentation"
ok "docs: /docs/"

# --- chau on SIGTERM -----------------------------------------------------------------------------
kill -TERM "$node"
status=0
wait "$node" || status=$?
[ "$status" = 0 ] || fail "SIGTERM: exit status $status, expected 0"
grep -q "said chau on the plaza" "$work/node.log" || fail "SIGTERM: no chau acknowledged by the broker"
ok "chau on SIGTERM, exit 0"
echo "release-check: all passed for $*"
