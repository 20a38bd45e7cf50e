#!/usr/bin/env bash
# A canary deploy of a nara without a supervisor (docs/deployment.md, "Canary deploys and soul
# handover"): start a new instance that takes over from the running one, wait until it is ready
# and the old one has stopped, and leave it running.
#
#   scripts/canary.sh OLD_URL NEW_HTTP_ADDR [NARA_COMMAND...]
#
#   OLD_URL        the running instance's address, started with NARA_ACCEPT_TAKEOVER=true
#   NEW_HTTP_ADDR  HOST:PORT for the new instance (another port than the old one's)
#   NARA_COMMAND   how to run the new version (default: nara)
#
# Everything else comes from the environment, as for any nara (NARA_ID, NARA_SOUL or
# NARA_SOUL_FILE, MQTT_HOST, MQTT_USER, ...): the same soul and name as the old instance, and a
# state directory of its own (NARA_STATE_DIR). The new instance gets NARA_TAKEOVER=OLD_URL,
# HTTP_ADDR=NEW_HTTP_ADDR and NARA_ACCEPT_TAKEOVER=true (so that the next deploy can take over
# from it), runs in the background with its log in CANARY_LOG (default
# ${TMPDIR:-/tmp}/nara-<port>.log), and outlives this script.
#
# Exit status: 0 the new instance serves and the old one stopped (the last line of output is
# "pid=<PID>" of the new one); 2 nothing changed: the old instance refuses (another soul, not
# accepting) or the new one failed its takeover (it exited 2) and the old one keeps serving;
# 1 anything else (usage, a timeout: CANARY_TIMEOUT seconds, default 120).
set -euo pipefail

usage() {
  sed -n '6,10p' "$0" >&2
  exit 1
}
[ $# -ge 2 ] || usage
old_url=${1%/}
new_addr=$2
shift 2
[ $# -gt 0 ] || set -- nara
timeout=${CANARY_TIMEOUT:-120}
command -v curl >/dev/null || { echo "canary: curl is needed" >&2; exit 1; }

port=${new_addr##*:}
host=${new_addr%:*}
case $host in
  "" | 0.0.0.0) host=127.0.0.1 ;;
  "[::]") host="[::1]" ;;
esac
base=${NARA_BASE_PATH:-}
base=${base%/}
new_url="http://$host:$port$base"
log=${CANARY_LOG:-${TMPDIR:-/tmp}/nara-$port.log}

say() { echo "canary: $*" >&2; }

# 1. The soul migration check: would the old instance accept this soul and name?
check=$(NARA_TAKEOVER=$old_url "$@" identity) || { say "nara identity failed"; exit 1; }
if ! grep -q '"accepted": true' <<<"$check"; then
  say "the old instance at $old_url would refuse: $(grep -o '"reason": "[^"]*"' <<<"$check" || true)"
  say "nothing changed"
  exit 2
fi

# 2. The new instance, taking over.
say "starting the new instance on $new_addr (log: $log)"
NARA_TAKEOVER=$old_url HTTP_ADDR=$new_addr NARA_ACCEPT_TAKEOVER=true \
  nohup "$@" serve >>"$log" 2>&1 </dev/null &
pid=$!

# 3. Ready: /readyz of the new one answers 200 (it took over and is on the plaza).
deadline=$((SECONDS + timeout))
until curl -fsS -o /dev/null --max-time 5 "$new_url/readyz" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then
    status=0
    wait "$pid" || status=$?
    say "the new instance exited with status $status; the old instance keeps serving"
    tail -n 5 "$log" >&2 || true
    [ "$status" = 2 ] && exit 2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "the new instance is not ready after ${timeout}s (pid $pid still runs; see $log)"
    exit 1
  fi
  sleep 0.5
done
say "the new instance is ready at $new_url/"

# 4. The old instance stops by itself (exit 0, no chau) right after the handover.
until ! curl -s -o /dev/null --max-time 2 "$old_url/livez" 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "the old instance at $old_url still answers after ${timeout}s"
    exit 1
  fi
  sleep 0.5
done
say "the old instance stopped; the nara now runs as pid $pid"
disown "$pid" 2>/dev/null || true
echo "pid=$pid"
