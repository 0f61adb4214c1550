#!/usr/bin/env bash
# A private mosquitto 2 for the MQTT conformance scenarios, beside any mosquitto already running.
#
#   bash conformance/mosquitto.sh start  # install if missing (Debian's mosquitto), start, wait until it answers
#   bash conformance/mosquitto.sh stop   # stop it and remove its directory
#   bash conformance/mosquitto.sh url    # print its MQTT URL
#
# Side ports that clash with no default: MQTT $WARREN_MOSQUITTO_PORT (default 25884), WebSocket
# $WARREN_MOSQUITTO_WS_PORT (default 25885). Anonymous clients allowed (any user name and
# password are accepted, as the scenarios log in as guest), no persistence, its own directory
# $WARREN_MOSQUITTO_DIR. As root mosquitto drops to the mosquitto user, so the directory is given to it.
set -euo pipefail

PORT="${WARREN_MOSQUITTO_PORT:-25884}"
WS_PORT="${WARREN_MOSQUITTO_WS_PORT:-25885}"
BASE="${WARREN_MOSQUITTO_DIR:-${TMPDIR:-/tmp}/warren-conf-mosquitto}"

log() { echo "mosquitto.sh: $*" >&2; }

ensure_packages() {
  local missing=()
  command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  command -v mosquitto_pub >/dev/null || missing+=(mosquitto-clients)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

start() {
  ensure_packages
  if [ -f "$BASE/mosquitto.pid" ] && kill -0 "$(cat "$BASE/mosquitto.pid")" 2>/dev/null; then
    log "already running (pid $(cat "$BASE/mosquitto.pid"))"
    return 0
  fi
  mkdir -p "$BASE"
  if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown mosquitto "$BASE"; fi
  cat >"$BASE/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
listener $WS_PORT 127.0.0.1
protocol websockets
allow_anonymous true
persistence false
log_dest file $BASE/mosquitto.log
pid_file $BASE/mosquitto.pid
CONF
  /usr/sbin/mosquitto -c "$BASE/mosquitto.conf" -d
  for _ in $(seq 1 100); do
    if answers; then
      log "mosquitto on port $PORT (pid $(cat "$BASE/mosquitto.pid" 2>/dev/null || echo ?))"
      return 0
    fi
    sleep 0.1
  done
  log "mosquitto did not answer on port $PORT; its log:"
  cat "$BASE/mosquitto.log" >&2 || true
  return 1
}

stop() {
  if [ -f "$BASE/mosquitto.pid" ]; then
    local pid
    pid="$(cat "$BASE/mosquitto.pid")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -rf "$BASE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "mqtt://guest:guest@127.0.0.1:$PORT" ;;
  deps) ensure_packages ;;
  *) echo "usage: $0 start|stop|url|deps" >&2; exit 2 ;;
esac
