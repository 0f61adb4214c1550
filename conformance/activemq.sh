#!/usr/bin/env bash
# A private ActiveMQ 5.17 broker (Debian package `activemq`) for the ActiveMQ-convention STOMP
# scenarios, beside anything already running.
#
#   bash conformance/activemq.sh deps        # only install the package
#   bash conformance/activemq.sh start       # install if missing, start, wait until STOMP answers
#   bash conformance/activemq.sh stop        # stop the broker and remove its directory
#   bash conformance/activemq.sh restart     # stop it and start it again, keeping its data
#   bash conformance/activemq.sh stomp-addr  # print the broker's STOMP host:port
#   bash conformance/activemq.sh openwire-url  # print the broker's OpenWire URL (tcp://host:port)
#   bash conformance/activemq.sh mqtt-url    # print the broker's MQTT URL (mqtt://host:port)
#
# The broker gets its own configuration, data and temp directories under one directory and side
# ports that clash with no default ActiveMQ port:
#   STOMP     $WARREN_ACTIVEMQ_STOMP_PORT    (default 26611; default ActiveMQ: 61613)
#   OpenWire  $WARREN_ACTIVEMQ_OPENWIRE_PORT (default 26612; default ActiveMQ: 61616)
#   MQTT      $WARREN_ACTIVEMQ_MQTT_PORT     (default 26614; default ActiveMQ: 1883)
# The JVM is started directly (not through /etc/init.d or /usr/bin/activemq, which want the
# activemq user, /var/lib/activemq and /run), in the background, as the invoking user.
set -euo pipefail

STOMP_PORT="${WARREN_ACTIVEMQ_STOMP_PORT:-26611}"
OPENWIRE_PORT="${WARREN_ACTIVEMQ_OPENWIRE_PORT:-26612}"
MQTT_PORT="${WARREN_ACTIVEMQ_MQTT_PORT:-26614}"
BASE="${WARREN_ACTIVEMQ_DIR:-${TMPDIR:-/tmp}/warren-conf-activemq}"
HOME_DIR=/usr/share/activemq
START_TIMEOUT="${WARREN_ACTIVEMQ_START_TIMEOUT:-90}"

log() { echo "activemq.sh: $*" >&2; }

ensure_packages() {
  # javac compiles the OpenWire scenarios (conformance/openwire) against the broker's own client jars
  # and Spring JMS (JmsTemplate, DefaultMessageListenerContainer: Debian names its jars spring3-*)
  # libmqtt-client-java: the MQTT codec (and hawtdispatch) the broker's MQTT connector loads, which
  # the activemq package does not pull in
  [ -f "$HOME_DIR/bin/activemq.jar" ] && [ -f /usr/share/java/spring3-jms.jar ] && [ -f /usr/share/java/mqtt-client.jar ] && command -v java >/dev/null && command -v javac >/dev/null && return 0
  log "installing activemq, Spring JMS and a JDK"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's postinst from starting the default instance: this script starts its own.
  local policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  local rc=0
  { apt-get update -q && apt-get install -y -q activemq libspring-jms-java libmqtt-client-java openjdk-17-jdk-headless; } || rc=$?
  [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
  [ $rc -eq 0 ] || { log "apt-get failed ($rc)"; return $rc; }
}

# True once the STOMP port answers CONNECT with CONNECTED.
stomp_answers() {
  local first
  first="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$STOMP_PORT && printf 'CONNECT\naccept-version:1.2\nhost:localhost\n\n\0' >&3 && head -c 9 <&3" 2>/dev/null)" || return 1
  [ "$first" = "CONNECTED" ]
}

running() { [ -f "$BASE/pid" ] && kill -0 "$(cat "$BASE/pid")" 2>/dev/null; }

start() {
  ensure_packages
  if running && stomp_answers; then
    log "already running (STOMP 127.0.0.1:$STOMP_PORT)"
    stomp_addr
    return 0
  fi
  if stomp_answers; then
    log "port $STOMP_PORT already serves STOMP but not from $BASE; set WARREN_ACTIVEMQ_STOMP_PORT to another port"
    return 1
  fi
  rm -rf "$BASE"
  mkdir -p "$BASE/conf" "$BASE/data" "$BASE/tmp" "$BASE/lib"
  # the MQTT connector's codec: ActiveMQ's launcher puts $BASE/lib's jars on its class path
  ln -s /usr/share/java/mqtt-client.jar /usr/share/java/hawtdispatch.jar /usr/share/java/hawtdispatch-transport.jar "$BASE/lib/"
  # No JMX, no web console: only the three connectors on loopback. schedulerSupport: the
  # AMQ_SCHEDULED_* message properties (scheduled delivery), off by default in ActiveMQ.
  cat >"$BASE/conf/activemq.xml" <<EOF
<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="warren-conformance" dataDirectory="$BASE/data" schedulerSupport="true">
    <persistenceAdapter><kahaDB directory="$BASE/data/kahadb"/></persistenceAdapter>
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:$OPENWIRE_PORT"/>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:$STOMP_PORT"/>
      <transportConnector name="mqtt" uri="mqtt://127.0.0.1:$MQTT_PORT"/>
    </transportConnectors>
  </broker>
</beans>
EOF
  launch
}

# Starts the JVM on the configuration and data in $BASE and waits until STOMP answers.
launch() {
  (
    cd "$BASE"
    nohup java -Xms64M -Xmx256M \
      -Dactivemq.home="$HOME_DIR" -Dactivemq.base="$BASE" -Dactivemq.conf="$BASE/conf" \
      -Dactivemq.data="$BASE/data" -Djava.io.tmpdir="$BASE/tmp" \
      -jar "$HOME_DIR/bin/activemq.jar" start "xbean:file:$BASE/conf/activemq.xml" >>"$BASE/out.log" 2>&1 &
    echo $! >"$BASE/pid"
  )
  log "starting ActiveMQ $(version) (STOMP 127.0.0.1:$STOMP_PORT, dir $BASE)"
  local deadline=$((SECONDS + START_TIMEOUT))
  until stomp_answers; do
    if ! running; then
      log "ActiveMQ exited during startup; last log lines:"
      tail -n 40 "$BASE/out.log" >&2 || true
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "no STOMP answer on port $STOMP_PORT after ${START_TIMEOUT}s; last log lines:"
      tail -n 40 "$BASE/out.log" >&2 || true
      stop || true
      return 1
    fi
    sleep 0.5
  done
  log "up"
  stomp_addr
}

# Ends the JVM (SIGTERM: ActiveMQ closes its store; SIGKILL after 15 s).
halt() {
  if [ -f "$BASE/pid" ]; then
    local pid
    pid="$(cat "$BASE/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
}

stop() {
  if [ ! -d "$BASE" ]; then
    log "nothing to stop ($BASE does not exist)"
    return 0
  fi
  halt
  rm -rf "$BASE"
  log "stopped"
}

# Stops the broker and starts it again on the same ports, configuration and data (KahaDB), as
# an operator's restart: the failover scenario (conformance/openwire/failover.test.ts) uses it.
restart() {
  if ! running; then
    log "not running (no live broker in $BASE)"
    return 1
  fi
  halt
  log "stopped for a restart"
  launch
}

version() { dpkg-query -W -f '${Version}' activemq 2>/dev/null || echo unknown; }

stomp_addr() { echo "127.0.0.1:$STOMP_PORT"; }

openwire_url() { echo "tcp://127.0.0.1:$OPENWIRE_PORT"; }

mqtt_url() { echo "mqtt://127.0.0.1:$MQTT_PORT"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  stomp-addr) stomp_addr ;;
  openwire-url) openwire_url ;;
  mqtt-url) mqtt_url ;;
  deps) ensure_packages ;;
  version) version ;;
  *)
    echo "usage: $0 start|stop|restart|stomp-addr|openwire-url|mqtt-url|deps|version" >&2
    exit 2
    ;;
esac
