import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import type { RunningBroker } from "warren";
import { connectClient, nextMessages, startMqttBroker } from "./helpers.js";

let dir: string;
let broker: RunningBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningBroker> {
  broker = await startMqttBroker({ dataDir: dir });
  return broker;
}
async function restart(): Promise<RunningBroker> {
  await broker?.close();
  return start();
}

/** Connects with the message listener attached before CONNACK: queued messages follow it at once. */
function connectCollecting(b: RunningBroker, n: number, opts: mqtt.IClientOptions) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${b.ports.mqtt}`, { reconnectPeriod: 0, ...opts });
  const messages = nextMessages(client, n);
  const connack = new Promise<mqtt.IConnackPacket>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  return { client, messages, connack };
}

describe("MQTT state across a broker restart on the same data dir", () => {
  it("keeps retained messages, and an empty retained publish still clears one", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-mqtt-restart-"));
    const b = await start();
    const pub = await connectClient(b);
    await pub.publishAsync("r/kept", "kept", { qos: 1, retain: true });
    await pub.publishAsync("r/gone", "gone", { qos: 1, retain: true });
    await pub.publishAsync("r/gone", "", { qos: 1, retain: true });
    await pub.publishAsync("r/v5", "with props", { qos: 0, retain: true });
    await pub.endAsync();
    const b2 = await restart();
    const sub = await connectClient(b2);
    const got = nextMessages(sub, 2);
    await sub.subscribeAsync("r/#", { qos: 1 });
    const msgs = (await got).map((m) => [m.topic, m.payload, m.packet.retain]).sort();
    expect(msgs).toEqual([
      ["r/kept", "kept", true],
      ["r/v5", "with props", true],
    ]);
    await sub.endAsync();
  });

  it("keeps a v5 retained message's properties", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-mqtt-restart-"));
    const b = await start();
    const pub = await connectClient(b, { protocolVersion: 5 });
    await pub.publishAsync("p/x", "x", {
      qos: 1,
      retain: true,
      properties: { contentType: "text/plain", correlationData: Buffer.from([1, 2, 3]), userProperties: { a: "b" } },
    });
    await pub.endAsync();
    const b2 = await restart();
    const sub = await connectClient(b2, { protocolVersion: 5 });
    const got = nextMessages(sub, 1);
    await sub.subscribeAsync("p/x", { qos: 1 });
    const p = (await got)[0]!.packet.properties!;
    expect(p.contentType).toBe("text/plain");
    expect(Buffer.from(p.correlationData!)).toEqual(Buffer.from([1, 2, 3]));
    expect(p.userProperties).toEqual({ a: "b" });
    await sub.endAsync();
  });

  it("keeps a persistent session's subscriptions and its queued QoS 1 messages", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-mqtt-restart-"));
    const b = await start();
    const first = await connectClient(b, { clientId: "keeper", clean: false });
    await first.subscribeAsync("s/t", { qos: 1 });
    await first.endAsync();
    const pub = await connectClient(b);
    for (const n of ["1", "2"]) await pub.publishAsync("s/t", n, { qos: 1 });
    await pub.endAsync();

    const b2 = await restart();
    const { client, messages, connack } = connectCollecting(b2, 3, { clientId: "keeper", clean: false });
    expect((await connack).sessionPresent).toBe(true);
    // the subscription is back without a SUBSCRIBE: a message published after the restart arrives too
    const pub2 = await connectClient(b2);
    await pub2.publishAsync("s/t", "3", { qos: 1 });
    expect((await messages).map((m) => m.payload)).toEqual(["1", "2", "3"]);
    await pub2.endAsync();
    await client.endAsync();
  });

  it("ends a v5 session whose expiry interval passes while the broker is down", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-mqtt-restart-"));
    const b = await start();
    const first = await connectClient(b, { clientId: "short", protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 1 } });
    await first.subscribeAsync("e/t", { qos: 1 });
    await first.endAsync();
    await broker!.close();
    broker = null;
    // the interval runs while the broker is down: wait it out, bounded
    const until = Date.now() + 1100;
    while (Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const b2 = await start();
    const { client: again, connack } = connectCollecting(b2, 1, {
      clientId: "short",
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 1 },
    });
    // the expired session left nothing: not present, and its queue is gone
    expect((await connack).sessionPresent).toBe(false);
    const vhost = b2.core.vhost("/") as { queues: Map<string, unknown> };
    expect(vhost.queues.has("mqtt-subscription-shortqos1")).toBe(false);
    await again.endAsync();
  });
});
