#!/usr/bin/env node
import { Command, InvalidArgumentError } from "commander";
import { startBroker } from "../server/start.js";
import { ctlCommand } from "./ctl.js";
import type { LogLevel } from "../server/logger.js";

const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number 0-65535");
  return n;
};

/** A port flag: a number, or "off" to disable that listener. */
const portOrOff = (value: string): number | false => (value === "off" ? false : port(value));

const program = new Command()
  .name("warren")
  .description("Warren: a RabbitMQ-compatible message broker speaking AMQP 0-9-1, MQTT and STOMP")
  .option("--amqp-port <port>", "AMQP 0-9-1 port, or off", portOrOff, 5672)
  .option("--mqtt-port <port>", "MQTT port, or off", portOrOff, 1883)
  .option("--web-mqtt-port <port>", "MQTT over WebSocket port (path /ws), or off", portOrOff, 15675)
  .option("--stomp-port <port>", "STOMP port, or off", portOrOff, 61613)
  .option("--web-stomp-port <port>", "STOMP over WebSocket port (path /ws), or off", portOrOff, 15674)
  .option("--management-port <port>", "management HTTP API and web UI port, or off", portOrOff, 15672)
  .option("--prometheus-port <port>", "Prometheus metrics port (path /metrics), or off", portOrOff, 15692)
  .option("--host <address>", "address to listen on", "0.0.0.0")
  .option("--data-dir <dir>", "where durable state is kept", "./data")
  .option("--disk-free-limit <bytes>", "block publishers when the data dir's filesystem has less free (default 50000000)", (v) => Number(v))
  .option("--memory-high-watermark <fraction>", "block publishers past this fraction of RAM (default 0.4)", (v) => Number(v))
  .option("--log-level <level>", "trace, debug, info, warn, error or silent", "info")
  .option("--heartbeat <seconds>", "heartbeat interval proposed to clients", (v) => Number(v))
  .option("--default-user <name>", "user created at first start", process.env.WARREN_DEFAULT_USER ?? "guest")
  .option("--default-pass <password>", "that user's password", process.env.WARREN_DEFAULT_PASS ?? "guest")
  .option(
    "--loopback-users <names>",
    'comma-separated users allowed only from localhost, or "none" (RabbitMQ\'s loopback_users)',
    process.env.WARREN_LOOPBACK_USERS ?? "guest",
  )
  .action(async (opts: {
    amqpPort: number | false; managementPort: number | false; prometheusPort: number | false; stompPort: number | false; webStompPort: number | false; mqttPort: number | false; webMqttPort: number | false; host: string; dataDir: string; logLevel: LogLevel; heartbeat?: number;
    defaultUser: string; defaultPass: string; loopbackUsers: string;
    diskFreeLimit?: number; memoryHighWatermark?: number;
  }) => {
    const started = process.hrtime.bigint();
    const broker = await startBroker({
      dataDir: opts.dataDir,
      host: opts.host,
      amqp: opts.amqpPort === false ? false : { port: opts.amqpPort },
      mqtt: opts.mqttPort === false ? false : { port: opts.mqttPort },
      webMqtt: opts.webMqttPort === false ? false : { port: opts.webMqttPort },
      stomp: opts.stompPort === false ? false : { port: opts.stompPort },
      webStomp: opts.webStompPort === false ? false : { port: opts.webStompPort },
      management: opts.managementPort === false ? false : { port: opts.managementPort },
      prometheus: opts.prometheusPort === false ? false : { port: opts.prometheusPort },
      logLevel: opts.logLevel,
      defaultUser: opts.defaultUser,
      defaultPass: opts.defaultPass,
      loopbackUsers: opts.loopbackUsers === "none" ? [] : opts.loopbackUsers.split(",").filter(Boolean),
      ...(opts.heartbeat !== undefined && { heartbeat: opts.heartbeat }),
      ...(opts.diskFreeLimit !== undefined && { diskFreeLimit: opts.diskFreeLimit }),
      ...(opts.memoryHighWatermark !== undefined && { memoryHighWatermark: opts.memoryHighWatermark }),
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    broker.log.info({ ports: broker.ports, dataDir: broker.dataDir, startupMs: Math.round(ms) }, "Warren started");
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      broker.log.info({ signal }, "shutting down");
      await broker.close();
      process.exit(0);
    };
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
  });

program.addCommand(ctlCommand());

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
