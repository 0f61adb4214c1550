// JMS → STOMP, STOMP → JMS and MQTT → JMS: what a STOMP consumer gets for a JMS message, and what
// a JMS consumer (ActiveMQ 5.17's client) gets for a message published over another protocol. They pass against an embedded Warren and against ActiveMQ 5.17
// with its STOMP and MQTT connectors (conformance/activemq.sh): `npm run conformance --
// --openwire tcp://HOST:P --stomp-activemq HOST:S --mqtt-activemq mqtt://HOST:M`, all three the
// same broker's. JMS → AMQP 0-9-1 is in cross-amqp.test.ts (Warren only).
import { randomUUID } from "node:crypto";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawStomp } from "../stomp/raw-client.js";
import { buildJms, runJava, spawnJava, type Described } from "./java.js";
import { OPENWIRE_TARGET_ENV } from "./target.js";

interface Target {
  openwire: string;
  stomp: { host: string; port: number };
  mqtt: string;
  close(): Promise<void>;
}

const MQTT_ACTIVEMQ_ENV = "WARREN_CONFORMANCE_MQTT_ACTIVEMQ";
const STOMP_ACTIVEMQ_ENV = "WARREN_CONFORMANCE_STOMP_ACTIVEMQ";

async function useTarget(): Promise<Target> {
  const openwire = process.env[OPENWIRE_TARGET_ENV]?.trim();
  if (openwire) {
    const stomp = process.env[STOMP_ACTIVEMQ_ENV]?.trim();
    const mqttUrl = process.env[MQTT_ACTIVEMQ_ENV]?.trim();
    if (!stomp || !mqttUrl)
      throw new Error(
        `against an external OpenWire broker these scenarios need its STOMP and MQTT too: set ${STOMP_ACTIVEMQ_ENV} and ${MQTT_ACTIVEMQ_ENV}`,
      );
    const at = stomp.lastIndexOf(":");
    return {
      openwire,
      stomp: { host: stomp.slice(0, at), port: Number(stomp.slice(at + 1)) },
      mqtt: mqttUrl,
      close: async () => undefined,
    };
  }
  const { startBroker } = await import("warren");
  const b = await startBroker({ openwire: { port: 0 }, stomp: { port: 0 }, mqtt: { port: 0 }, logLevel: "silent" });
  return {
    openwire: `tcp://127.0.0.1:${b.ports.openwire}`,
    stomp: { host: "127.0.0.1", port: b.ports.stomp! },
    mqtt: `mqtt://guest:guest@127.0.0.1:${b.ports.mqtt}`,
    close: () => b.close(),
  };
}

let target: Target;
beforeAll(async () => {
  target = await useTarget();
  await buildJms();
}, 120_000);
afterAll(() => target?.close());

const prefix = () => `conf.${randomUUID().slice(0, 8)}`;

describe("a JMS producer → a STOMP consumer", () => {
  it("JMS headers and properties arrive as STOMP headers, the properties as text", async () => {
    const q = `${prefix()}.to-stomp`;
    const sent = await runJava<{ messageId: string; timestamp: number }>("Cross", target.openwire, "send", q);
    const stomp = await RawStomp.connected(target.stomp.port, {}, target.stomp.host);
    try {
      stomp.c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s1", ack: "auto" });
      const m = await stomp.c.next(10_000);
      expect(m.command).toBe("MESSAGE");
      expect(m.body.toString()).toBe("from jms");
      // what both brokers send alike; docs/compatibility.md lists the headers that differ
      // (message-id, timestamp, content-type, content-length, expires, redelivered)
      expect(m.headers).toMatchObject({
        destination: `/queue/${q}`,
        subscription: "s1",
        persistent: "true",
        priority: "6",
        "correlation-id": "corr-9",
        type: "order",
        "reply-to": `/queue/${q}.reply`,
        str: "a string",
        int: "42",
        long: "1099511627776",
        bool: "true",
        double: "2.5",
      });
      expect([m.headers["message-id"], m.headers["amqp-message-id"]]).toContain(sent.messageId);
    } finally {
      stomp.c.close();
    }
  });
});

describe("other protocols → a JMS consumer", () => {
  it("STOMP → JMS: a text/plain frame without content-length is a TextMessage, a binary one with it a BytesMessage; headers become JMS headers and String properties", async () => {
    const p = prefix();
    const stomp = await RawStomp.connected(target.stomp.port, {}, target.stomp.host);
    try {
      expect(stomp.connected.command).toBe("CONNECTED");
      // written by hand: without content-length (ActiveMQ's TextMessage) and with content-type
      // text/plain (Warren's); see docs/compatibility.md for the frames that differ
      stomp.c.write(
        `SEND\ndestination:/queue/${p}.stomp\ncontent-type:text/plain\ncolor:red\npersistent:true\npriority:6\ncorrelation-id:c-7\ntype:greeting\nreply-to:/queue/${p}.reply\n\nhello from stomp\0`,
      );
      stomp.c.send("SEND", { destination: `/queue/${p}.stomp`, "content-length": "3", receipt: "r-2" }, Buffer.from([1, 2, 255]));
      const receipt = await stomp.c.next();
      expect(receipt.command).toBe("RECEIPT");
    } finally {
      stomp.c.close();
    }
    const run = spawnJava<{ messages: Described[] }>("Cross", [target.openwire, "receive", "queue", `${p}.stomp`, "2"]);
    const r = await run.result;
    const [text, bytes] = r.messages;
    expect(text).toMatchObject({
      type: "text",
      text: "hello from stomp",
      headers: {
        JMSCorrelationID: "c-7",
        JMSType: "greeting",
        JMSDeliveryMode: 2,
        JMSPriority: 6,
        JMSReplyTo: `queue://${p}.reply`,
        JMSDestination: `queue://${p}.stomp`,
        JMSRedelivered: false,
      },
    });
    expect(text!.properties.color).toEqual({ class: "String", value: "red" });
    expect(bytes).toMatchObject({ type: "bytes", bytes: [1, 2, 255], headers: { JMSDeliveryMode: 1, JMSPriority: 4 } });
  });

  it("MQTT → JMS topic: a/b on MQTT is topic://a.b; the payload arrives as a BytesMessage, QoS 1 persistent", async () => {
    const p = prefix();
    const run = spawnJava<{ messages: Described[] }>("Cross", [target.openwire, "receive", "topic", `${p}.a.b`, "2"]);
    await run.ready;
    const client = await mqtt.connectAsync(target.mqtt, { clientId: `${p}-pub`, reconnectPeriod: 0 });
    try {
      const topic = `${p.replace(".", "/")}/a/b`;
      await client.publishAsync(topic, Buffer.from("m0"), { qos: 1 });
      await client.publishAsync(topic, Buffer.from("m1"), { qos: 0 });
    } finally {
      await client.endAsync();
    }
    const r = await run.result;
    expect(r.messages.map((m) => [m.type, Buffer.from(m.bytes ?? []).toString()])).toEqual([
      ["bytes", "m0"],
      ["bytes", "m1"],
    ]);
    expect(r.messages[0]!.headers.JMSDestination).toBe(`topic://${p}.a.b`);
    // QoS 1 is a persistent JMS message, QoS 0 a non-persistent one
    expect(r.messages.map((m) => m.headers.JMSDeliveryMode)).toEqual([2, 1]);
  });
});
