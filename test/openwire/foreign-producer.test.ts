// Messages from other protocols reach JMS consumers with a JMSMessageID of the broker's making.
// ActiveMQ's client drops a message whose producer id and sequence its duplicate audit has seen,
// and a failover connection keeps that audit across a broker restart: the sequence starts again
// at a restart, so the producer id must differ from one broker process to the next.
import { afterEach, expect, it, vi } from "vitest";
import { Message } from "../../src/core/message.js";

/** The JMS producer id and sequence of an AMQP-published message, as a fresh broker process gives them. */
async function foreignId(): Promise<{ producer: string; sequence: number }> {
  const { jmsMessageOf } = await import("../../protocols/openwire/message.js");
  const id = jmsMessageOf(new Message("", "q", Buffer.from("from amqp"), {})).messageId!;
  const p = id.producerId!;
  return { producer: `${p.connectionId}:${p.sessionId}:${p.value}`, sequence: id.producerSequenceId };
}

afterEach(() => {
  vi.useRealTimers();
});

it("a broker restart gives other protocols' messages a new JMS producer id, as their sequence starts again", async () => {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2026-12-07T12:00:00Z") });
  vi.resetModules();
  const before = await foreignId();
  vi.setSystemTime(Date.parse("2026-12-07T12:00:05Z"));
  vi.resetModules(); // the broker process restarts
  const after = await foreignId();
  expect(after.sequence).toBe(before.sequence);
  expect(after.producer).not.toBe(before.producer);
});
