// ActiveMQ 5.17's Java client over OpenWire: each scenario passes against Warren and against
// ActiveMQ 5.17 (npm run conformance -- --openwire tcp://127.0.0.1:<WARREN_ACTIVEMQ_OPENWIRE_PORT>).
import { describe, expect, it } from "vitest";
import { runJms, type Described } from "./java.js";
import { uniquePrefix, useJmsScenarios } from "./scenarios.js";

const broker = useJmsScenarios();
// An embedded Warren offers tight encoding and the marshal cache only when configured to
// (openwire.tight_encoding, openwire.cache); ActiveMQ's broker offers both.
const offering = useJmsScenarios({ offerTightAndCache: true });
const prefix = uniquePrefix;

describe("OpenWire with ActiveMQ's JMS client", () => {
  // the client's default wire format is tight encoding with the marshal cache; the URL can turn
  // either off. The options in force are what both sides ask for.
  for (const [encoding, options, tight, cache] of [
    ["tight encoding and the marshal cache, the client's defaults", "", true, true],
    ["loose encoding (wireFormat.tightEncodingEnabled=false)", "?wireFormat.tightEncodingEnabled=false", false, true],
    ["no marshal cache (wireFormat.cacheEnabled=false)", "?wireFormat.cacheEnabled=false", true, false],
    ["loose encoding without the cache", "?wireFormat.tightEncodingEnabled=false&wireFormat.cacheEnabled=false", false, false],
  ] as const) {
    it(`${encoding}, broker offering both: a text and a bytes message keep their typed properties and JMS headers through a queue`, async () => {
      const p = prefix();
      const r = await runJms<{ messages: Described[]; sentId: string; wireFormat: { tight: boolean; cache: boolean; version: number } }>(
        offering.url + options,
        "queue-text-bytes",
        p,
      );
      expect(r.wireFormat).toEqual({ tight, cache, version: 12 });
      textAndBytes(r, p);
    });
  }

  it("the client's defaults against the broker's default offer: Warren's is loose without the cache, ActiveMQ's tight with it", async () => {
    const p = prefix();
    const r = await runJms<{ messages: Described[]; sentId: string; wireFormat: { tight: boolean; cache: boolean; version: number } }>(
      broker.url,
      "queue-text-bytes",
      p,
    );
    const both = broker.kind === "external";
    expect(r.wireFormat).toEqual({ tight: both, cache: both, version: 12 });
    textAndBytes(r, p);
  });

  function textAndBytes(r: { messages: Described[]; sentId: string }, p: string): void {
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
  }

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

  it("CLIENT_ACKNOWLEDGE: one acknowledge covers every delivery of the session, on all its consumers", async () => {
    const r = await runJms<unknown>(broker.url, "session-client-ack", prefix());
    expect(r).toEqual({ a: ["a0", "a1"], b: "b0", leftA: false, leftB: false });
  });

  it("INDIVIDUAL_ACKNOWLEDGE: only the acknowledged messages go; the rest come back redelivered in order", async () => {
    const r = await runJms<unknown>(broker.url, "individual-ack", prefix());
    expect(r).toEqual({ got: ["m0", "m1", "m2", "m3"], left: ["m0", "m3"], redelivered: [true, true] });
  });

  it("DUPS_OK_ACKNOWLEDGE: what was received is acknowledged by the time the session closes", async () => {
    const r = await runJms<unknown>(broker.url, "dups-ok", prefix());
    expect(r).toEqual({ got: ["m0", "m1", "m2", "m3", "m4"], left: false });
  });

  it("Session.recover redelivers 6 times, then the poison ack sends a persistent message to ActiveMQ.DLQ", async () => {
    const p = prefix();
    const r = await runJms<{ deliveries: string[]; left: boolean; dlq: Record<string, unknown>[] }>(broker.url, "recover-to-dlq", p);
    const rounds = (text: string) => [1, 2, 3, 4, 5, 6, 7].map((n) => `${text}:${n > 1}:${n}`);
    expect(r.deliveries).toEqual([...rounds("poison"), ...rounds("poison-np")]);
    expect(r.left).toBe(false);
    // the non-persistent one is dropped, as ActiveMQ's default dead-letter strategy does
    expect(r.dlq).toHaveLength(1);
    expect(r.dlq[0]).toEqual({
      text: "poison",
      cause: expect.stringMatching(
        /^java\.lang\.Throwable: Delivery\[7\] exceeds redelivery policy limit:RedeliveryPolicy \{.*maximumRedeliveries = 6,/,
      ),
      redelivered: false,
      deliveryCount: 1,
      persistent: true,
      destination: "queue://ActiveMQ.DLQ",
      originalDestination: `queue://${p}.poison`,
      sameId: true,
      originalExpiration: "0",
      originalExpirationClass: "Long",
    });
  });

  it("redeliveries by Session.recover are the client's: the next session sees the broker's own count", async () => {
    const r = await runJms<unknown>(broker.url, "recover-then-close", prefix());
    expect(r).toEqual({ counts: [1, 2, 3, 4], afterClose: 2, redelivered: true });
  });

  it("a transacted session: sends appear at commit, vanish on rollback; a rolled-back receive comes again", async () => {
    const r = await runJms<unknown>(broker.url, "transactions", prefix());
    expect(r).toEqual({
      early: false,
      committed: ["m0", "m1"],
      afterRollback: false,
      first: "x0",
      again: "x0",
      againRedelivered: true,
      againCount: 2,
      left: false,
    });
  });

  it("request/reply over a temporary queue and topic; foreign consumers refused; gone with their connection", async () => {
    const r = await runJms<unknown>(broker.url, "temp-request-reply", prefix());
    expect(r).toEqual({
      answers: ["answer to q0/c0/temp-queue://ID:…", "answer to q1/c1/temp-topic://ID:…"],
      tempQueue: "temp-queue://ID:…",
      foreignConsumer: "javax.jms.InvalidDestinationException",
      // the responder's client heard of the deletion through the advisory topic
      afterClose: "javax.jms.InvalidDestinationException",
    });
  });

  it("a durable subscriber keeps messages across a reconnect; duplicates and active unsubscribes refused", async () => {
    const p = prefix();
    const r = await runJms<unknown>(broker.url, "durable-subscriber", p);
    expect(r).toEqual({
      online: ["m0"],
      duplicate: "javax.jms.JMSException",
      duplicateMessage: `Durable consumer is in use for client: ${p}-durable and subscriptionName: sub`,
      unsubscribeActive: "javax.jms.JMSException",
      unsubscribeActiveMessage: "Durable consumer is in use",
      afterReconnect: ["m1", "m2"],
      extra: false,
      afterUnsubscribe: false,
      unsubscribeMissing: "javax.jms.InvalidDestinationException",
      unsubscribeMissingMessage: `No durable subscription exists for clientID: ${p}-durable and subscriptionName: sub`,
    });
  });

  it("a queue browser sees the messages its selector picks and leaves them in the queue", async () => {
    const r = await runJms<unknown>(broker.url, "browser", prefix());
    expect(r).toEqual({ all: ["red-0", "blue-1", "red-2"], red: ["red-0", "red-2"], empty: [], consumed: ["red-0", "blue-1", "red-2"] });
  });

  it("consumer.exclusive: one consumer takes everything, the next takes over; consumer.priority: the higher one first", async () => {
    const r = await runJms<unknown>(broker.url, "exclusive-priority", prefix());
    expect(r).toEqual({
      toExclusive: ["e0", "e1", "e2", "e3"],
      toStandby: false,
      afterClose: ["e4"],
      toHigh: ["p0", "p1", "p2"],
      toLow: false,
    });
  });

  it("prefetch 0: each receive pulls one message; an empty pull ends at once or after its timeout", async () => {
    const r = await runJms<unknown>(broker.url, "prefetch-zero", prefix());
    expect(r).toEqual({ a: ["m0"], b: ["m1"], noWait: false, timedOut: false, waitedAtLeastTimeout: true, later: ["m2"] });
  });

  it("a persistent message that expires in its queue moves to ActiveMQ.DLQ; a non-persistent one is dropped", async () => {
    const r = await runJms<unknown>(broker.url, "expiry-to-dlq", prefix());
    expect(r).toEqual({
      got: ["kept"],
      dlq: [
        {
          text: "persistent",
          cause: expect.stringMatching(/^java\.lang\.Throwable: Message Expired\. Expiration:\d+$/),
          expirationSet: false,
          originalExpirationSet: true,
          originalDestination: "queue://P.expiring",
        },
      ],
    });
  });

  it("a durable subscription re-created on another topic replaces the old one and what it kept", async () => {
    const r = await runJms<unknown>(broker.url, "durable-topic-change", prefix());
    expect(r).toEqual({ kept: null, got: ["b0"], extra: null });
  });
});
