import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { Broker, ManualClock, MAX_TIMER_MS, systemClock } from "../../src/core/index.js";
import { createLogger } from "../../src/server/logger.js";
import { MqttServer } from "../../protocols/mqtt/server.js";
import { nextMessages } from "./helpers.js";
import { watchTimerOverflows } from "../helpers/timer-overflows.js";

// MQTT 5 intervals are 32-bit seconds: anything from 2,147,484 s (24.9 days) up is past setTimeout's
// limit. On the broker's injected clock they must wait their full length; on the real clock they
// must not make Node warn (it would fire them after 1 ms).
const v5 = { protocolVersion: 5 as const };
const FOREVER_ISH = 999_999_999; // s, a common "keep it" session expiry

const overflows = watchTimerOverflows();

function startOn(clock: ManualClock | typeof systemClock) {
  const broker = new Broker({ clock });
  const server = new MqttServer(broker, createLogger("silent"));
  return { broker, server };
}

let clock: ManualClock;
let broker: Broker;
let server: MqttServer;
let port: number;
beforeAll(async () => {
  clock = new ManualClock(Date.now());
  ({ broker, server } = startOn(clock));
  port = await server.listen(0, "127.0.0.1");
});
afterAll(() => server.close());

const connect = (options: IClientOptions): Promise<MqttClient> =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
const queues = () => {
  const v = broker.vhost("/");
  if (!("queues" in v)) throw new Error("no vhost");
  return v.queues;
};
/** Waits until the broker has noticed that the session's client went. */
const detached = (clientId: string) =>
  vi.waitFor(() => expect(server.sessions.get(`/\u0000${clientId}`)?.link).toBeNull(), { timeout: 4000, interval: 5 });

describe("MQTT 5 intervals past 2^31-1 ms", () => {
  it("a session expiry of 999,999,999 s set on DISCONNECT keeps the session that long", async () => {
    const c = await connect({ ...v5, clientId: "long-exp", clean: false, properties: { sessionExpiryInterval: 60 } });
    await c.subscribeAsync("long/t", { qos: 1 });
    await c.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: FOREVER_ISH } });
    await detached("long-exp");
    clock.advance(MAX_TIMER_MS + 1000);
    const back = await connect({ ...v5, clientId: "long-exp", clean: false, properties: { sessionExpiryInterval: FOREVER_ISH } });
    // the reconnect took real time, in which an overflowed timer (1 ms) would have ended the session
    expect(back.connected).toBe(true);
    expect(queues().has("mqtt-subscription-long-expqos1")).toBe(true);
    await back.endAsync();
    await detached("long-exp");
    clock.advance(FOREVER_ISH * 1000 - 1000);
    expect(queues().has("mqtt-subscription-long-expqos1")).toBe(true);
    clock.advance(1000);
    expect(queues().has("mqtt-subscription-long-expqos1")).toBe(false);
  });

  it("sessionPresent is reported after more than 24.9 days away", async () => {
    const c = await connect({ ...v5, clientId: "long-present", clean: false, properties: { sessionExpiryInterval: 3_000_000 } });
    await c.subscribeAsync("present/t", { qos: 1 });
    await c.endAsync();
    await detached("long-present");
    clock.advance(2_999_999_000);
    const back = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      ...v5,
      clientId: "long-present",
      clean: false,
      reconnectPeriod: 0,
      properties: { sessionExpiryInterval: 0 },
    });
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => back.once("connect", resolve));
    expect(connack.sessionPresent).toBe(true);
    await back.endAsync();
  });

  it("a will delay of 3,000,000 s waits that long", async () => {
    const watcher = await connect({ clientId: "long-will-watch" });
    await watcher.subscribeAsync("lw/#", { qos: 0 });
    const got = nextMessages(watcher, 2);
    const c = await connect({
      ...v5,
      clientId: "long-will",
      clean: false,
      properties: { sessionExpiryInterval: FOREVER_ISH },
      will: { topic: "lw/will", payload: Buffer.from("gone"), qos: 0, retain: false, properties: { willDelayInterval: 3_000_000 } },
    });
    c.stream.destroy();
    await detached("long-will");
    clock.advance(MAX_TIMER_MS + 1000);
    const pub = await connect({ clientId: "long-will-pub" });
    await pub.publishAsync("lw/marker", "marker", { qos: 1 });
    clock.advance(3_000_000_000 - MAX_TIMER_MS - 1000);
    // the marker first: the will waited its full delay
    expect((await got).map((m) => m.topic)).toEqual(["lw/marker", "lw/will"]);
    await Promise.all([watcher.endAsync(), pub.endAsync()]);
    c.end(true);
  });

  it("a message expiry interval of 3,000,000 s keeps a queued message that long, counting down", async () => {
    const c = await connect({ ...v5, clientId: "long-msg", clean: false, properties: { sessionExpiryInterval: FOREVER_ISH } });
    await c.subscribeAsync("lm/t", { qos: 1 });
    await c.endAsync();
    await detached("long-msg");
    const pub = await connect({ ...v5, clientId: "long-msg-pub" });
    await pub.publishAsync("lm/t", "kept", { qos: 1, properties: { messageExpiryInterval: 3_000_000 } });
    await pub.publishAsync("lm/t", "dropped", { qos: 1, properties: { messageExpiryInterval: 2_500_000 } });
    clock.advance(2_600_000_000);
    const back = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      ...v5,
      clientId: "long-msg",
      clean: false,
      reconnectPeriod: 0,
      properties: { sessionExpiryInterval: FOREVER_ISH },
    });
    const [m] = await nextMessages(back, 1);
    expect(m!.payload).toBe("kept");
    // what is left of the interval [MQTT-3.3.2-6]
    expect(m!.packet.properties?.messageExpiryInterval).toBe(400_000);
    await Promise.all([back.endAsync(), pub.endAsync()]);
  });
});

describe("MQTT 5 intervals past 2^31-1 ms on the system clock", () => {
  it("emit no TimeoutOverflowWarning (session expiry, will delay)", async () => {
    const real = startOn(systemClock);
    const p = await real.server.listen(0, "127.0.0.1");
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${p}`, {
        ...v5,
        clientId: "real-long",
        clean: false,
        reconnectPeriod: 0,
        properties: { sessionExpiryInterval: FOREVER_ISH },
        will: { topic: "rl/will", payload: Buffer.from("gone"), qos: 0, retain: false, properties: { willDelayInterval: 3_000_000 } },
      });
      c.stream.destroy();
      await vi.waitFor(() => expect(real.server.sessions.get("/\u0000real-long")?.link).toBeNull(), { timeout: 4000, interval: 5 });
      await new Promise((r) => setImmediate(r));
      expect(overflows()).toEqual([]);
      expect(real.server.sessions.has("/\u0000real-long")).toBe(true);
    } finally {
      await real.server.close();
    }
  });
});
