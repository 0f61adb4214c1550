import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Broker } from "../core/index.js";
import type { DiskPersistence } from "../store/persistence.js";
import { AmqpServer } from "../../protocols/amqp/server.js";
import { createLogger, type Logger } from "./logger.js";
import { type BrokerOptions, DEFAULT_PORTS, parseOptions } from "./options.js";
import { openStore } from "./store.js";
import { DEFAULT_LIMITS as DEFAULT_RESOURCE_LIMITS, ResourceMonitor } from "./alarms.js";

export interface BrokerPorts {
  amqp?: number;
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
  const log = createLogger(options.logLevel ?? "warn");
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
      await Promise.all(closers.map((c) => c()));
      await persistence.close();
      if (tempDir) await rm(dataDir, { recursive: true, force: true });
      log.flush?.();
    },
  };
}
