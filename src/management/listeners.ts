/**
 * Starts the operator-facing listeners — management (API + UI) and Prometheus — beside the
 * protocol listeners. Loaded only when one of them is on, so an embedded broker without them
 * never loads fastify or prom-client.
 */
import { hostname } from "node:os";
import type { Broker } from "../core/index.js";
import type { Logger } from "../server/logger.js";
import type { ResourceMonitor } from "../server/resource-monitor.js";
import type { ClusterView } from "./cluster-view.js";
import { startManagement, type ManagementTlsOptions } from "./server.js";
import { startPrometheus } from "./prometheus.js";

export interface OperatorListenerOptions {
  management: { port: number; host?: string | undefined; tls?: ManagementTlsOptions; sampleIntervalMs?: number } | false;
  prometheus: { port: number; host?: string | undefined; perObject?: boolean } | false;
}

export interface OperatorListenerContext {
  core: Broker;
  log: Logger;
  dataDir: string;
  resources: ResourceMonitor;
  productVersion: string;
  /** The protocol listeners' ports, for the overview's listener list. */
  ports: { readonly [listener: string]: number | undefined } | object;
  /** Set on a cluster's leader: /api/nodes lists the members, Prometheus adds warren_cluster_*. */
  cluster?: ClusterView;
}

const PROTOCOL_NAMES: Record<string, string> = {
  amqp: "amqp",
  mqtt: "mqtt",
  stomp: "stomp",
  webMqtt: "http/web-mqtt",
  webStomp: "http/web-stomp",
  management: "http",
  prometheus: "http/prometheus",
};

/** Starts what is enabled; returns the bound ports and one close for both. */
export async function startOperatorListeners(
  ctx: OperatorListenerContext,
  options: OperatorListenerOptions,
): Promise<{ management?: number; prometheus?: number; close(): Promise<void> }> {
  // a cluster member is named by its --node-name, so each member's name is distinct and stable
  const nodeName = `warren@${ctx.cluster?.status().node ?? process.env.HOSTNAME ?? hostname()}`;
  const cluster = ctx.cluster !== undefined ? { cluster: ctx.cluster } : {};
  const limits = () => ({
    memLimit: ctx.resources.memoryLimit,
    memUsed: ctx.resources.memoryUsed,
    diskFreeLimit: ctx.resources.limits.diskFreeLimit,
  });
  const closers: (() => Promise<void>)[] = [];
  const out: { management?: number; prometheus?: number } = {};
  try {
    if (options.management !== false) {
      const m = options.management;
      const mgmt = await startManagement(
        {
          core: ctx.core,
          nodeName,
          productVersion: ctx.productVersion,
          dataDir: ctx.dataDir,
          limits,
          listeners: () =>
            Object.entries(ctx.ports as Record<string, number | undefined>)
              .filter((e): e is [string, number] => e[1] !== undefined)
              .map(([k, port]) => ({ protocol: PROTOCOL_NAMES[k] ?? k, port, ip_address: m.host ?? "::" })),
          ...cluster,
        },
        { port: m.port, host: m.host },
        { log: ctx.log, ...(m.tls && { tls: m.tls }), ...(m.sampleIntervalMs !== undefined && { sampleIntervalMs: m.sampleIntervalMs }) },
      );
      closers.push(() => mgmt.close());
      out.management = mgmt.port;
      ctx.log.info({ protocol: "http", port: mgmt.port }, `management API and UI listening on port ${mgmt.port}`);
    }
    if (options.prometheus !== false) {
      const p = options.prometheus;
      const prom = await startPrometheus(
        {
          core: ctx.core,
          nodeName,
          productVersion: ctx.productVersion,
          dataDir: ctx.dataDir,
          limits,
          perObject: p.perObject === true,
          ...cluster,
        },
        p,
        ctx.log,
      );
      closers.push(() => prom.close());
      out.prometheus = prom.port;
      ctx.log.info({ protocol: "prometheus", port: prom.port }, `Prometheus metrics listening on port ${prom.port}, path /metrics`);
    }
  } catch (err) {
    await Promise.all(closers.map((c) => c()));
    throw err;
  }
  return { ...out, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}
