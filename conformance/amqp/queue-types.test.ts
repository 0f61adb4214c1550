// x-queue-type classic, quorum and stream: which declarations RabbitMQ 3.10 accepts and the exact
// refusals (per-type argument lists, durable/non-exclusive/non-auto-delete), with amqplib.

import { describe, expect, it } from "vitest";
import { conformanceSuite, expectFailure } from "./helpers.js";

const suite = conformanceSuite();

async function refused(name: string, options: Record<string, unknown>, text: string): Promise<void> {
  const { ch } = await suite.channel();
  await expectFailure(ch.assertQueue(name, options), 406, `PRECONDITION_FAILED - ${text}`);
}

describe("queue types", () => {
  it("quorum and stream queues are declared durable; redeclaring with the same type is fine", async () => {
    const { ch } = await suite.channel();
    for (const type of ["quorum", "stream"]) {
      const q = suite.queueName(type);
      const ok = await ch.assertQueue(q, { durable: true, arguments: { "x-queue-type": type } });
      expect(ok).toMatchObject({ queue: q, messageCount: 0, consumerCount: 0 });
      await ch.assertQueue(q, { durable: true, arguments: { "x-queue-type": type } });
    }
  });

  it("a quorum queue redeclared without x-queue-type is inequivalent", async () => {
    const q = suite.queueName("quorum-redeclare");
    const { ch } = await suite.channel();
    await ch.assertQueue(q, { durable: true, arguments: { "x-queue-type": "quorum" } });
    await expectFailure(
      ch.assertQueue(q, { durable: true }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${q}' in vhost '/': received none but current is the value 'quorum' of type 'longstr'`,
    );
  });

  for (const type of ["quorum", "stream"]) {
    const mod = type === "quorum" ? "rabbit_quorum_queue" : "rabbit_stream_queue";
    it(`${type} queues refuse non-durable, exclusive and auto-delete declarations, and server-chosen names`, async () => {
      const q = suite.queueName(`${type}-props`);
      await refused(
        q,
        { durable: false, arguments: { "x-queue-type": type } },
        `invalid property 'non-durable' for queue '${q}' in vhost '/'`,
      );
      await refused(
        q,
        { durable: true, exclusive: true, arguments: { "x-queue-type": type } },
        `invalid property 'exclusive-owner' for queue '${q}' in vhost '/'`,
      );
      await refused(
        q,
        { durable: true, autoDelete: true, arguments: { "x-queue-type": type } },
        `invalid property 'auto-delete' for queue '${q}' in vhost '/'`,
      );
      await refused("", { durable: true, arguments: { "x-queue-type": type } }, `Cannot declare a server-named queue for type ${mod}`);
    });
  }

  it("quorum queues refuse x-max-priority and x-queue-mode; streams refuse TTLs, lengths and dead-lettering", async () => {
    const q = suite.queueName("typed-args");
    await refused(
      q,
      { durable: true, arguments: { "x-queue-type": "quorum", "x-max-priority": 5 } },
      `invalid arg 'x-max-priority' for queue '${q}' in vhost '/' of queue type rabbit_quorum_queue`,
    );
    await refused(
      q,
      { durable: true, arguments: { "x-queue-type": "quorum", "x-queue-mode": "lazy" } },
      `invalid arg 'x-queue-mode' for queue '${q}' in vhost '/' of queue type rabbit_quorum_queue`,
    );
    for (const arg of ["x-message-ttl", "x-max-length", "x-expires", "x-delivery-limit"]) {
      await refused(
        q,
        { durable: true, arguments: { "x-queue-type": "stream", [arg]: 10 } },
        `invalid arg '${arg}' for queue '${q}' in vhost '/' of queue type rabbit_stream_queue`,
      );
    }
    await refused(
      q,
      { durable: true, arguments: { "x-queue-type": "stream", "x-dead-letter-exchange": "dlx" } },
      `invalid arg 'x-dead-letter-exchange' for queue '${q}' in vhost '/' of queue type rabbit_stream_queue`,
    );
    await refused(
      q,
      { durable: true, arguments: { "x-max-age": "1h" } },
      `invalid arg 'x-max-age' for queue '${q}' in vhost '/' of queue type rabbit_classic_queue`,
    );
  });

  it("quorum queues take TTL, length limits, dead-lettering and a delivery limit", async () => {
    const q = suite.queueName("quorum-args");
    const { ch } = await suite.channel();
    await ch.assertQueue(q, {
      durable: true,
      arguments: {
        "x-queue-type": "quorum",
        "x-message-ttl": 60000,
        "x-max-length": 100,
        "x-overflow": "reject-publish",
        "x-dead-letter-exchange": "dlx",
        "x-delivery-limit": 3,
        "x-single-active-consumer": true,
      },
    });
  });

  it("streams check x-max-age; x-queue-mode lazy is accepted on classic queues; unknown types are refused", async () => {
    const q = suite.queueName("stream-age");
    await refused(
      q,
      { durable: true, arguments: { "x-queue-type": "stream", "x-max-age": "0s" } },
      `invalid arg 'x-max-age' for queue '${q}' in vhost '/': invalid_max_age`,
    );
    const { ch } = await suite.channel();
    await ch.assertQueue(q, { durable: true, arguments: { "x-queue-type": "stream", "x-max-age": "7D", "x-max-length-bytes": 1_000_000 } });
    const lazy = suite.queueName("lazy");
    await ch.assertQueue(lazy, { arguments: { "x-queue-mode": "lazy" } });
    const other = suite.queueName("unknown-type");
    await refused(
      other,
      { durable: true, arguments: { "x-queue-type": "foo" } },
      `invalid arg 'x-queue-type' for queue '${other}' in vhost '/': "unsupported queue type 'foo'"`,
    );
  });
});
