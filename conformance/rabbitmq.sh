#!/usr/bin/env bash
# A private RabbitMQ 3.10 node for the conformance suite, beside any RabbitMQ already running.
#
#   bash conformance/rabbitmq.sh start    # install if missing, start, wait until AMQP answers
#   bash conformance/rabbitmq.sh stop     # stop the node and remove its directory
#   bash conformance/rabbitmq.sh url      # print the node's AMQP URL
#   bash conformance/rabbitmq.sh mqtt-url # print the node's MQTT URL (rabbitmq_mqtt plugin)
#   bash conformance/rabbitmq.sh stomp-addr # print the node's STOMP host:port (rabbitmq_stomp plugin)
#   bash conformance/rabbitmq.sh management-url # print the node's management API URL (rabbitmq_management plugin)
#   bash conformance/rabbitmq.sh deps     # only install the packages (RabbitMQ, pika, Celery, Go and amqp091-go)
#
# The node has its own name, data and log directories under one temporary directory, the MQTT,
# STOMP, management and AMQP 1.0 plugins (AMQP 1.0 shares the AMQP port), and side ports that clash with no default RabbitMQ port:
#   AMQP          $WARREN_RABBITMQ_PORT       (default 25699; default RabbitMQ: 5672)
#   MQTT          $WARREN_RABBITMQ_MQTT_PORT  (default 25883; default RabbitMQ: 1883)
#   STOMP         $WARREN_RABBITMQ_STOMP_PORT (default 25613; default RabbitMQ: 61613)
#   distribution  $WARREN_RABBITMQ_DIST_PORT  (default 25698; default RabbitMQ: 25672)
#   management    $WARREN_RABBITMQ_MANAGEMENT_PORT (default 25615; default RabbitMQ: 15672)
# It runs as the invoking user with its own HOME (hence its own Erlang cookie), and is driven by
# the CLI tools in /usr/lib/rabbitmq/bin directly, not the /usr/sbin wrappers that switch to the
# rabbitmq user and its cookie.
#
# It also makes sure the Python clients the scenarios use (python3-pika, python3-celery for
# /usr/bin/python3, python3-qpid-proton) are installed.
set -euo pipefail

NODE="${WARREN_RABBITMQ_NODE:-warren-conf@localhost}"
PORT="${WARREN_RABBITMQ_PORT:-25699}"
STOMP_PORT="${WARREN_RABBITMQ_STOMP_PORT:-25613}"
DIST_PORT="${WARREN_RABBITMQ_DIST_PORT:-25698}"
MQTT_PORT="${WARREN_RABBITMQ_MQTT_PORT:-25883}"
MANAGEMENT_PORT="${WARREN_RABBITMQ_MANAGEMENT_PORT:-25615}"
BASE="${WARREN_RABBITMQ_DIR:-${TMPDIR:-/tmp}/warren-conf-rabbitmq}"
BIN=/usr/lib/rabbitmq/bin
START_TIMEOUT="${WARREN_RABBITMQ_START_TIMEOUT:-120}"

log() { echo "rabbitmq.sh: $*" >&2; }

# Debian packages: install whatever is missing, with one apt-get update at most.
ensure_packages() {
  local missing=()
  [ -x "$BIN/rabbitmq-server" ] || missing+=(rabbitmq-server)
  /usr/bin/python3 -c 'import pika' 2>/dev/null || missing+=(python3-pika)
  /usr/bin/python3 -c 'import celery' 2>/dev/null || missing+=(python3-celery)
  /usr/bin/python3 -c 'import stomp' 2>/dev/null || missing+=(python3-stomp)
  # the AMQP 1.0 scenarios (conformance/amqp10) drive Qpid Proton's Python binding
  /usr/bin/python3 -c 'import proton' 2>/dev/null || missing+=(python3-qpid-proton)
  # the management UI test drives Debian's chromium with playwright-core
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # the Go client scenarios (conformance/go) build against Debian's Go and amqp091-go, offline
  [ -x /usr/bin/go ] || missing+=(golang-go)
  [ -d /usr/share/gocode/src/github.com/rabbitmq/amqp091-go ] || missing+=(golang-github-rabbitmq-amqp091-go-dev)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's postinst from starting the default node on 5672: this script starts its
  # own. policy-rc.d is only added (and removed again) when the system has none.
  local policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  local rc=0
  { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } || rc=$?
  [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
  [ $rc -eq 0 ] || { log "apt-get failed ($rc)"; return $rc; }
}

# The environment every RabbitMQ command of this node runs with.
node_env() {
  export HOME="$BASE/home"
  export RABBITMQ_NODENAME="$NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$PORT"
  export RABBITMQ_DIST_PORT="$DIST_PORT"
  export RABBITMQ_MNESIA_BASE="$BASE/mnesia"
  export RABBITMQ_LOG_BASE="$BASE/log"
  export RABBITMQ_LOGS="$BASE/log/$NODE.log"
  export RABBITMQ_PID_FILE="$BASE/$NODE.pid"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$BASE/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$BASE/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$BASE/advanced.config"
  export RABBITMQ_CONF_ENV_FILE="$BASE/rabbitmq-env.conf"
}

ctl() { "$BIN/rabbitmqctl" -n "$NODE" "$@"; }

running() { [ -d "$BASE" ] && (node_env; ctl status >/dev/null 2>&1); }

# True once the port answers the AMQP 0-9-1 header with a method frame (connection.start).
amqp_answers() {
  local first
  first="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'AMQP\\x00\\x00\\x09\\x01' >&3 && head -c 1 <&3 | od -An -tx1" 2>/dev/null)" || return 1
  [ "$(echo $first)" = "01" ]
}

start() {
  ensure_packages
  if running; then
    log "$NODE already running on port $PORT"
    url
    return 0
  fi
  if amqp_answers; then
    log "port $PORT already serves AMQP but not as $NODE; set WARREN_RABBITMQ_PORT to another port"
    return 1
  fi
  rm -rf "$BASE"
  mkdir -p "$BASE/home" "$BASE/mnesia" "$BASE/log"
  chmod 700 "$BASE/home"
  echo '[rabbitmq_mqtt,rabbitmq_stomp,rabbitmq_management,rabbitmq_amqp1_0].' >"$BASE/enabled_plugins"
  : >"$BASE/rabbitmq-env.conf"
  echo '[].' >"$BASE/advanced.config"
  cat >"$BASE/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$PORT
loopback_users.guest = true
mqtt.listeners.tcp.default = 127.0.0.1:$MQTT_PORT
stomp.listeners.tcp.1 = 127.0.0.1:$STOMP_PORT
management.tcp.port = $MANAGEMENT_PORT
management.tcp.ip = 127.0.0.1
EOF
  (
    node_env
    cd "$BASE"
    nohup "$BIN/rabbitmq-server" >"$BASE/log/stdout.log" 2>&1 &
    echo $! >"$BASE/launcher.pid"
  )
  log "starting $NODE (AMQP 127.0.0.1:$PORT, distribution $DIST_PORT, dir $BASE)"
  local deadline=$((SECONDS + START_TIMEOUT))
  until amqp_answers; do
    if ! kill -0 "$(cat "$BASE/launcher.pid")" 2>/dev/null; then
      log "the node exited during startup; last log lines:"
      tail -n 40 "$BASE/log/stdout.log" >&2 || true
      tail -n 40 "$BASE/log/$NODE.log" >&2 2>/dev/null || true
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "no AMQP answer on port $PORT after ${START_TIMEOUT}s; last log lines:"
      tail -n 40 "$BASE/log/stdout.log" >&2 || true
      stop || true
      return 1
    fi
    sleep 0.5
  done
  (node_env; ctl await_startup --timeout 60 >/dev/null)
  log "$NODE is up"
  url
}

stop() {
  if [ ! -d "$BASE" ]; then
    log "nothing to stop ($BASE does not exist)"
    return 0
  fi
  (
    node_env
    ctl stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 || true
  )
  # If the CLI could not reach the node, end the processes this script started, by their pids.
  for f in "$BASE/$NODE.pid" "$BASE/launcher.pid"; do
    if [ -f "$f" ]; then
      local pid
      pid="$(cat "$f")"
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
  done
  rm -rf "$BASE"
  log "$NODE stopped"
}

url() {
  echo "amqp://guest:guest@127.0.0.1:$PORT"
}

mqtt_url() {
  echo "mqtt://guest:guest@127.0.0.1:$MQTT_PORT"
}

stomp_addr() {
  echo "127.0.0.1:$STOMP_PORT"
}

management_url() {
  echo "http://guest:guest@127.0.0.1:$MANAGEMENT_PORT"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  mqtt-url) mqtt_url ;;
  stomp-addr) stomp_addr ;;
  management-url) management_url ;;
  deps) ensure_packages ;;
  *)
    echo "usage: $0 start|stop|url|mqtt-url|stomp-addr|management-url|deps" >&2
    exit 2
    ;;
esac
