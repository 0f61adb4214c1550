#!/usr/bin/env bash
# A three-node RabbitMQ 3.10 cluster on side ports, for bench/cluster.mjs (the peer of a Warren
# cluster: quorum queues replicate over three nodes as Warren's store does).
#
#   bash bench/rabbitmq-cluster.sh start        # start rq1..rq3, join rq2 and rq3 to rq1
#   bash bench/rabbitmq-cluster.sh stop         # stop all three, remove their directories
#   bash bench/rabbitmq-cluster.sh restart N    # start node N again on its data dir (after a kill)
#   bash bench/rabbitmq-cluster.sh pid N        # the OS pid of node N's beam.smp
#   bash bench/rabbitmq-cluster.sh urls         # the three AMQP URLs, comma-separated
#
# Node N (1..3) is $WARREN_RQC_PREFIX$N@localhost (default cq1..cq3) with AMQP on
# $WARREN_RQC_PORT_BASE + 10 (N-1) (default 30300, 30310, 30320), distribution one above, and
# its directory $WARREN_RQC_DIR-$N (default /tmp/cl-catchup-rabbit-N). All three share one HOME,
# hence one Erlang cookie, which clustering needs. The CLI tools of /usr/lib/rabbitmq/bin run as
# the invoking user (as conformance/rabbitmq.sh does).
set -euo pipefail

PREFIX="${WARREN_RQC_PREFIX:-cq}"
PORT_BASE="${WARREN_RQC_PORT_BASE:-30300}"
DIR="${WARREN_RQC_DIR:-/tmp/cl-catchup-rabbit}"
BIN=/usr/lib/rabbitmq/bin
HOME_DIR="$DIR-home"

log() { echo "rabbitmq-cluster.sh: $*" >&2; }

node_env() {
  local n=$1 base="$DIR-$1"
  export HOME="$HOME_DIR"
  export RABBITMQ_NODENAME="$PREFIX$n@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$((PORT_BASE + 10 * (n - 1)))
  export RABBITMQ_DIST_PORT=$((PORT_BASE + 10 * (n - 1) + 1))
  export RABBITMQ_MNESIA_BASE="$base/mnesia"
  export RABBITMQ_LOG_BASE="$base/log"
  export RABBITMQ_LOGS="$base/log/node.log"
  export RABBITMQ_PID_FILE="$base/node.pid"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$base/advanced.config"
  export RABBITMQ_CONF_ENV_FILE="$base/rabbitmq-env.conf"
}

ctl() { (node_env "$1" && shift && "$BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"); }

launch() {
  local n=$1 base="$DIR-$1"
  (
    node_env "$n"
    cd "$base"
    nohup "$BIN/rabbitmq-server" >>"$base/log/stdout.log" 2>&1 &
  )
  ctl "$n" wait --timeout 120 "$base/node.pid" >/dev/null
  ctl "$n" await_startup --timeout 120 >/dev/null
}

start() {
  mkdir -p "$HOME_DIR"
  chmod 700 "$HOME_DIR"
  for n in 1 2 3; do
    local base="$DIR-$n"
    rm -rf "$base"
    mkdir -p "$base/mnesia" "$base/log"
    echo '[].' >"$base/enabled_plugins"
    echo '[].' >"$base/advanced.config"
    : >"$base/rabbitmq-env.conf"
    cat >"$base/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$((PORT_BASE + 10 * (n - 1)))
loopback_users = none
CONF
  done
  launch 1
  for n in 2 3; do
    launch "$n"
    ctl "$n" stop_app >/dev/null
    ctl "$n" join_cluster "${PREFIX}1@localhost" >/dev/null
    ctl "$n" start_app >/dev/null
  done
  log "cluster of ${PREFIX}1..3@localhost up"
  urls
}

stop() {
  for n in 1 2 3; do
    local base="$DIR-$n"
    [ -d "$base" ] || continue
    ctl "$n" stop "$base/node.pid" >/dev/null 2>&1 || true
    if [ -f "$base/node.pid" ] && kill -0 "$(cat "$base/node.pid")" 2>/dev/null; then kill -9 "$(cat "$base/node.pid")" || true; fi
    rm -rf "$base"
  done
  rm -rf "$HOME_DIR"
  log "stopped"
}

urls() {
  echo "amqp://guest:guest@127.0.0.1:$PORT_BASE,amqp://guest:guest@127.0.0.1:$((PORT_BASE + 10)),amqp://guest:guest@127.0.0.1:$((PORT_BASE + 20))"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) launch "$2" ;;
  pid) cat "$DIR-$2/node.pid" ;;
  urls) urls ;;
  *)
    echo "usage: $0 start|stop|restart N|pid N|urls" >&2
    exit 2
    ;;
esac
