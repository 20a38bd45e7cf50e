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
#   state        (when it has a state directory) leave its state file there.
# Exit 0 when every check passed; otherwise the failing check and the node's log.
#
# RELEASE_CHECK_STATE_DIR: the -state-dir to give it; empty for none. By default a fresh one in
# a temporary directory, but none for a `docker …`/`podman …` command: a container cannot see a
# host path (the image's own, /var/lib/nara, is used there).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- bin/nara
MOSQUITTO=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
work=$(mktemp -d)
pids=()
cleanup() { # stop what we started and wait for it, so nothing writes into $work as it goes
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "release-check: FAIL  $*" >&2
  [ -f "$work/node.log" ] && sed 's/^/    /' "$work/node.log" >&2
  exit 1
}
ok() { echo "release-check: ok    $*"; }

exited() { [ ! -e "$work/exited" ] || echo " (the node exited)"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

until_ok() { # until_ok SECONDS COMMAND...: retry once a second
  local tries=$1
  shift
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    [ ! -e "$work/exited" ] || return 1
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
case ${1##*/} in
  docker | podman) default_state= ;;
  *) default_state="$work/state" ;;
esac
state_dir=${RELEASE_CHECK_STATE_DIR-$default_state}
state_args=()
[ -z "$state_dir" ] || state_args=(-state-dir "$state_dir")
http_port=$(free_port)
base="http://127.0.0.1:$http_port"
name="release-check-$$"
"$@" serve -nara-id "$name" -http-addr "127.0.0.1:$http_port" \
  -mqtt-host "tcp://127.0.0.1:$mqtt_port" ${state_args[@]+"${state_args[@]}"} >"$work/node.log" 2>&1 &
node=$!
pids+=("$node")
serving() { # the node still runs, and answers $1 (until_ok stops once it has exited)
  kill -0 "$node" 2>/dev/null || { touch "$work/exited"; return 1; }
  curl -fsS "$base$1"
}
until_ok 60 serving /livez || fail "health: /livez did not answer within 60 s$(exited)"
ok "health: /livez"
until_ok 30 serving /readyz || fail "health: /readyz (on the plaza) not within 30 s$(exited)"
ok "health: /readyz (connected to the plaza)"
# (each page is fetched whole first: `curl | grep -q` fails under pipefail when grep stops early)
page() { curl -fsS -o "$work/page" "$base$1"; }
{ page / && grep -q '<meta name="nara-base"' "$work/page"; } || fail "UI: / is not the dashboard"
ok "UI: /"
{ page /docs/ && grep -qi mkdocs "$work/page"; } || fail "docs: /docs/ is not the documentation"
ok "docs: /docs/"

# --- chau on SIGTERM -----------------------------------------------------------------------------
kill -TERM "$node"
status=0
wait "$node" || status=$?
[ "$status" = 0 ] || fail "SIGTERM: exit status $status, expected 0"
grep -q "said chau on the plaza" "$work/node.log" || fail "SIGTERM: no chau acknowledged by the broker"
ok "chau on SIGTERM, exit 0"
if [ -n "$state_dir" ]; then
  compgen -G "$state_dir/state-*.json" >/dev/null || fail "state: no state file in $state_dir"
  ok "state: $(basename "$(compgen -G "$state_dir/state-*.json" | head -1)") written"
fi
echo "release-check: all passed for $*"
