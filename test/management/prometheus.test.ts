import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";
import { api, startWithManagement } from "./helpers.js";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startWithManagement({ logLevel: "silent" });
});
afterAll(() => broker.close());

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

async function get(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${broker.ports.prometheus}${path}`, init);
}

/** Scrapes a path into name{labels} → value. */
async function scrape(path = "/metrics"): Promise<Map<string, number>> {
  const res = await get(path);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4");
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The `# TYPE` / `# HELP` lines of a path, Warren's own families left out. */
async function families(path: string): Promise<string> {
  const text = await (await get(path)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("# ") && !/^# \w+ warren_/.test(l))
    .map((l) => `${l}\n`)
    .join("");
}

const ALL_FAMILIES = [
  "queue_coarse_metrics",
  "queue_consumer_count",
  "queue_metrics",
  "channel_metrics",
  "channel_exchange_metrics",
  "channel_process_metrics",
  "channel_queue_metrics",
  "connection_coarse_metrics",
  "connection_metrics",
  "channel_queue_exchange_metrics",
  "connection_churn_metrics",
  "node_coarse_metrics",
  "node_metrics",
  "node_persister_metrics",
  "ra_metrics",
  "auth_attempt_metrics",
  "auth_attempt_detailed_metrics",
  "vhost_status",
  "exchange_bindings",
  "exchange_names",
  "nonsense",
];

describe("Prometheus families as RabbitMQ 3.10.8 serves them", () => {
  // the fixtures are RabbitMQ 3.10.8's own output (rabbitmq_prometheus), Erlang VM families left out
  it("/metrics: every family, in RabbitMQ's order, with its type and help text", async () => {
    expect(await families("/metrics")).toBe(fixture("rabbitmq-3.10.8-metrics.families.txt"));
  });
  it("/metrics/per-object", async () => {
    expect(await families("/metrics/per-object")).toBe(fixture("rabbitmq-3.10.8-per-object.families.txt"));
  });
  it("/metrics/detailed with every family named (and one unknown name, ignored)", async () => {
    const q = ALL_FAMILIES.map((f) => `family=${f}`).join("&");
    expect(await families(`/metrics/detailed?${q}`)).toBe(fixture("rabbitmq-3.10.8-detailed-all.families.txt"));
  });
});

describe("Prometheus values", () => {
  it("aggregates queues, channels and the global counters as RabbitMQ does", async () => {
    const before = await scrape();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("prom-q");
    await ch.assertQueue("prom-q");
    for (let i = 0; i < 5; i++) ch.sendToQueue("prom-q", Buffer.from("x"));
    ch.publish("amq.direct", "nowhere", Buffer.from("dropped"));
    await ch.waitForConfirms();
    const got = await ch.get("prom-q", { noAck: false });
    expect(got).not.toBe(false);
    const ch2 = await conn.createChannel();
    await ch2.prefetch(2);
    await ch2.consume("prom-q", () => {});
    const ch3 = await conn.createChannel();
    await ch3.assertQueue("prom-empty");
    expect(await ch3.get("prom-empty", { noAck: true })).toBe(false);

    const m = await scrape();
    expect(m.get("rabbitmq_connections")).toBe(1);
    expect(m.get("rabbitmq_channels")).toBe(3);
    expect(m.get("rabbitmq_queues")).toBe(2);
    expect(m.get("rabbitmq_consumers")).toBe(1);
    expect(m.get("rabbitmq_channel_consumers")).toBe(1);
    expect(m.get("rabbitmq_consumer_prefetch")).toBe(2);
    expect(m.get("rabbitmq_queue_messages_ready")).toBe(2);
    expect(m.get("rabbitmq_queue_messages_unacked")).toBe(3);
    expect(m.get("rabbitmq_queue_messages")).toBe(5);
    expect(m.get("rabbitmq_queue_consumers")).toBe(1);
    expect(m.get("rabbitmq_channel_messages_delivered_ack_total")).toBe(2);
    expect(m.get("rabbitmq_channel_get_empty_total")).toBe(1);
    expect(m.get("rabbitmq_channels_opened_total")! - before.get("rabbitmq_channels_opened_total")!).toBe(3);
    expect(m.get("rabbitmq_channels_closed_total")! - before.get("rabbitmq_channels_closed_total")!).toBe(0);
    expect(m.get("rabbitmq_queues_declared_total")! - before.get("rabbitmq_queues_declared_total")!).toBe(3);
    expect(m.get("rabbitmq_queues_created_total")! - before.get("rabbitmq_queues_created_total")!).toBe(2);
    expect(m.get('rabbitmq_auth_attempts_succeeded_total{protocol="amqp091"}')).toBeGreaterThanOrEqual(1);
    const P = 'protocol="amqp091"';
    const C = `${P},queue_type="rabbit_classic_queue"`;
    expect(
      m.get(`rabbitmq_global_messages_received_total{${P}}`)! - (before.get(`rabbitmq_global_messages_received_total{${P}}`) ?? 0),
    ).toBe(6);
    expect(m.get(`rabbitmq_global_messages_received_confirm_total{${P}}`)).toBe(6);
    expect(m.get(`rabbitmq_global_messages_confirmed_total{${P}}`)).toBe(6);
    expect(m.get(`rabbitmq_global_messages_unroutable_dropped_total{${P}}`)).toBe(1);
    expect(m.get(`rabbitmq_global_messages_delivered_total{${C}}`)).toBe(3);
    expect(m.get(`rabbitmq_global_messages_delivered_total{${P},queue_type="rabbit_quorum_queue"}`)).toBe(0);
    expect(m.get(`rabbitmq_global_messages_delivered_get_manual_ack_total{${C}}`)).toBe(1);
    expect(m.get(`rabbitmq_global_messages_delivered_consume_manual_ack_total{${C}}`)).toBe(2);
    expect(m.get(`rabbitmq_global_messages_get_empty_total{${C}}`)).toBe(1);
    expect(m.get(`rabbitmq_global_consumers{${P}}`)).toBe(1);
    expect(m.get("rabbitmq_process_open_fds")).toBeGreaterThan(0);
    expect(m.get("rabbitmq_process_open_tcp_sockets")).toBe(1);
    // the process's soft limit, as RabbitMQ reports it (not a made-up constant)
    const soft = Number(/^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "latin1"))![1]);
    expect(m.get("rabbitmq_process_max_fds")).toBe(soft);
    expect(m.get("rabbitmq_process_max_tcp_sockets")).toBe(Math.floor((soft - 100) * 0.9));
    expect(m.get("rabbitmq_process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(m.get("rabbitmq_resident_memory_limit_bytes")).toBeGreaterThan(m.get("rabbitmq_process_resident_memory_bytes")!);
    expect(m.get("rabbitmq_alarms_memory_used_watermark")).toBe(0);
    expect([...m.keys()].filter((k) => k.startsWith("rabbitmq_identity_info{"))).toHaveLength(1);

    // per object: one series per queue, channel and channel × exchange / queue
    const o = await scrape("/metrics/per-object");
    expect(o.get('rabbitmq_queue_messages_ready{vhost="/",queue="prom-q"}')).toBe(2);
    expect(o.get('rabbitmq_queue_head_message_timestamp{vhost="/",queue="prom-q"}')).toBeNaN();
    const published = [...o].filter(([k]) => k.startsWith("rabbitmq_channel_messages_published_total{"));
    expect(published.map(([k, v]) => [k.replace(/channel="<0\.\d+\.(\d+)>"/, 'channel="$1"'), v])).toEqual([
      ['rabbitmq_channel_messages_published_total{channel="1",vhost="/",exchange=""}', 5],
      ['rabbitmq_channel_messages_published_total{channel="1",vhost="/",exchange="amq.direct"}', 1],
    ]);
    const confirmedLabels = [...o].filter(([k]) => k.startsWith("rabbitmq_channel_messages_confirmed_total{")).map(([, v]) => v);
    expect(confirmedLabels).toEqual([5, 1]);
    // a row per channel × queue the channel took from, as RabbitMQ keeps them
    const delivered = [...o].filter(([k]) => k.startsWith("rabbitmq_channel_messages_delivered_ack_total{"));
    expect(delivered.map(([k, v]) => [k.replace(/channel="<0\.\d+\.(\d+)>"/, 'channel="$1"'), v])).toEqual([
      ['rabbitmq_channel_messages_delivered_ack_total{channel="1",vhost="/",queue="prom-q"}', 0],
      ['rabbitmq_channel_messages_delivered_ack_total{channel="2",vhost="/",queue="prom-q"}', 2],
      ['rabbitmq_channel_messages_delivered_ack_total{channel="3",vhost="/",queue="prom-empty"}', 0],
    ]);
    expect([...o.keys()].filter((k) => k.startsWith('rabbitmq_connection_incoming_bytes_total{channel="<0.'))).toHaveLength(1);

    await conn.close();
    const after = await scrape();
    expect(after.get("rabbitmq_connections")).toBe(0);
    expect(after.get("rabbitmq_channels")).toBe(0);
    expect(after.get("rabbitmq_channels_closed_total")! - before.get("rabbitmq_channels_closed_total")!).toBe(3);
    expect(after.get("rabbitmq_connections_closed_total")! - (before.get("rabbitmq_connections_closed_total") ?? 0)).toBe(1);
    // the channels are gone, and with them their rows (RabbitMQ sums live channels only)
    expect(after.get("rabbitmq_channel_messages_published_total")).toBe(0);
    expect(after.get("rabbitmq_channel_messages_delivered_ack_total")).toBe(0);
  });

  it("/metrics/detailed serves only the families named, queue families for the vhosts named", async () => {
    const res = await get("/metrics/detailed?family=queue_coarse_metrics&family=exchange_names&vhost=%2F");
    const text = await res.text();
    expect(text).toMatch(/^rabbitmq_detailed_queue_messages_ready\{vhost="\/",queue="prom-q"\} \d+$/m);
    expect(text).toMatch(/^rabbitmq_cluster_exchange_name\{vhost="\/",exchange="amq\.direct",type="direct"\} 1$/m);
    expect(text).not.toMatch(/exchange=""/);
    expect(text).not.toMatch(/^rabbitmq_detailed_channel/m);
    expect(text).toMatch(/^rabbitmq_identity_info\{/m);
    // a vhost that does not exist filters every queue out; the families are still announced
    const none = await (await get("/metrics/detailed?family=queue_coarse_metrics&vhost=nowhere")).text();
    expect(none).toContain("# TYPE rabbitmq_detailed_queue_messages_ready gauge\n");
    expect(none).not.toMatch(/^rabbitmq_detailed_queue_messages_ready/m);
    // no family: identity only
    const bare = await (await get("/metrics/detailed")).text();
    expect(bare.split("\n").filter((l) => l !== "" && !l.startsWith("#"))).toHaveLength(2);
  });
});

describe("queue churn", () => {
  it("counts clients' declares, not queues a definitions import creates (RabbitMQ counts channel declares)", async () => {
    const before = await scrape();
    const res = await api(broker, "POST", "/api/definitions", {
      queues: [{ name: "imported-q", vhost: "/", durable: true, auto_delete: false, arguments: {} }],
    });
    expect(res.status).toBeLessThan(300);
    const after = await scrape();
    expect(after.get("rabbitmq_queues")).toBe(before.get("rabbitmq_queues")! + 1);
    expect(after.get("rabbitmq_queues_created_total")).toBe(before.get("rabbitmq_queues_created_total"));
    expect(after.get("rabbitmq_queues_declared_total")).toBe(before.get("rabbitmq_queues_declared_total"));
  });
});

describe("prometheus.return_per_object_metrics", () => {
  it("makes /metrics serve one sample per object, as RabbitMQ does with it set", async () => {
    const b = await startBroker({ amqp: { port: 0 }, prometheus: { port: 0 }, prometheusPerObject: true, logLevel: "silent" });
    try {
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.ports.amqp}`);
      await (await conn.createChannel()).assertQueue("per-object-q");
      const text = await (await fetch(`http://127.0.0.1:${b.ports.prometheus}/metrics`)).text();
      expect(text).toMatch(/^rabbitmq_queue_messages_ready\{vhost="\/",queue="per-object-q"\} 0$/m);
      expect(text).toMatch(/^rabbitmq_channel_consumers\{channel="<0\.\d+\.1>"\} 0$/m);
      expect(text).toMatch(/^rabbitmq_alarms_memory_used_watermark 0$/m);
      await conn.close();
    } finally {
      await b.close();
    }
  });
});

describe("Prometheus HTTP", () => {
  it("answers 404 off /metrics, and RabbitMQ's 'Unknown Registry' for another registry", async () => {
    expect((await get("/other")).status).toBe(404);
    const r = await get("/metrics/nope");
    expect(r.status).toBe(404);
    expect(await r.text()).toBe("Unknown Registry");
  });
  it("refuses other methods with 405 and gzips when asked", async () => {
    const post = await get("/metrics", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("HEAD, GET, OPTIONS");
    const { request } = await import("node:http");
    const raw = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      request({ port: broker.ports.prometheus, path: "/metrics", headers: { "accept-encoding": "gzip" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ enc: res.headers["content-encoding"], body: Buffer.concat(chunks) }));
      })
        .on("error", reject)
        .end();
    });
    expect(raw.enc).toBe("gzip");
    expect(gunzipSync(raw.body).toString()).toContain("# TYPE rabbitmq_identity_info untyped\n");
    expect((await get("/metrics", { headers: { "accept-encoding": "identity" } })).headers.get("content-encoding")).toBe("identity");
  });
});
