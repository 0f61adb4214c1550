#!/usr/bin/env node
// npm run conformance -- --amqp amqp://guest:guest@HOST:PORT [--amqp10 amqp://guest:guest@HOST:PORT]
//   [--mqtt mqtt://guest:guest@HOST:PORT]
//   [--stomp HOST:PORT] [--stomp-activemq HOST:PORT] [--openwire tcp://HOST:PORT [--mqtt-activemq mqtt://HOST:PORT]]
//   [--management http://guest:guest@HOST:PORT] [extra vitest args]
//
// --stomp is a broker with RabbitMQ's STOMP conventions (RabbitMQ's rabbitmq_stomp), --stomp-activemq
// one with ActiveMQ's (ActiveMQ 5.17): each STOMP scenario file runs against the broker of its own
// convention (conformance/stomp/target.ts), or an embedded Warren when that one is not given.
//
// Points every conformance scenario at the given broker (WARREN_CONFORMANCE_AMQP, and for the
// MQTT scenarios WARREN_CONFORMANCE_MQTT) and runs them with vitest. Without a URL (and without
// the variable set) each file starts an embedded Warren.
// Exits with vitest's exit code.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const rest = [];
let amqp = process.env.WARREN_CONFORMANCE_AMQP;
let mqtt = process.env.WARREN_CONFORMANCE_MQTT;
let mqttOnly = false;
let mqttV5 = false;

function hostPort(flag, v) {
  if (!v || !/^[^:]+:\d+$/.test(v)) {
    console.error(`${flag} needs host:port, e.g. ${flag} 127.0.0.1:61613`);
    process.exit(2);
  }
  return v;
}

for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--amqp") {
    amqp = args[++i];
    if (!amqp) {
      console.error("--amqp needs a URL, e.g. --amqp amqp://guest:guest@127.0.0.1:5672");
      process.exit(2);
    }
  } else if (a.startsWith("--amqp=")) {
    amqp = a.slice("--amqp=".length);
  } else if (a === "--management" || a.startsWith("--management=")) {
    // the management scenarios (rabbitmqadmin, warren ctl) against this API, user and password in the URL
    const url = a === "--management" ? args[++i] : a.slice("--management=".length);
    try {
      const u = new URL(url ?? "");
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`unsupported scheme ${u.protocol}`);
    } catch (e) {
      console.error(`--management needs an http:// URL, e.g. --management http://guest:guest@127.0.0.1:15672 (${e.message})`);
      process.exit(2);
    }
    process.env.WARREN_CONFORMANCE_MANAGEMENT = url;
    console.log(`conformance: management scenarios against ${url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")}`);
  } else if (a === "--amqp10" || a.startsWith("--amqp10=")) {
    // the AMQP 1.0 scenarios (conformance/amqp10) against this broker: AMQP 1.0 and 0-9-1 on one port
    const url = a === "--amqp10" ? args[++i] : a.slice("--amqp10=".length);
    if (!url || !url.startsWith("amqp://")) {
      console.error("--amqp10 needs a URL, e.g. --amqp10 amqp://guest:guest@127.0.0.1:5672");
      process.exit(2);
    }
    process.env.WARREN_CONFORMANCE_AMQP10 = url;
    console.log(`conformance: AMQP 1.0 scenarios against ${url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")}`);
  } else if (a === "--openwire" || a.startsWith("--openwire=")) {
    // the OpenWire scenarios (conformance/openwire) against this broker, e.g. ActiveMQ 5.17's OpenWire port
    const url = a === "--openwire" ? args[++i] : a.slice("--openwire=".length);
    if (!url || !/^tcp:\/\/[^:]+:\d+$/.test(url)) {
      console.error("--openwire needs a URL, e.g. --openwire tcp://127.0.0.1:61616");
      process.exit(2);
    }
    process.env.WARREN_CONFORMANCE_OPENWIRE = url;
    console.log(`conformance: OpenWire scenarios against ${url}`);
  } else if (a === "--mqtt-activemq" || a.startsWith("--mqtt-activemq=")) {
    // ActiveMQ's MQTT connector, for the OpenWire cross-protocol scenarios (MQTT → JMS): the same
    // broker as --openwire's
    const url = a === "--mqtt-activemq" ? args[++i] : a.slice("--mqtt-activemq=".length);
    if (!url || !url.startsWith("mqtt://")) {
      console.error("--mqtt-activemq needs a URL, e.g. --mqtt-activemq mqtt://127.0.0.1:1883");
      process.exit(2);
    }
    process.env.WARREN_CONFORMANCE_MQTT_ACTIVEMQ = url;
  } else if (a === "--stomp") {
    process.env.WARREN_CONFORMANCE_STOMP = hostPort(a, args[++i]);
  } else if (a === "--stomp-activemq") {
    process.env.WARREN_CONFORMANCE_STOMP_ACTIVEMQ = hostPort(a, args[++i]);
  } else if (a === "--mqtt") {
    mqtt = args[++i];
    if (!mqtt) {
      console.error("--mqtt needs a URL, e.g. --mqtt mqtt://guest:guest@127.0.0.1:1883");
      process.exit(2);
    }
  } else if (a === "--mqtt-only-broker") {
    // the MQTT target speaks no AMQP (mosquitto): MQTT ↔ AMQP scenarios do not apply
    mqttOnly = true;
  } else if (a === "--mqtt-v5") {
    // the MQTT target speaks MQTT 5 (mosquitto 2, Warren; not RabbitMQ 3.10)
    mqttV5 = true;
  } else if (a.startsWith("--mqtt=")) {
    mqtt = a.slice("--mqtt=".length);
  } else if (a === "-h" || a === "--help") {
    console.log(
      "usage: npm run conformance -- [--amqp amqp://user:pass@host:port] [--amqp10 amqp://user:pass@host:port] [--mqtt mqtt://user:pass@host:port [--mqtt-v5] [--mqtt-only-broker]] [--stomp host:port] [--stomp-activemq host:port] [--openwire tcp://host:port [--mqtt-activemq mqtt://host:port]] [--management http://user:pass@host:port] [vitest args...]",
    );
    process.exit(0);
  } else {
    rest.push(a);
  }
}

// read after the loop: --stomp host:port sets it for the STOMP scenarios
const env = { ...process.env };
if (amqp) {
  try {
    const u = new URL(amqp);
    if (u.protocol !== "amqp:") throw new Error(`unsupported scheme ${u.protocol}`);
  } catch (e) {
    console.error(`--amqp: not an amqp:// URL: ${amqp} (${e.message})`);
    process.exit(2);
  }
  env.WARREN_CONFORMANCE_AMQP = amqp;
  console.log(`conformance: running against ${amqp.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")}`);
} else {
  delete env.WARREN_CONFORMANCE_AMQP;
  console.log("conformance: no --amqp given, each file starts an embedded Warren");
}

if (mqtt) {
  if (!mqtt.startsWith("mqtt://")) {
    console.error(`--mqtt: not an mqtt:// URL: ${mqtt}`);
    process.exit(2);
  }
  env.WARREN_CONFORMANCE_MQTT = mqtt;
  env.WARREN_CONFORMANCE_MQTT_ONLY = mqttOnly ? "1" : "0";
  env.WARREN_CONFORMANCE_MQTT_V5 = mqttV5 ? "1" : "0";
  console.log(`conformance: MQTT scenarios against ${mqtt.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")}`);
} else {
  delete env.WARREN_CONFORMANCE_MQTT;
}

for (const [name, what] of [
  ["WARREN_CONFORMANCE_STOMP", "RabbitMQ"],
  ["WARREN_CONFORMANCE_STOMP_ACTIVEMQ", "ActiveMQ"],
]) {
  if (process.env[name]) console.log(`conformance: ${what}-convention STOMP scenarios against ${process.env[name]}`);
}

const child = spawn("npx", ["vitest", "run", "--config", "conformance/vitest.config.ts", ...rest], {
  cwd: root,
  env,
  stdio: "inherit",
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("close", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
