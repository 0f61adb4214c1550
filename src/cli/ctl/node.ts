/**
 * The node commands: status, ping, await_startup and environment, in rabbitmqctl's shapes, read
 * from /api/overview and /api/nodes (what the management API shows of a node; there is no Erlang
 * node to ask, so the management URL stands where rabbitmqctl names the node).
 */
import { InvalidArgumentError } from "commander";
import { apiPath, type Json, ManagementError } from "../management-client.js";
import { plain } from "./columns.js";
import { type CommandFamily, CtlFailure, ExitCode, type Row } from "./kit.js";

const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of seconds");
  return n;
};

const isRow = (v: Json | undefined): v is Row => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: Json | undefined): number => (typeof v === "number" ? v : 0);
/** rabbitmqctl's sizes: gigabytes, four decimals. */
const gb = (bytes: number): string => `${Math.round(bytes / 1e5) / 1e4} gb`;

/** rabbitmqctl's words for a listener's protocol (RabbitMQ.CLI.Core.Listeners.protocol_label). */
const purposes: Record<string, string> = {
  amqp: "AMQP 0-9-1 and AMQP 1.0",
  "amqp/ssl": "AMQP 0-9-1 and AMQP 1.0 over TLS",
  mqtt: "MQTT",
  "mqtt/ssl": "MQTT over TLS",
  stomp: "STOMP",
  "stomp/ssl": "STOMP over TLS",
  http: "HTTP API",
  https: "HTTP API over TLS (HTTPS)",
  "http/web-mqtt": "MQTT over WebSockets",
  "https/web-mqtt": "MQTT over WebSockets and TLS (HTTPS)",
  "http/web-stomp": "STOMP over WebSockets",
  "https/web-stomp": "STOMP over WebSockets and TLS (HTTPS)",
  "http/prometheus": "Prometheus exporter API over HTTP",
  "https/prometheus": "Prometheus exporter API over TLS (HTTPS)",
  clustering: "inter-node and CLI tool communication",
};

export const nodeCommands: CommandFamily = (ctl, kit) => {
  ctl
    .command("status")
    .description("show the node's runtime, alarms, memory, file descriptors, disk space, totals and listeners")
    .action(
      kit.run(async () => {
        const c = kit.client();
        const overview = await c.get<Row>(apiPath("overview"));
        const node = (await c.get<Row[]>(apiPath("nodes")))[0] ?? {};
        const vhosts = await c.get<Row[]>(apiPath("vhosts"));
        const name = plain(overview.node).table;
        const totals = isRow(overview.object_totals) ? overview.object_totals : {};
        const alarms: string[] = [];
        if (node.mem_alarm === true) alarms.push(`Memory alarm on node ${name}`);
        if (node.disk_free_alarm === true) alarms.push(`Free disk space alarm on node ${name}`);
        const listeners = (Array.isArray(overview.listeners) ? overview.listeners : []).filter(isRow).map((l) => ({
          interface: plain(l.ip_address).table,
          node: plain(l.node ?? overview.node).table,
          port: num(l.port),
          protocol: plain(l.protocol).table,
          purpose: purposes[plain(l.protocol).table] ?? plain(l.protocol).table,
        }));
        if (kit.globals().formatter === "json") {
          const status = {
            alarms,
            data_directory: node.db_dir ?? null,
            disk_free: num(node.disk_free),
            disk_free_limit: num(node.disk_free_limit),
            file_descriptors: {
              sockets_used: num(node.sockets_used),
              total_limit: num(node.fd_total),
              total_used: num(node.fd_used),
            },
            listeners,
            memory: { total: { [plain(node.mem_calculation_strategy).table || "allocated"]: num(node.mem_used) } },
            os: process.platform === "linux" ? "Linux" : process.platform,
            pid: Number(node.os_pid ?? 0),
            product_name: overview.product_name ?? null,
            product_version: overview.product_version ?? null,
            rabbitmq_version: overview.rabbitmq_version ?? null,
            totals: {
              connection_count: num(totals.connections),
              queue_count: num(totals.queues),
              virtual_host_count: vhosts.length,
            },
            uptime: Math.round(num(node.uptime) / 1000),
            vm_memory_calculation_strategy: node.mem_calculation_strategy ?? null,
            vm_memory_high_watermark_limit: num(node.mem_limit),
          };
          kit.io.out(JSON.stringify(status) + "\n");
          return;
        }
        kit.info(`Status of node ${name} ...`);
        const lines = [
          "Runtime",
          "",
          `OS PID: ${plain(node.os_pid).table}`,
          `Uptime (seconds): ${Math.round(num(node.uptime) / 1000)}`,
          `RabbitMQ version: ${plain(overview.rabbitmq_version).table}`,
          `Product: ${plain(overview.product_name).table} ${plain(overview.product_version).table}`,
          `Node name: ${name}`,
          "",
          "Data directory",
          "",
          `Node data directory: ${plain(node.db_dir).table}`,
          "",
          "Alarms",
          "",
          ...(alarms.length === 0 ? ["(none)"] : alarms),
          "",
          "Memory",
          "",
          `Total memory used: ${gb(num(node.mem_used))}`,
          `Calculation strategy: ${plain(node.mem_calculation_strategy).table}`,
          `Memory high watermark, computed to: ${gb(num(node.mem_limit))}`,
          "",
          "File Descriptors",
          "",
          `Total: ${num(node.fd_used)}, limit: ${num(node.fd_total)}`,
          `Sockets: ${num(node.sockets_used)}`,
          "",
          "Free Disk Space",
          "",
          `Low free disk space watermark: ${gb(num(node.disk_free_limit))}`,
          `Free disk space: ${gb(num(node.disk_free))}`,
          "",
          "Totals",
          "",
          `Connection count: ${num(totals.connections)}`,
          `Queue count: ${num(totals.queues)}`,
          `Virtual host count: ${vhosts.length}`,
          "",
          "Listeners",
          "",
          ...listeners.map((l) => `Interface: ${l.interface}, port: ${l.port}, protocol: ${l.protocol}, purpose: ${l.purpose}`),
        ];
        kit.io.out(lines.join("\n") + "\n");
      }),
    );

  ctl
    .command("ping")
    .description("check that the broker's management API answers")
    .action(
      kit.run(async () => {
        kit.info(`Will ping ${kit.globals().url}. This only checks that the node's management API answers.`);
        await kit.client().get(apiPath("overview"));
        kit.io.out(kit.globals().formatter === "json" ? '{"message":"Ping succeeded"}\n' : "Ping succeeded\n");
      }),
    );

  ctl
    .command("await_startup")
    .description("wait until the broker answers (exit 69 when it does not within the timeout)")
    .option("-t, --timeout <seconds>", "how long to wait", seconds, 300)
    .action(
      kit.run(async (opts: { timeout: number }) => {
        const deadline = Date.now() + opts.timeout * 1000;
        const c = kit.client();
        for (;;) {
          try {
            const overview = await c.get<Row>(apiPath("overview"));
            if (kit.globals().formatter === "json") kit.io.out(`${JSON.stringify({ node: overview.node ?? null, result: "ok" })}\n`);
            return;
          } catch (err) {
            // only an unreachable node is waited for: a refused login will not get better
            if (!(err instanceof ManagementError && err.status === 0)) throw err;
            if (Date.now() >= deadline) {
              throw new CtlFailure(
                ExitCode.unavailable,
                `the node at ${kit.globals().url} did not start within ${opts.timeout} seconds: ${err.reason}`,
              );
            }
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now()))));
        }
      }),
    );

  ctl
    .command("environment")
    .description("show the node's settings as the management API reports them")
    .action(
      kit.run(async () => {
        const c = kit.client();
        const overview = await c.get<Row>(apiPath("overview"));
        const node = (await c.get<Row[]>(apiPath("nodes")))[0] ?? {};
        const settings: Row = {
          cluster_name: overview.cluster_name ?? null,
          data_directory: node.db_dir ?? null,
          disk_free_limit: node.disk_free_limit ?? null,
          enabled_plugins: node.enabled_plugins ?? [],
          exchange_types: Array.isArray(node.exchange_types) ? node.exchange_types.filter(isRow).map((t) => t.name ?? null) : [],
          auth_mechanisms: Array.isArray(node.auth_mechanisms)
            ? node.auth_mechanisms.filter((m) => isRow(m) && m.enabled !== false).map((m) => (isRow(m) ? (m.name ?? null) : null))
            : [],
          listeners: (Array.isArray(overview.listeners) ? overview.listeners : [])
            .filter(isRow)
            .map((l) => `${plain(l.protocol).table} ${plain(l.ip_address).table}:${plain(l.port).table}`),
          product_name: overview.product_name ?? null,
          product_version: overview.product_version ?? null,
          rates_mode: overview.rates_mode ?? node.rates_mode ?? null,
          vm_memory_calculation_strategy: node.mem_calculation_strategy ?? null,
          vm_memory_high_watermark_limit: node.mem_limit ?? null,
        };
        if (kit.globals().formatter === "json") {
          kit.io.out(JSON.stringify(settings) + "\n");
          return;
        }
        kit.info(`Application environment of node ${plain(overview.node).table} ...`);
        kit.io.out(
          Object.entries(settings)
            .map(([k, v]) => `${k}: ${plain(v).table}`)
            .join("\n") + "\n",
        );
      }),
    );
};
