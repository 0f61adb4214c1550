/**
 * What RabbitMQ 3.10's three Prometheus endpoints serve, family by family:
 *
 * - `/metrics`: process start time, alarms, every core group summed over its objects (or per
 *   object with `prometheus.return_per_object_metrics = true`), the totals, identity, global
 *   counters;
 * - `/metrics/per-object`: the core groups one sample per object (queue, channel, connection…),
 *   totals, identity, global counters;
 * - `/metrics/detailed?family=…&vhost=…`: only the groups named, per object and prefixed
 *   `rabbitmq_detailed_` (the cluster-wide ones `rabbitmq_cluster_`), queue groups limited to
 *   the vhosts named, then identity. No `family` gives identity only; unknown names are ignored.
 */
import type { Broker } from "../../core/index.js";
import { aggregatedRows, groupRows, type NodeReadings, Snapshot } from "./collect.js";
import { CLUSTER_GROUPS, CORE_GROUPS, type CoreGroup, TOTALS } from "./families.js";
import { writeGlobalCounters } from "./global.js";
import { escapeLabel, labels, TextWriter } from "./text.js";

export interface ScrapeContext {
  readonly core: Broker;
  readonly nodeName: string;
  readonly productVersion: string;
  /** Node-wide readings (descriptors, memory, disk) taken at scrape time. */
  readings(): Promise<NodeReadings>;
  /** `prometheus.return_per_object_metrics`: `/metrics` serves per-object samples. */
  readonly perObjectByDefault?: boolean;
}

export type Endpoint =
  | { readonly kind: "metrics" }
  | { readonly kind: "per-object" }
  | { readonly kind: "detailed"; readonly families: readonly string[]; readonly vhosts: readonly string[] | null };

const START_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

export async function render(ctx: ScrapeContext, endpoint: Endpoint): Promise<string> {
  const s = new Snapshot(ctx.core, await ctx.readings());
  const w = new TextWriter();
  if (endpoint.kind === "detailed") {
    const wanted = new Set(endpoint.families);
    // a vhost filter names existing vhosts only (RabbitMQ drops unknown ones; none left = no queue)
    const vhosts = endpoint.vhosts === null ? null : new Set(endpoint.vhosts.filter((v) => !(ctx.core.vhost(v) instanceof Error)));
    const groups = CORE_GROUPS.filter((g) => wanted.has(g.table) && !exclusive(g, wanted));
    for (const g of groups) writeGroup(w, "rabbitmq_detailed_", g, groupRows(g.table, s, vhosts));
    for (const g of CLUSTER_GROUPS) {
      if (!wanted.has(g.table)) continue;
      const name = `rabbitmq_cluster_${g.metric.name}`;
      w.family(name, g.metric.type, g.metric.help);
      for (const [l, v] of clusterRows(ctx.core, g.table)) w.sample(name, l, v);
    }
    writeIdentity(w, ctx);
    return w.finish();
  }
  const perObject = endpoint.kind === "per-object" || ctx.perObjectByDefault === true;
  if (endpoint.kind === "metrics") {
    w.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    w.sample("process_start_time_seconds", "", START_SECONDS);
    writeAlarms(w, ctx.core);
  }
  const all = new Set(CORE_GROUPS.map((g) => g.table));
  for (const g of CORE_GROUPS) {
    if (exclusive(g, all)) continue;
    // the detailed auth attempts repeat the plain ones at more cost: RabbitMQ skips them unless per object
    if (g.table === "auth_attempt_detailed_metrics" && !perObject) continue;
    writeGroup(w, "rabbitmq_", g, perObject ? groupRows(g.table, s, null) : aggregatedRows(g, s));
  }
  let consumers = 0;
  let queues = 0;
  for (const [, q] of s.queues(null)) {
    consumers += q.consumerCount;
    queues++;
  }
  const channels = s.channels;
  const totals = [ctx.core.connections.size, channels.length, consumers, queues];
  TOTALS.forEach((t, i) => {
    w.family(t.name, t.type, t.help);
    w.sample(t.name, "", totals[i]);
  });
  writeIdentity(w, ctx);
  writeGlobalCounters(w, {
    counters: ctx.core.counters,
    consumers,
    publishers: channels.reduce((n, c) => n + (c.ch.publish > 0 ? 1 : 0), 0),
  });
  return w.finish();
}

/** `queue_consumer_count` is a subset of `queue_metrics`: RabbitMQ serves it only without the latter. */
function exclusive(g: CoreGroup, tables: ReadonlySet<string>): boolean {
  return g.table === "queue_consumer_count" && tables.has("queue_metrics");
}

function writeGroup(
  w: TextWriter,
  prefix: string,
  g: CoreGroup,
  rows: readonly { labels: string; values: Record<string, number | undefined> }[],
): void {
  for (const m of g.metrics) {
    const name = prefix + m.name;
    w.family(name, m.type, m.help);
    for (const r of rows) w.sample(name, r.labels, r.values[m.key]);
  }
}

function writeAlarms(w: TextWriter, core: Broker): void {
  const alarm = (name: string, help: string, on: boolean) => {
    w.family(name, "untyped", help);
    w.sample(name, "", on ? 1 : 0);
  };
  // Warren raises no file descriptor alarm (its store bounds its own descriptors)
  alarm("rabbitmq_alarms_file_descriptor_limit", "is 1 if file descriptor limit alarm is in effect", false);
  alarm("rabbitmq_alarms_free_disk_space_watermark", "is 1 if free disk space watermark alarm is in effect", core.alarms.isSet("disk"));
  alarm("rabbitmq_alarms_memory_used_watermark", "is 1 if VM memory watermark alarm is in effect", core.alarms.isSet("memory"));
}

/** The cluster name: `cluster_name` as set (rabbitmqctl set_cluster_name, definitions), else the node's name. */
export function clusterName(core: Broker, nodeName: string): string {
  const v = core.parameters.global("cluster_name");
  return typeof v === "string" ? v : nodeName;
}

function writeIdentity(w: TextWriter, ctx: ScrapeContext): void {
  w.family("rabbitmq_build_info", "untyped", "RabbitMQ & Erlang/OTP version info");
  w.sample(
    "rabbitmq_build_info",
    labels({
      product_name: "Warren",
      product_version: ctx.productVersion,
      rabbitmq_version: "3.10.8",
      prometheus_plugin_version: "3.10.8",
      node_version: process.version,
    }),
    1,
  );
  w.family("rabbitmq_identity_info", "untyped", "RabbitMQ node & cluster identity info");
  const id = ctx.core.parameters.global("internal_cluster_id");
  w.sample(
    "rabbitmq_identity_info",
    labels({
      rabbitmq_node: ctx.nodeName,
      rabbitmq_cluster: clusterName(ctx.core, ctx.nodeName),
      ...(typeof id === "string" && { rabbitmq_cluster_permanent_id: id }),
    }),
    1,
  );
}

/** vhost_status, exchange_bindings, exchange_names: every vhost / every non-internal named exchange. */
function clusterRows(core: Broker, table: string): [string, number][] {
  const out: [string, number][] = [];
  for (const v of core.listVhosts()) {
    const vhost = escapeLabel(v.name);
    if (table === "vhost_status") {
      out.push([`vhost="${vhost}"`, 1]);
      continue;
    }
    for (const x of v.exchanges.values()) {
      if (x.internal || x.name === "") continue;
      const l = `vhost="${vhost}",exchange="${escapeLabel(x.name)}",type="${escapeLabel(x.type)}"`;
      out.push([l, table === "exchange_bindings" ? x.bindings.size : 1]);
    }
  }
  return out;
}
