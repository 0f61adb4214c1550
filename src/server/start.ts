import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Broker } from "../core/index.js";
import type { DiskPersistence } from "../store/persistence.js";
import { AmqpServer } from "../../protocols/amqp/server.js";
import { MqttServer } from "../../protocols/mqtt/server.js";
import { WebMqttServer } from "../../protocols/mqtt/websocket.js";
import { defaultStompOptions, StompServer, WebStompServer } from "../../protocols/stomp/server.js";
import { createLogger, type Logger } from "./logger.js";
import { type BrokerOptions, DEFAULT_PORTS, parseOptions } from "./options.js";
import { openStore } from "./store.js";
import { DEFAULT_LIMITS as DEFAULT_RESOURCE_LIMITS, ResourceMonitor } from "./alarms.js";
import { PRODUCT_VERSION } from "../../protocols/amqp/server-properties.js";

export interface BrokerPorts {
  amqp?: number;
  mqtt?: number;
  webMqtt?: number;
  stomp?: number;
  webStomp?: number;
  management?: number;
  prometheus?: number;
}

/** A running broker: the ports it bound, its core, and how to stop it. */
export interface RunningBroker {
  readonly ports: BrokerPorts;
  readonly core: Broker;
  readonly dataDir: string;
  readonly log: Logger;
  /** The durable store: group commit statistics, dropped tails found at startup. */
  readonly persistence: DiskPersistence;
  /** Samples memory and disk; tests change `limits` and call `check()`. */
  readonly resources: ResourceMonitor;
  /** Client connections currently open, across protocols. */
  connectionCount(): number;
  close(): Promise<void>;
}

/** Starts Warren in this process: the one call an embedding test needs. */
export async function startBroker(input: BrokerOptions = {}): Promise<RunningBroker> {
  const options = parseOptions(input);
  const log = createLogger(options.logLevel ?? "warn", options.logDestination);
  const tempDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "warren-")));
  const { core, persistence } = openStore(dataDir, options, log);
  const monitor = new ResourceMonitor(core.alarms, dataDir, {
    memoryHighWatermark: options.memoryHighWatermark ?? DEFAULT_RESOURCE_LIMITS.memoryHighWatermark,
    ...(options.memoryHighWatermarkBytes !== undefined && { memoryHighWatermarkBytes: options.memoryHighWatermarkBytes }),
    diskFreeLimit: options.diskFreeLimit ?? DEFAULT_RESOURCE_LIMITS.diskFreeLimit,
    checkIntervalMs: options.resourceCheckInterval ?? DEFAULT_RESOURCE_LIMITS.checkIntervalMs,
  }, log);
  await monitor.check();
  monitor.start();

  const ports: BrokerPorts = {};
  const closers: (() => Promise<void>)[] = [];
  const counters: (() => number)[] = [];
  try {
    if (options.amqp !== false) {
      const amqp = new AmqpServer(core, log, {
        ...(options.heartbeat !== undefined && { heartbeat: options.heartbeat }),
        ...(options.frameMax !== undefined && { frameMax: options.frameMax }),
        ...(options.channelMax !== undefined && { channelMax: options.channelMax }),
        ...(options.maxMessageSize !== undefined && { maxMessageSize: options.maxMessageSize }),
      });
      const l = options.amqp ?? { port: DEFAULT_PORTS.amqp };
      ports.amqp = await amqp.listen(l.port, l.host ?? options.host);
      closers.push(() => amqp.close());
      counters.push(() => amqp.connectionCount);
      log.info({ protocol: "amqp", port: ports.amqp }, `AMQP 0-9-1 listening on port ${ports.amqp}`);
    }
    const stompOptions = defaultStompOptions(core, {
      ...(options.stompDefaultUser !== undefined && { defaultUser: options.stompDefaultUser }),
      ...(options.stompDefaultPass !== undefined && { defaultPass: options.stompDefaultPass }),
    });
    if (options.stomp !== false) {
      const stomp = new StompServer(core, log, stompOptions);
      const l = options.stomp ?? { port: DEFAULT_PORTS.stomp };
      ports.stomp = await stomp.listen(l.port, l.host ?? options.host);
      closers.push(() => stomp.close());
      counters.push(() => stomp.connectionCount);
      log.info({ protocol: "stomp", port: ports.stomp }, `STOMP listening on port ${ports.stomp}`);
    }
    if (options.webStomp !== false) {
      const web = new WebStompServer(core, log, stompOptions);
      const l = options.webStomp ?? { port: DEFAULT_PORTS.webStomp };
      ports.webStomp = await web.listen(l.port, l.host ?? options.host);
      closers.push(() => web.close());
      counters.push(() => web.connectionCount);
      log.info({ protocol: "web-stomp", port: ports.webStomp }, `STOMP over WebSocket listening on port ${ports.webStomp}, path /ws`);
    }
    if (options.mqtt !== false || options.webMqtt !== false) {
      const m = options.mqtt === false ? undefined : options.mqtt;
      // anonymous MQTT clients log in as the broker's default user unless told otherwise
      const mqtt = new MqttServer(core, log, {
        ...(m?.maxPacketSize !== undefined && { maxPacketSize: m.maxPacketSize }),
        ...(m?.allowAnonymous !== undefined && { allowAnonymous: m.allowAnonymous }),
        defaultUser: m?.defaultUser ?? options.defaultUser ?? "guest",
        defaultPass: m?.defaultPass ?? options.defaultPass ?? "guest",
        vhost: m?.vhost ?? core.defaultVhost,
        // retained messages and persistent sessions outlive a restart on the same data dir
        stateDir: join(dataDir, "mqtt"),
      });
      closers.push(() => mqtt.close());
      counters.push(() => mqtt.connectionCount);
      if (options.mqtt !== false) {
        const l = options.mqtt ?? { port: DEFAULT_PORTS.mqtt };
        ports.mqtt = await mqtt.listen(l.port, l.host ?? options.host);
        log.info({ protocol: "mqtt", port: ports.mqtt }, `MQTT listening on port ${ports.mqtt}`);
      }
      if (options.webMqtt !== false) {
        const web = new WebMqttServer(mqtt);
        const l = options.webMqtt ?? { port: DEFAULT_PORTS.webMqtt };
        closers.unshift(() => web.close());
        ports.webMqtt = await web.listen(l.port, l.host ?? options.host);
        log.info({ protocol: "web-mqtt", port: ports.webMqtt }, `MQTT over WebSocket listening on port ${ports.webMqtt}, path /ws`);
      }
    }
    if (options.management !== false || options.prometheus !== false) {
      // management API, web UI and Prometheus: loaded only when one of them is on
      const { startOperatorListeners } = await import("../management/listeners.js");
      const m = options.management;
      const ops = await startOperatorListeners({ core, log, dataDir, resources: monitor, productVersion: PRODUCT_VERSION, ports }, {
        management: m === false || m === undefined ? false : { port: m.port, host: m.host ?? options.host, ...(m.sampleInterval !== undefined && { sampleIntervalMs: m.sampleInterval }) },
        prometheus: options.prometheus === false || options.prometheus === undefined ? false : { port: options.prometheus.port, host: options.prometheus.host ?? options.host },
      });
      closers.unshift(() => ops.close());
      if (ops.management !== undefined) ports.management = ops.management;
      if (ops.prometheus !== undefined) ports.prometheus = ops.prometheus;
    }
  } catch (err) {
    monitor.stop();
    await Promise.all(closers.map((c) => c()));
    await persistence.close();
    throw err;
  }

  let closed = false;
  return {
    ports,
    core,
    dataDir,
    log,
    persistence,
    resources: monitor,
    connectionCount: () => counters.reduce((n, c) => n + c(), 0),
    async close() {
      if (closed) return;
      closed = true;
      monitor.stop();
      core.stopTimers();
      await Promise.all(closers.map((c) => c()));
      await persistence.close();
      if (tempDir) await rm(dataDir, { recursive: true, force: true });
      log.flush?.();
    },
  };
}
