/**
 * A real Prometheus (Debian's `prometheus`) scrapes an embedded Warren: every series RabbitMQ
 * 3.10.8's own "RabbitMQ-Overview" Grafana dashboard reads must return data in the shape its
 * panels query it (./rabbitmq-overview-series.ts), and every query of Warren's dashboard
 * (docs/grafana/) exactly as written — template variables resolved the way Grafana resolves them
 * (label_values through Prometheus' series API).
 * Run by `npm run test:monitoring` (.ci/run installs the package); fails without the binary.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { panelQueries, parseLabelValues, substitute, templateQueries } from "./dashboard-queries.js";
import { OVERVIEW_SERIES, OVERVIEW_VARIABLES, overviewQuery } from "./rabbitmq-overview-series.js";

const PROMETHEUS = process.env.WARREN_PROMETHEUS_BIN ?? "prometheus";

let broker: RunningBroker;
let prom: ChildProcess | undefined;
let promLog = "";
let dir: string;
let promUrl: string;
let conn: amqp.ChannelModel | undefined;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function promApi<T>(path: string): Promise<T> {
  const res = await fetch(`${promUrl}${path}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`${path}: ${body.error}`);
  return body.data;
}

const query = (q: string) => promApi<{ result: { metric: Record<string, string> }[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`);

/** Grafana's label_values(selector, label), through the series API; no value gives "". */
async function labelValues(selector: string | null, label: string): Promise<string> {
  const match = selector ?? `{${label}!=""}`;
  const series = await promApi<Record<string, string>[]>(`/api/v1/series?match[]=${encodeURIComponent(match)}`);
  return [...new Set(series.map((s) => s[label]).filter((v) => v !== undefined))].sort()[0] ?? "";
}

beforeAll(async () => {
  const version = spawnSync(PROMETHEUS, ["--version"], { encoding: "utf8" });
  if (version.error) throw new Error(`no Prometheus binary (${PROMETHEUS}): install Debian's prometheus package (.ci/run does)`);
  broker = await startBroker({ amqp: { port: 0 }, prometheus: { port: 0, host: "127.0.0.1" }, logLevel: "silent" });
  // traffic, so that rates have something to show (the queries must answer even without)
  conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue("dash-q");
  await (await conn.createChannel()).consume("dash-q", () => {}, { noAck: true });
  for (let i = 0; i < 10; i++) ch.sendToQueue("dash-q", Buffer.from(`m${i}`));
  await ch.waitForConfirms();

  dir = await mkdtemp(join(tmpdir(), "warren-prometheus-"));
  const port = Number(process.env.WARREN_PROMETHEUS_TEST_PORT ?? (await freePort()));
  promUrl = `http://127.0.0.1:${port}`;
  const config = `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: warren\n    static_configs:\n      - targets: ['127.0.0.1:${broker.ports.prometheus}']\n`;
  await writeFile(join(dir, "prometheus.yml"), config);
  prom = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  prom.stderr!.on("data", (c: Buffer) => (promLog = (promLog + c.toString()).slice(-4000)));
  prom.stdout!.on("data", (c: Buffer) => (promLog = (promLog + c.toString()).slice(-4000)));
  // three scrapes, so that rate(…[60s]) has samples to work with
  const deadline = Date.now() + 90_000;
  for (;;) {
    const got = await query("count_over_time(rabbitmq_identity_info[60s])").catch(() => null);
    if (got !== null && got.result.length > 0 && Number((got.result[0] as unknown as { value: [number, string] }).value[1]) >= 3) break;
    if (prom.exitCode !== null || Date.now() > deadline) throw new Error(`Prometheus did not scrape Warren:\n${promLog}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

afterAll(async () => {
  prom?.kill("SIGTERM");
  if (prom && prom.exitCode === null) await new Promise((resolve) => prom!.once("exit", resolve));
  await conn?.close();
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Resolves template variables in order (a later one's query may use an earlier one). */
async function resolveVariables(variables: Iterable<[string, string]>): Promise<Map<string, string>> {
  const vars = new Map<string, string>();
  for (const [name, q] of variables) {
    const parsed = parseLabelValues(substitute(q, vars));
    expect(parsed, `${name}: ${q}`).not.toBeNull();
    vars.set(name, await labelValues(parsed![0], parsed![1]));
  }
  return vars;
}

/** The queries that answer no series, as "what: query". */
async function emptyOnes(queries: { what: string; expr: string }[], vars: ReadonlyMap<string, string>): Promise<string[]> {
  const empty: string[] = [];
  for (const { what, expr } of queries) {
    const q = substitute(expr, vars);
    if ((await query(q)).result.length === 0) empty.push(`${what}: ${q}`);
  }
  return empty;
}

async function checkDashboard(file: string): Promise<void> {
  const dashboard = JSON.parse(await readFile(new URL(`../../docs/grafana/${file}`, import.meta.url), "utf8"));
  const vars = await resolveVariables(templateQueries(dashboard));
  if (templateQueries(dashboard).has("rabbitmq_cluster")) expect(vars.get("rabbitmq_cluster")).toMatch(/^warren@/);
  const queries = panelQueries(dashboard);
  expect(queries.length).toBeGreaterThan(10);
  expect(
    await emptyOnes(
      queries.map((q) => ({ what: q.panel, expr: q.expr })),
      vars,
    ),
  ).toEqual([]);
}

describe("Grafana dashboards against a real Prometheus scraping Warren", () => {
  it("the compose profile's prometheus.yml passes promtool's check", () => {
    const r = spawnSync(
      "promtool",
      ["check", "config", fileURLToPath(new URL("../../docker/monitoring/prometheus.yml", import.meta.url))],
      {
        encoding: "utf8",
      },
    );
    expect(r.error).toBeUndefined();
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
  it("every series RabbitMQ 3.10.8's RabbitMQ-Overview dashboard reads returns data, joined as its panels join it", async () => {
    const vars = await resolveVariables(OVERVIEW_VARIABLES.map((v) => [v.name, v.query]));
    expect(vars.get("rabbitmq_cluster")).toMatch(/^warren@/);
    const queries = Object.entries(OVERVIEW_SERIES).map(([series, use]) => ({ what: series, expr: overviewQuery(series, use) }));
    expect(await emptyOnes(queries, vars)).toEqual([]);
  });
  it("every query of Warren's own dashboard returns series", async () => {
    await checkDashboard("warren-overview.json");
  });
});
