/**
 * Starts the operator-facing listeners — management (API + UI) and Prometheus — beside the
 * protocol listeners. Each binds its port at start but loads what serves it (fastify, the API's
 * routes and schemas, the UI; prom-client and the metric families) only when its first request
 * arrives (lazy-http.ts): most brokers are never browsed, and those that are pay it once. Only
 * the rate sampler runs from the start, so the first request sees rates as if it had all along.
 */
import { hostname } from "node:os";
import type { Broker } from "../core/index.js";
import type { Logger } from "../server/logger.js";
import type { ResourceMonitor } from "../server/resource-monitor.js";
import { listenOn } from "../transport/listen.js";
import type { ClusterView } from "./cluster-view.js";
import { lazyHttpServer } from "./lazy-http.js";
import { DEFAULT_SAMPLE_INTERVAL_MS, RateSampler } from "./rates.js";
import type { ManagementContext, ManagementTlsOptions } from "./server.js";

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
      const log = ctx.log;
      const mctx: ManagementContext = {
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
      };
      const rates = new RateSampler(ctx.core, m.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
      const lazy = lazyHttpServer(
        "management API",
        async (server) => {
          const { createManagementServer } = await import("./server.js");
          const { app, handler } = createManagementServer(mctx, server, { log, rates });
          await app.ready();
          return { handle: handler, close: () => app.close() };
        },
        log,
        m.tls,
        (server) => {
          // fastify's defaults, which its own server would have had: keep-alive 72 s, no request timeout
          server.keepAliveTimeout = 72_000;
          server.requestTimeout = 0;
        },
      );
      closers.push(async () => {
        rates.stop();
        await lazy.close();
      });
      // bound like every other listener (all interfaces unless a host is given)
      out.management = await listenOn(lazy.listener, m.port, m.host, log);
      rates.start();
      ctx.log.info({ protocol: "http", port: out.management }, `management API and UI listening on port ${out.management}`);
    }
    if (options.prometheus !== false) {
      const p = options.prometheus;
      const pctx = {
        core: ctx.core,
        nodeName,
        productVersion: ctx.productVersion,
        dataDir: ctx.dataDir,
        limits,
        perObject: p.perObject === true,
        ...cluster,
      };
      const lazy = lazyHttpServer(
        "Prometheus metrics",
        async () => {
          const { prometheusHandler } = await import("./prometheus.js");
          return { handle: prometheusHandler(pctx, ctx.log), close: async () => {} };
        },
        ctx.log,
      );
      closers.push(() => lazy.close());
      out.prometheus = await listenOn(lazy.listener, p.port, p.host, ctx.log);
      ctx.log.info(
        { protocol: "prometheus", port: out.prometheus },
        `Prometheus metrics listening on port ${out.prometheus}, path /metrics`,
      );
    }
  } catch (err) {
    await Promise.all(closers.map((c) => c()));
    throw err;
  }
  return { ...out, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}
