// STOMP /topic/ and MQTT meet on amq.topic: a STOMP SEND to /topic/a.b reaches MQTT subscribers
// of a/b and an MQTT PUBLISH to a/b reaches STOMP subscribers of /topic/a.b (MQTT's `/` is the
// AMQP routing key's `.`). Holds on RabbitMQ 3.10 (rabbitmq_stomp + rabbitmq_mqtt) and Warren.
//
// Runs against an external broker only when both WARREN_CONFORMANCE_STOMP and
// WARREN_CONFORMANCE_MQTT name it (`--stomp` and `--mqtt` of the same node, as .ci/run does);
// otherwise against an embedded Warren with both listeners.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import { RawStomp } from "./raw-client.js";

interface Target {
  stompHost: string;
  stompPort: number;
  mqttUrl: string;
  close(): Promise<void>;
}

let target: Target;
const stomps: RawStomp[] = [];
const mqtts: MqttClient[] = [];

beforeAll(async () => {
  const stomp = process.env.WARREN_CONFORMANCE_STOMP?.trim();
  const mqttUrl = process.env.WARREN_CONFORMANCE_MQTT?.trim();
  if (stomp && mqttUrl) {
    const at = stomp.lastIndexOf(":");
    target = { stompHost: stomp.slice(0, at), stompPort: Number(stomp.slice(at + 1)), mqttUrl, close: async () => undefined };
    return;
  }
  const { startBroker } = await import("warren");
  const broker = await startBroker({
    amqp: false,
    stomp: { port: 0 },
    webStomp: false,
    mqtt: { port: 0 },
    webMqtt: false,
    logLevel: "silent",
  });
  target = {
    stompHost: "127.0.0.1",
    stompPort: broker.ports.stomp!,
    mqttUrl: `mqtt://guest:guest@127.0.0.1:${broker.ports.mqtt}`,
    close: () => broker.close(),
  };
});
afterAll(async () => {
  for (const c of stomps) c.close();
  await Promise.all(mqtts.map((c) => c.endAsync()));
  await target.close();
});

const run = randomBytes(4).toString("hex");

async function stomp(): Promise<RawStomp> {
  const { c, connected } = await RawStomp.connected(target.stompPort, {}, target.stompHost);
  expect(connected.command).toBe("CONNECTED");
  stomps.push(c);
  return c;
}

async function mqttClient(name: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(target.mqttUrl, { clientId: `conf-${name}-${run}`, reconnectPeriod: 0, connectTimeout: 5000 });
  mqtts.push(c);
  return c;
}

/** The next n MQTT messages, in order. */
function mqttNext(c: MqttClient, n: number): Promise<{ topic: string; payload: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const got: { topic: string; payload: Buffer }[] = [];
    const timer = setTimeout(() => reject(new Error(`timed out: ${got.length}/${n} MQTT messages`)), 5000);
    const on = (topic: string, payload: Buffer) => {
      got.push({ topic, payload });
      if (got.length === n) {
        clearTimeout(timer);
        c.off("message", on);
        resolve(got);
      }
    };
    c.on("message", on);
  });
}

describe("STOMP /topic/ ↔ MQTT", () => {
  it("a STOMP SEND to /topic/a.b reaches MQTT subscribers of a/b and of a/+ and a/#", async () => {
    const exact = await mqttClient("exact");
    const plus = await mqttClient("plus");
    const hash = await mqttClient("hash");
    await exact.subscribeAsync(`s2m/${run}/price`, { qos: 1 });
    await plus.subscribeAsync(`s2m/${run}/+`, { qos: 0 });
    await hash.subscribeAsync(`s2m/${run}/#`, { qos: 1 });
    const got = [mqttNext(exact, 1), mqttNext(plus, 1), mqttNext(hash, 1)];
    const s = await stomp();
    const body = Buffer.from([0x68, 0x69, 0x00, 0xff]);
    s.send("SEND", { destination: `/topic/s2m.${run}.price`, receipt: "sent" }, body);
    expect((await s.next()).headers["receipt-id"]).toBe("sent");
    for (const [m] of await Promise.all(got)) {
      expect(m!.topic).toBe(`s2m/${run}/price`);
      expect(m!.payload.equals(body)).toBe(true);
    }
  });

  it("an MQTT PUBLISH to a/b reaches STOMP subscribers of /topic/a.b and /topic/a.*, MESSAGE destination /topic/a.b", async () => {
    const exact = await stomp();
    const star = await stomp();
    exact.send("SUBSCRIBE", { destination: `/topic/m2s.${run}.x`, id: "e", receipt: "r" });
    star.send("SUBSCRIBE", { destination: `/topic/m2s.${run}.*`, id: "w", receipt: "r" });
    expect((await exact.next()).command).toBe("RECEIPT");
    expect((await star.next()).command).toBe("RECEIPT");
    const p = await mqttClient("pub");
    await p.publishAsync(`m2s/${run}/x`, "from-mqtt-qos1", { qos: 1 });
    await p.publishAsync(`m2s/${run}/x`, "from-mqtt-qos0", { qos: 0 });
    for (const [c, id] of [
      [exact, "e"],
      [star, "w"],
    ] as const) {
      const bodies: string[] = [];
      for (let i = 0; i < 2; i++) {
        const m = await c.next();
        expect(m.command).toBe("MESSAGE");
        expect(m.headers["destination"]).toBe(`/topic/m2s.${run}.x`);
        expect(m.headers["subscription"]).toBe(id);
        bodies.push(m.body.toString());
      }
      expect(bodies).toEqual(["from-mqtt-qos1", "from-mqtt-qos0"]);
    }
  });

  it("a durable STOMP topic subscription keeps MQTT publications while its subscriber is away", async () => {
    const topic = `/topic/m2d.${run}`;
    const sub = { destination: topic, id: `dur-${run}`, persistent: "true", "auto-delete": "false", receipt: "r" };
    const a = await stomp();
    a.send("SUBSCRIBE", sub);
    expect((await a.next()).command).toBe("RECEIPT");
    a.send("DISCONNECT", { receipt: "bye" });
    expect((await a.next()).headers["receipt-id"]).toBe("bye");
    const p = await mqttClient("durpub");
    await p.publishAsync(`m2d/${run}`, "kept-for-you", { qos: 1 });
    const b = await stomp();
    b.send("SUBSCRIBE", sub);
    const frames = [await b.next(), await b.next()];
    expect(frames.find((f) => f.command === "MESSAGE")?.body.toString()).toBe("kept-for-you");
    b.send("UNSUBSCRIBE", { id: `dur-${run}`, persistent: "true", receipt: "u" });
    expect((await b.take((f) => f.headers["receipt-id"] === "u")).command).toBe("RECEIPT");
  });
});
