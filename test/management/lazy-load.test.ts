// The management API (fastify) and the Prometheus endpoint (prom-client) are loaded when their
// listener's first request arrives, not at start (src/management/lazy-http.ts): the broker's idle
// footprint without them is ~40 MB smaller (bench/footprint.mjs). What a client sees must not
// change: the port accepts from the start and the first request gets the full answer.
import { afterEach, describe, expect, it, vi } from "vitest";
import { startBroker, type RunningBroker } from "warren";
import { api } from "./helpers.js";

const loaded = vi.hoisted(() => ({ fastify: 0, promClient: 0 }));

// each factory runs when the module is first imported by the broker's code
vi.mock("fastify", async (importOriginal) => {
  loaded.fastify++;
  return importOriginal();
});
vi.mock("prom-client", async (importOriginal) => {
  loaded.promClient++;
  return importOriginal();
});

let broker: RunningBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const start = () => startBroker({ amqp: { port: 0 }, management: { port: 0, sampleInterval: 50 }, prometheus: { port: 0 } });

describe("management and Prometheus, loaded on first use", () => {
  it("bind at start but load fastify at the first management request, which gets the full answer", async () => {
    broker = await start();
    expect(broker.ports.management).toBeGreaterThan(0);
    expect(loaded.fastify).toBe(0);
    expect(loaded.promClient).toBe(0);

    // several requests racing the load: each is answered once the app is ready
    const [overview, vhosts, noAuth] = await Promise.all([
      api(broker, "GET", "/api/overview"),
      api(broker, "GET", "/api/vhosts"),
      api(broker, "GET", "/api/overview", undefined, null),
    ]);
    expect(overview.status).toBe(200);
    expect(overview.json).toMatchObject({ management_version: "3.10.8", product_name: "Warren" });
    expect(vhosts.status).toBe(200);
    expect(vhosts.json.map((v: { name: string }) => v.name)).toContain("/");
    expect(noAuth.status).toBe(401);
    expect(loaded.fastify).toBe(1);
    // Prometheus is a listener of its own: still not loaded
    expect(loaded.promClient).toBe(0);

    // the UI is served by the same app
    const page = await fetch(`http://127.0.0.1:${broker.ports.management}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Warren Management</title>");
  });

  it("load prom-client at the first scrape, which gets RabbitMQ's families and Warren's own", async () => {
    broker = await start();
    const res = await fetch(`http://127.0.0.1:${broker.ports.prometheus}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("# TYPE rabbitmq_connections gauge");
    expect(text).toContain("warren_connections_handshake_timeout_total");
    expect(loaded.promClient).toBe(1);
    // a second scrape goes straight to the loaded handler
    expect((await fetch(`http://127.0.0.1:${broker.ports.prometheus}/metrics/unknown`)).status).toBe(404);
  });

  it("close before any request, and while the first one is loading", async () => {
    broker = await start();
    await broker.close();
    broker = await start();
    const pending = fetch(`http://127.0.0.1:${broker.ports.management}/api/overview`).catch((err: unknown) => err);
    await broker.close();
    await pending;
  });
});
