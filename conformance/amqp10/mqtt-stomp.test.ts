// AMQP 1.0 meets MQTT and STOMP on one broker: an MQTT PUBLISH reaches an AMQP 1.0 receiver on
// the matching topic, and an AMQP 1.0 message reaches a STOMP subscriber, body and properties
// mapped. Needs the broker's MQTT and STOMP listeners (target.ts: `--mqtt` and `--stomp` of the
// same node for an external broker, as .ci/run passes them; the embedded Warren has both).

import mqtt from "mqtt";
import rhea from "rhea";
import { describe, expect, it } from "vitest";
import { RawStomp } from "../stomp/raw-client.js";
import { amqp10Suite, eventually, openReceiver, openSender, send } from "./helpers.js";

const suite = amqp10Suite();

function listeners(): { mqttUrl: string; stomp: { host: string; port: number } } {
  const b = suite.broker;
  if (b.mqttUrl === null || b.stomp === null)
    throw new Error("the external broker's MQTT and STOMP listeners are not named (--mqtt, --stomp)");
  return { mqttUrl: b.mqttUrl, stomp: b.stomp };
}

describe("AMQP 1.0 ↔ MQTT and STOMP", () => {
  it("MQTT → AMQP 1.0: a PUBLISH to a/b reaches a receiver on /topic/a.b as a data section", async () => {
    const { mqttUrl } = listeners();
    const key = suite.name("a10mqtt").replace(/-/g, "_");
    const conn = await suite.connect();
    const r = await openReceiver(conn, `/topic/${key}.sensor`, { autoaccept: true });
    r.receiver.add_credit(5);
    const client = await mqtt.connectAsync(mqttUrl, { clientId: suite.name("a10-mqtt"), reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      await client.publishAsync(`${key}/sensor`, Buffer.from("21.5"), { qos: 1 });
      await eventually(() => r.messages.length === 1);
    } finally {
      await client.endAsync();
    }
    const m = r.messages[0]!.message;
    expect((m.body as { content: Buffer }).content.toString()).toBe("21.5");
    // QoS 1 is persistent (delivery-mode 2) in both brokers' MQTT mapping
    expect(m.durable).toBe(true);
    // the routing key (MQTT's / as .) is the subject on both
    expect(m.subject).toBe(`${key}.sensor`);
    if (suite.broker.kind === "warren") {
      // Warren also annotates exchange and key, as RabbitMQ 4 does; 3.10 sends no annotations
      expect(m.message_annotations?.["x-routing-key"]).toBe(`${key}.sensor`);
      expect(m.message_annotations?.["x-exchange"]).toBe("amq.topic");
    } else {
      expect(m.message_annotations).toBeUndefined();
    }
  });

  it("AMQP 1.0 → STOMP: a message to /exchange/amq.topic/KEY reaches a /topic/KEY subscriber", async () => {
    const { stomp } = listeners();
    const key = suite.name("a10stomp").replace(/-/g, "_");
    const { c } = await RawStomp.connected(stomp.port, { login: suite.broker.username, passcode: suite.broker.password }, stomp.host);
    try {
      c.send("SUBSCRIBE", { destination: `/topic/${key}`, id: "s1", ack: "auto", receipt: "sub" });
      await c.take((f) => f.command === "RECEIPT", "the SUBSCRIBE's receipt");
      const conn = await suite.connect();
      const s = await openSender(conn, `/exchange/amq.topic/${key}`);
      const outcome = await send(s, {
        body: rhea.message.data_section(Buffer.from("to stomp")),
        content_type: "text/plain",
        message_id: "a10-m1",
        correlation_id: "a10-c1",
        application_properties: { color: "red" },
      });
      expect(outcome).toBe("accepted");
      const f = await c.take((x) => x.command === "MESSAGE", "the MESSAGE");
      expect(f.body.toString()).toBe("to stomp");
      expect(f.headers["destination"]).toBe(`/topic/${key}`);
      expect(f.headers["content-type"]).toBe("text/plain");
      expect(f.headers["correlation-id"]).toBe("a10-c1");
      if (suite.broker.kind === "rabbitmq") {
        // 3.10 packs application-properties into one binary x-amqp-1.0-app-properties header,
        // which STOMP does not carry
        expect(f.headers["color"]).toBeUndefined();
      } else {
        // application-properties are plain headers (RabbitMQ 4), so STOMP shows them as headers
        expect(f.headers["color"]).toBe("red");
      }
    } finally {
      c.close();
    }
  });
});
