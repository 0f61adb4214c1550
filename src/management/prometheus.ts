/**
 * The Prometheus endpoint (RabbitMQ's rabbitmq_prometheus plugin, port 15692): `/metrics`,
 * `/metrics/per-object` and `/metrics/detailed` with RabbitMQ 3.10's family names, types, labels
 * and help texts (prometheus/endpoints.ts), so RabbitMQ's Grafana dashboards and alerts work
 * unchanged. Values are read from the core when scraped, never on the hot path. Warren's own
 * metrics (`warren_*`) come from a prom-client registry appended to `/metrics`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { statfs } from "node:fs/promises";
import { gzip } from "node:zlib";
import { promisify } from "node:util";
import { Counter, Registry } from "prom-client";
import type { Broker } from "../core/index.js";
import type { Logger } from "../server/logger.js";
import { maxFds, openFds } from "./process-stats.js";
import type { NodeReadings } from "./prometheus/collect.js";
import { type Endpoint, render } from "./prometheus/endpoints.js";
import type { ClusterView } from "./cluster-view.js";
import { registerClusterMetrics } from "./cluster-metrics.js";

export interface PrometheusContext {
  readonly core: Broker;
  readonly nodeName: string;
  readonly productVersion: string;
  readonly dataDir: string;
  /** The alarms' limits and the memory the memory alarm last measured (0 before its first check). */
  limits(): { memLimit: number; diskFreeLimit: number; memUsed?: number };
  /** `prometheus.return_per_object_metrics`: `/metrics` serves one sample per object. */
  readonly perObject?: boolean;
  readonly cluster?: ClusterView;
}

const CONTENT_TYPE = "text/plain; version=0.0.4";
const gzipAsync = promisify(gzip);

/**
 * Warren's own metrics, which RabbitMQ has no name for; appended to `/metrics`. Further
 * Warren-only collectors (cluster state) register here.
 */
export function createRegistry(ctx: PrometheusContext): Registry {
  const registry = new Registry();
  const broker = ctx.core;
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
  if (ctx.cluster !== undefined) registerClusterMetrics(registry, ctx.cluster);
  return registry;
}

/** RabbitMQ's socket limit: 90% of the descriptors left after 100 reserved (file_handle_cache's obtain limit). */
export function socketLimit(fdLimit: number): number {
  return Math.max(0, Math.floor((fdLimit - 100) * 0.9));
}

/** Node-wide readings for one scrape. */
async function readings(ctx: PrometheusContext): Promise<NodeReadings> {
  const limits = ctx.limits();
  const fdLimit = maxFds();
  let diskFree: number | undefined;
  try {
    const s = await statfs(ctx.dataDir);
    diskFree = s.bavail * s.bsize;
  } catch {
    diskFree = undefined;
  }
  return {
    openFds: await openFds(),
    maxFds: fdLimit,
    openSockets: ctx.core.connections.size,
    maxSockets: socketLimit(fdLimit),
    // what the memory alarm compares with its limit, so limit - used is the headroom it leaves
    memoryUsed: limits.memUsed !== undefined && limits.memUsed > 0 ? limits.memUsed : process.memoryUsage.rss(),
    memoryLimit: Math.round(limits.memLimit),
    diskFree,
    diskFreeLimit: limits.diskFreeLimit,
    uptimeSeconds: Math.round(process.uptime() * 1000) / 1000,
  };
}

/** The endpoint a path names, or null (404). */
function endpointOf(url: URL): Endpoint | "unknown-registry" | null {
  const path = url.pathname;
  if (path === "/metrics" || path === "/metrics/") return { kind: "metrics" };
  if (path === "/metrics/per-object") return { kind: "per-object" };
  if (path === "/metrics/detailed") {
    const vhosts = url.searchParams.getAll("vhost");
    return { kind: "detailed", families: url.searchParams.getAll("family"), vhosts: vhosts.length === 0 ? null : vhosts };
  }
  if (/^\/metrics\/[^/]+$/.test(path)) return "unknown-registry";
  return null;
}

function accepts(req: IncomingMessage, encoding: string): boolean {
  const h = req.headers["accept-encoding"];
  return typeof h === "string" && h.split(",").some((p) => p.trim().split(";")[0] === encoding && !/;\s*q=0(\.0*)?\s*$/.test(p));
}

/**
 * The request handler for the Prometheus port: the three endpoints, with RabbitMQ's answers to
 * other requests. Loaded by the port's lazy listener (listeners.ts) at the first scrape.
 */
export function prometheusHandler(ctx: PrometheusContext, log: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  const registry = createRegistry(ctx);
  const scrape = { ...ctx, readings: () => readings(ctx), perObjectByDefault: ctx.perObject === true };
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const endpoint = endpointOf(new URL(req.url ?? "/", "http://localhost"));
    if (endpoint === null) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "HEAD, GET, OPTIONS", "content-length": 0 }).end();
      return;
    }
    if (endpoint === "unknown-registry") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Unknown Registry");
      return;
    }
    let text = await render(scrape, endpoint);
    if (endpoint.kind === "metrics") text = text.slice(0, -1) + (await registry.metrics()) + "\n";
    const zipped = accepts(req, "gzip");
    const body = zipped ? await gzipAsync(text) : Buffer.from(text);
    res.writeHead(200, { "content-type": CONTENT_TYPE, "content-encoding": zipped ? "gzip" : "identity", "content-length": body.length });
    res.end(req.method === "HEAD" ? undefined : body);
  };
  return (req, res) => {
    answer(req, res).catch((err: unknown) => {
      log.error({ err }, "Prometheus scrape failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  };
}
