import type { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { STARTED_EVENT } from "./code-cache.js";
import { CommanderError, ctlCommand } from "./ctl.js";
import type { StartFlags } from "../server/config.js";
import type { BrokerOptions } from "../server/options.js";

/** package.json sits two levels up from both src/cli/main.ts and the bundle's dist/cli/main.js. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

const program = new Command()
  .name("warren")
  .version(packageVersion(), "-V, --version", "print Warren's version and exit")
  .description(
    "Warren: a RabbitMQ-compatible message broker speaking AMQP 0-9-1, MQTT and STOMP. " +
      "Settings come from flags, then the environment (WARREN_*, RABBITMQ_*), then a rabbitmq.conf-style " +
      "config file, then RabbitMQ's defaults; docs/configuration.md lists every key and variable.",
  )
  .option("-c, --config <file>", "rabbitmq.conf-style config file (env WARREN_CONFIG_FILE or RABBITMQ_CONFIG_FILE)")
  .option("--data-dir <dir>", "where durable state is kept (env WARREN_DATA_DIR; default ./data)")
  .option("--host <address>", "address listeners bind to (env WARREN_HOST or RABBITMQ_NODE_IP_ADDRESS; default all interfaces)")
  .option("--amqp-port <port>", "AMQP 0-9-1 port or host:port, or off (default 5672)")
  .option("--amqps-port <port>", "AMQP 0-9-1 over TLS port, needs ssl_options in the config file (off unless set; RabbitMQ uses 5671)")
  .option("--mqtt-port <port>", "MQTT port or host:port, or off (default 1883)")
  .option("--mqtts-port <port>", "MQTT over TLS port (off unless set; RabbitMQ uses 8883)")
  .option("--stomp-port <port>", "STOMP port or host:port, or off (default 61613)")
  .option("--openwire-port <port>", "OpenWire (ActiveMQ JMS) port or host:port, or off (default 61616)")
  .option(
    "--openwire-tls-port <port>",
    "OpenWire over TLS port, needs ssl_options in the config file (off unless set; ActiveMQ uses 61617)",
  )
  .option("--stomps-port <port>", "STOMP over TLS port (off unless set; RabbitMQ uses 61614)")
  .option("--web-mqtt-port <port>", "MQTT over WebSocket port or host:port (path /ws), or off (default 15675)")
  .option("--web-stomp-port <port>", "STOMP over WebSocket port or host:port (path /ws), or off (default 15674)")
  .option("--management-port <port>", "management HTTP API and UI port or host:port, or off (default 15672)")
  .option("--prometheus-port <port>", "Prometheus /metrics port or host:port, or off (default 15692)")
  .option("--log-level <level>", "debug, info, warning, error, critical or none (default info)")
  .option("--log-format <format>", "plaintext or json (env WARREN_LOG_FORMAT; default plaintext on a terminal, json otherwise)")
  .option("--lenient-config", "warn about unknown config file keys instead of refusing to start (env WARREN_CONFIG_LENIENT=true)")
  .option("--heartbeat <seconds>", "heartbeat interval proposed to AMQP clients (default 60)")
  .option("--default-user <name>", "user created at first start (default guest)")
  .option("--default-pass <password>", "that user's password (default guest)")
  .option("--default-vhost <vhost>", "vhost created at first start (default /)")
  .option("--loopback-users <names>", 'comma-separated users allowed only from localhost, or "none" (default guest)')
  .option("--disk-free-limit <size>", "block publishers when the data dir's filesystem has less free: bytes or 50MB, 1GB (default 50MB)")
  .option("--memory-high-watermark <fraction>", "block publishers past this fraction of RAM (default 0.4)")
  .option("--load-definitions <file>", "definitions JSON (RabbitMQ's format) imported at every start")
  .option("--server-product <name>", "product AMQP clients are told in connection.start (default RabbitMQ)")
  .option(
    "--server-version <version>",
    "version AMQP clients are told in connection.start (default 3.10.8, the RabbitMQ release Warren implements)",
  )
  .option("--cluster-etcd <urls>", "run as a cluster node: comma-separated etcd client URLs (docs/clustering.md)")
  .option("--node-name <name>", "this node's name in the cluster (default the host name)")
  .option("--replication-port <port>", "where this node takes the leader's replication connection (default 25700)")
  .addHelpText(
    "after",
    "\nExamples:\n  warren --config /etc/rabbitmq/rabbitmq.conf --data-dir /var/lib/warren\n  warren --amqp-port 5673 --mqtt-port off --log-level debug\n  warren ctl list_queues",
  )
  .action(async (flags: StartFlags) => {
    const started = process.hrtime.bigint();
    // loaded here, not at the top: `warren ctl` never needs the broker, and starts faster without it
    const [{ startBroker }, { resolveStartOptions }] = await Promise.all([import("../server/start.js"), import("../server/config.js")]);
    const { options, warnings, configFile } = resolveStartOptions(flags, process.env);
    if (options.cluster !== undefined) return runClusterNode(options, warnings, started);
    const broker = await startBroker(options);
    for (const w of warnings) broker.log.warn(w);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    broker.log.info({ ports: broker.ports, dataDir: broker.dataDir, configFile, startupMs: Math.round(ms) }, "Warren started");
    // the launcher (bin.ts) writes the code cache now, when the start's code has been compiled
    (process as EventEmitter).emit(STARTED_EVENT);
    let stopping = false;
    // Graceful: listeners stop accepting, clients are told (AMQP 320 CONNECTION_FORCED, MQTT 5
    // DISCONNECT 0x8B, STOMP ERROR), the store is flushed, exit 0. A second signal, or a close that
    // hangs, exits at once with 1.
    const stop = async (signal: string) => {
      if (stopping) {
        broker.log.warn({ signal }, "second signal during shutdown; exiting now");
        process.exit(1);
      }
      stopping = true;
      broker.log.info({ signal }, "shutting down");
      setTimeout(() => {
        broker.log.error("shutdown did not finish within 30 s; exiting");
        process.exit(1);
      }, 30_000).unref();
      await broker.close();
      process.exit(0);
    };
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
  });

/**
 * A cluster node: a follower until etcd elects it, then a broker. A leader that loses its lease
 * exits with 75 (EX_TEMPFAIL) once its clients are disconnected, so its supervisor restarts it as
 * a follower; SIGTERM/SIGINT leave the cluster (a leader hands over at once) and exit 0.
 */
async function runClusterNode(options: BrokerOptions, warnings: string[], started: bigint): Promise<void> {
  const { startClusterNode } = await import("../cluster/node.js");
  const node = await startClusterNode(options);
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(1), 30_000).unref();
    await node.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  void node.steppedDown.then(() => process.exit(75));
  const broker = await node.leading;
  for (const w of warnings) broker.log.warn(w);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  broker.log.info(
    { ports: broker.ports, dataDir: broker.dataDir, node: node.name, epoch: node.term()?.epoch, startupMs: Math.round(ms) },
    "Warren started (cluster leader)",
  );
  (process as EventEmitter).emit(STARTED_EVENT);
}

// `warren ctl`'s ~60 subcommands take ~18 ms of CPU to build, a tenth of a broker's start-up:
// built only when the command line may need them (ctl itself, or help, which lists it)
const args = process.argv.slice(2);
if (args.some((a) => a === "ctl" || a === "help" || a === "-h" || a === "--help")) program.addCommand(ctlCommand());

program.parseAsync().catch((err: unknown) => {
  // `warren ctl` printed its usage error and set its exit code (64) already
  if (err instanceof CommanderError) process.exit(process.exitCode ?? err.exitCode);
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
