/**
 * The Prometheus endpoint (RabbitMQ's rabbitmq_prometheus plugin, port 15692, `/metrics`), with
 * RabbitMQ's metric names and help texts for what Warren has, so dashboards built on RabbitMQ's
 * aggregated metrics keep working. Values are read from the core when scraped, never on the hot path.
 */
import { createServer, type Server } from "node:http";
import { statfs } from "node:fs/promises";
import { Counter, Gauge, Registry } from "prom-client";
import type { Broker, MessageCounters } from "../core/index.js";
import { listenOn } from "../transport/listen.js";
import { createLogger, type Logger } from "../server/logger.js";
import { maxFds, openFds } from "./process-stats.js";
import type { ClusterView } from "./cluster-view.js";
import { registerClusterMetrics } from "./cluster-metrics.js";

export interface PrometheusContext {
  readonly core: Broker;
  readonly nodeName: string;
  readonly productVersion: string;
  readonly dataDir: string;
  limits(): { memLimit: number; diskFreeLimit: number };
  readonly cluster?: ClusterView;
}

/**
 * RabbitMQ 3.10 labels its global counters with the protocol, and its MQTT and STOMP plugins run
 * over internal AMQP 0-9-1 channels, so all of their traffic is counted as amqp091 too.
 */
const PROTOCOL = { protocol: "amqp091" };
const CLASSIC = { protocol: "amqp091", queue_type: "rabbit_classic_queue" };

/** Builds a registry whose collectors read the broker at scrape time. */
export function createRegistry(ctx: PrometheusContext): Registry {
  const registry = new Registry();
  const broker = ctx.core;
  const gauge = (name: string, help: string, value: () => number | Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await value());
      },
    });
  const counter = (name: string, help: string, labels: Record<string, string>, value: (c: MessageCounters) => number) =>
    new Counter({
      name,
      help,
      labelNames: Object.keys(labels),
      registers: [registry],
      collect() {
        this.reset();
        this.inc(labels, value(broker.counters));
      },
    });
  const queues = () => broker.listVhosts().flatMap((v) => [...v.queues.values()]);
  const channels = () => broker.connections.list().reduce((n, c) => n + c.details.channels().length, 0);

  gauge("rabbitmq_connections", "Connections currently open", () => broker.connections.size);
  gauge("rabbitmq_channels", "Channels currently open", channels);
  gauge("rabbitmq_consumers", "Consumers currently connected", () => queues().reduce((n, q) => n + q.consumerCount, 0));
  gauge("rabbitmq_queues", "Queues available", () => queues().length);
  gauge("rabbitmq_queue_messages_ready", "Messages ready to be delivered to consumers", () =>
    queues().reduce((n, q) => n + q.messageCount, 0),
  );
  gauge("rabbitmq_queue_messages_unacked", "Messages delivered to consumers but not yet acknowledged", () =>
    queues().reduce((n, q) => n + q.unackedMessageCount, 0),
  );
  new Counter({
    name: "rabbitmq_connections_opened_total",
    help: "Total number of connections opened",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(broker.connections.created);
    },
  });
  new Counter({
    name: "rabbitmq_connections_closed_total",
    help: "Total number of connections closed or terminated",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(broker.connections.closed);
    },
  });

  // no RabbitMQ metric counts these (its log says "handshake_timeout"): Warren's own name
  new Counter({
    name: "warren_connections_handshake_timeout_total",
    help: "Connections closed because they did not finish their handshake (login) within the timeout",
    labelNames: ["protocol"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [protocol, n] of broker.connections.handshakeTimeouts) this.inc({ protocol }, n);
    },
  });

  counter("rabbitmq_global_messages_received_total", "Total number of messages received from publishers", PROTOCOL, (c) => c.publish);
  counter("rabbitmq_global_messages_routed_total", "Total number of messages routed to queues or streams", PROTOCOL, (c) => c.routed);
  counter(
    "rabbitmq_global_messages_unroutable_dropped_total",
    "Total number of messages published as non-mandatory into an exchange and dropped as unroutable",
    PROTOCOL,
    (c) => c.unroutable - c.returnUnroutable,
  );
  counter(
    "rabbitmq_global_messages_unroutable_returned_total",
    "Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable",
    PROTOCOL,
    (c) => c.returnUnroutable,
  );
  counter("rabbitmq_global_messages_confirmed_total", "Total number of messages confirmed to publishers", PROTOCOL, (c) => c.confirm);
  counter(
    "rabbitmq_global_messages_delivered_total",
    "Total number of messages delivered to consumers",
    PROTOCOL,
    (c) => c.deliver + c.deliverNoAck + c.get + c.getNoAck,
  );
  counter(
    "rabbitmq_global_messages_delivered_consume_manual_ack_total",
    "Total number of messages delivered to consumers using basic.consume with manual acknowledgment",
    CLASSIC,
    (c) => c.deliver,
  );
  counter(
    "rabbitmq_global_messages_delivered_consume_auto_ack_total",
    "Total number of messages delivered to consumers using basic.consume with automatic acknowledgment",
    CLASSIC,
    (c) => c.deliverNoAck,
  );
  counter(
    "rabbitmq_global_messages_delivered_get_manual_ack_total",
    "Total number of messages delivered to consumers using basic.get with manual acknowledgment",
    CLASSIC,
    (c) => c.get,
  );
  counter(
    "rabbitmq_global_messages_delivered_get_auto_ack_total",
    "Total number of messages delivered to consumers using basic.get with automatic acknowledgment",
    CLASSIC,
    (c) => c.getNoAck,
  );
  counter(
    "rabbitmq_global_messages_get_empty_total",
    "Total number of times basic.get operations fetched no message",
    CLASSIC,
    (c) => c.getEmpty,
  );
  counter("rabbitmq_global_messages_redelivered_total", "Total number of messages redelivered to consumers", CLASSIC, (c) => c.redeliver);
  counter("rabbitmq_global_messages_acknowledged_total", "Total number of messages acknowledged by consumers", CLASSIC, (c) => c.ack);

  gauge("rabbitmq_process_resident_memory_bytes", "Memory used in bytes", () => process.memoryUsage.rss());
  gauge("rabbitmq_process_open_fds", "Open file descriptors", openFds);
  gauge("rabbitmq_process_max_fds", "Open file descriptors limit", maxFds);
  gauge("rabbitmq_resident_memory_limit_bytes", "Memory high watermark in bytes", () => Math.round(ctx.limits().memLimit));
  gauge("rabbitmq_disk_space_available_limit_bytes", "Free disk space low watermark in bytes", () => ctx.limits().diskFreeLimit);
  gauge("rabbitmq_disk_space_available_bytes", "Disk space available in bytes", async () => {
    try {
      const s = await statfs(ctx.dataDir);
      return s.bavail * s.bsize;
    } catch {
      return 0;
    }
  });
  new Gauge({
    name: "rabbitmq_identity_info",
    help: "RabbitMQ node & cluster identity info",
    labelNames: ["rabbitmq_node", "rabbitmq_cluster"],
    registers: [registry],
    collect() {
      this.set({ rabbitmq_node: ctx.nodeName, rabbitmq_cluster: ctx.nodeName }, 1);
    },
  });
  new Gauge({
    name: "rabbitmq_build_info",
    help: "RabbitMQ & Erlang/OTP version info",
    labelNames: ["rabbitmq_version", "product_version", "node_version"],
    registers: [registry],
    collect() {
      this.set({ rabbitmq_version: "3.10.8", product_version: ctx.productVersion, node_version: process.version }, 1);
    },
  });
  if (ctx.cluster !== undefined) registerClusterMetrics(registry, ctx.cluster);
  return registry;
}

export interface RunningPrometheus {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `/metrics` (and `/metrics/` as RabbitMQ does) on its own port (0 = any free one). */
export async function startPrometheus(
  ctx: PrometheusContext,
  listen: { port: number; host?: string | undefined },
  log: Logger = createLogger("silent"),
): Promise<RunningPrometheus> {
  const registry = createRegistry(ctx);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/metrics/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(String(err)),
    );
  });
  const port = await listenOn(server, listen.port, listen.host, log);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
