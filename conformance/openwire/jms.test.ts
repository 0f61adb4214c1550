// ActiveMQ 5.17's Java client over OpenWire: each scenario passes against Warren and against
// ActiveMQ 5.17 (npm run conformance -- --openwire tcp://127.0.0.1:<WARREN_ACTIVEMQ_OPENWIRE_PORT>).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildJms, runJms } from "./java.js";
import { type OpenWireBroker, useOpenWireBroker } from "./target.js";

let broker: OpenWireBroker;
beforeAll(async () => {
  broker = await useOpenWireBroker();
  await buildJms();
}, 120_000);
afterAll(() => broker?.close());

const prefix = () => `conf.${randomUUID().slice(0, 8)}`;

interface Described {
  type: string;
  text?: string;
  bytes?: number[];
  headers: Record<string, string | number | boolean | null>;
  properties: Record<string, { class: string; value: string }>;
}

describe("OpenWire with ActiveMQ's JMS client", () => {
  it("a text and a bytes message keep their typed properties and JMS headers through a queue", async () => {
    const p = prefix();
    const r = await runJms<{ messages: Described[]; sentId: string }>(broker.url, "queue-text-bytes", p);
    const [text, bytes] = r.messages;
    expect(text).toMatchObject({
      type: "text",
      text: "héllo wörld",
      headers: {
        JMSMessageID: r.sentId,
        JMSCorrelationID: "corr-1",
        JMSType: "my-type",
        JMSDeliveryMode: 2,
        JMSPriority: 7,
        JMSExpirationSet: false,
        JMSTimestampSet: true,
        JMSRedelivered: false,
        JMSReplyTo: `queue://${p}.reply`,
        JMSDestination: `queue://${p}.q`,
      },
    });
    expect(text!.properties).toEqual({
      bool: { class: "Boolean", value: "true" },
      byte: { class: "Byte", value: "-3" },
      double: { class: "Double", value: "2.5" },
      float: { class: "Float", value: "1.5" },
      int: { class: "Integer", value: "42" },
      long: { class: "Long", value: "1099511627776" },
      short: { class: "Short", value: "300" },
      str: { class: "String", value: "a string" },
    });
    expect(bytes).toMatchObject({
      type: "bytes",
      bytes: [0, 1, 2, 255, 10],
      headers: { JMSDeliveryMode: 1, JMSPriority: 4, JMSExpirationSet: true, JMSCorrelationID: null, JMSReplyTo: null },
      properties: { kind: { class: "String", value: "bytes" } },
    });
  });

  it("a MapMessage's typed entries arrive as sent", async () => {
    const r = await runJms<unknown>(broker.url, "map-message", prefix());
    expect(r).toEqual({
      received: {
        big: { class: "Long", value: "1099511627776" },
        count: { class: "Integer", value: "3" },
        name: { class: "String", value: "widget" },
        ok: { class: "Boolean", value: "true" },
        price: { class: "Double", value: "9.99" },
        raw: { class: "byte[]", value: "[1, 2, 3]" },
      },
    });
  });

  it("two consumers on a topic each get every message, in order", async () => {
    const r = await runJms<{ a: string[]; b: string[] }>(broker.url, "topic-fanout", prefix());
    expect(r).toEqual({ a: ["m0", "m1", "m2"], b: ["m0", "m1", "m2"] });
  });

  it("CLIENT_ACKNOWLEDGE: unacknowledged messages come back redelivered, acknowledged ones do not", async () => {
    const r = await runJms<unknown>(broker.url, "client-ack", prefix());
    expect(r).toEqual({ first: ["m0", "m1"], again: ["m0", "m1"], redelivered: [true, true], afterAck: null });
  });

  it("a second connection with a clientID already connected is refused with InvalidClientIDException", async () => {
    const r = await runJms<{ refused: string; message: string }>(broker.url, "duplicate-client-id", prefix());
    expect(r.refused).toBe("javax.jms.InvalidClientIDException");
    expect(r.message).toMatch(/^Broker: \S+ - Client: conf\.\w+-client already connected from tcp:\/\//);
  });

  it("a queue consumer's selector takes only what it selects; the rest stays queued in order", async () => {
    const r = await runJms<unknown>(broker.url, "selectors", prefix());
    expect(r).toEqual({ selected: ["red-2"], extra: false, left: ["blue-0", "red-1", "green-3"] });
  });
});
