import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp from "amqplib";
import type { RunningBroker } from "warren";
import { startWithManagement } from "./helpers.js";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startWithManagement({ logLevel: "silent" });
});
afterAll(() => broker.close());

/** Scrapes /metrics into name{labels} → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${broker.ports.prometheus}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe("Prometheus /metrics", () => {
  it("exposes RabbitMQ's aggregated metric names with values read from the broker", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("prom-q");
    for (let i = 0; i < 5; i++) ch.sendToQueue("prom-q", Buffer.from("x"));
    await ch.waitForConfirms();
    const got = await ch.get("prom-q", { noAck: false });
    expect(got).not.toBe(false);

    const m = await scrape();
    expect(m.get("rabbitmq_connections")).toBe(1);
    expect(m.get("rabbitmq_channels")).toBe(1);
    expect(m.get("rabbitmq_queues")).toBe(1);
    expect(m.get("rabbitmq_consumers")).toBe(0);
    expect(m.get("rabbitmq_queue_messages_ready")).toBe(4);
    expect(m.get("rabbitmq_queue_messages_unacked")).toBe(1);
    expect(m.get('rabbitmq_global_messages_received_total{protocol="amqp091"}')).toBe(5);
    expect(m.get('rabbitmq_global_messages_confirmed_total{protocol="amqp091"}')).toBe(5);
    expect(m.get('rabbitmq_global_messages_delivered_total{protocol="amqp091"}')).toBe(1);
    expect(m.get('rabbitmq_global_messages_delivered_get_manual_ack_total{protocol="amqp091",queue_type="rabbit_classic_queue"}')).toBe(1);
    expect(m.get("rabbitmq_process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(m.get("rabbitmq_process_open_fds")).toBeGreaterThan(0);
    // the process's soft limit, as RabbitMQ reports it (not a made-up constant)
    const soft = Number(/^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "latin1"))![1]);
    expect(m.get("rabbitmq_process_max_fds")).toBe(soft);
    expect(m.get("rabbitmq_connections_opened_total")).toBe(1);
    await conn.close();
    const after = await scrape();
    expect(after.get("rabbitmq_connections")).toBe(0);
    expect(after.get("rabbitmq_connections_closed_total")).toBe(1);
  });

  it("answers 404 off /metrics", async () => {
    expect((await fetch(`http://127.0.0.1:${broker.ports.prometheus}/other`)).status).toBe(404);
  });
});
