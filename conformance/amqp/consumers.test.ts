// Consumers: tags, exclusivity, cancel (client- and server-sent), round-robin, consumer
// priorities, basic.qos per consumer and per channel, and basic.get.

import { describe, expect, it } from "vitest";
import type { ConsumeMessage } from "amqplib";
import { bodies, conformanceSuite, consumeInto, drain, eventually, expectFailure, failureOf, Inbox, nextError, settle } from "./helpers.js";

const suite = conformanceSuite();

/** Publishes `n` messages "0".."n-1" to `queue` through a confirm channel and waits for the confirms. */
async function fill(queue: string, n: number, prefix = ""): Promise<void> {
  const { ch } = await suite.confirmChannel();
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(`${prefix}${i}`));
  await ch.waitForConfirms();
}

describe("consumer tags", () => {
  it("a consumer without a tag gets a server-generated amq.ctag- tag", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const a = await ch.consume(q, () => undefined);
    const b = await ch.consume(q, () => undefined);
    expect(a.consumerTag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    expect(b.consumerTag).toMatch(/^amq\.ctag-/);
    expect(a.consumerTag).not.toBe(b.consumerTag);
  });

  it("a client-chosen tag is echoed in consume-ok and in every delivery", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const { inbox, consumerTag } = await consumeInto(ch, q, { consumerTag: "my-tag", noAck: true });
    expect(consumerTag).toBe("my-tag");
    await fill(q, 1);
    const m = await inbox.next();
    expect(m.fields.consumerTag).toBe("my-tag");
  });

  it("reusing a consumer tag on the same channel closes the connection with 530 NOT_ALLOWED", async () => {
    const { conn, ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.consume(q, () => undefined, { consumerTag: "dup" });
    const connErr = nextError(conn);
    ch.consume(q, () => undefined, { consumerTag: "dup" }).catch(() => undefined);
    expect(failureOf(await connErr)).toEqual({ code: 530, text: "NOT_ALLOWED - attempt to reuse consumer tag 'dup'" });
  });

  it("the same tag may be used on two different channels", async () => {
    const { conn, ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const ch2 = await conn.createChannel();
    await ch.consume(q, () => undefined, { consumerTag: "shared" });
    await expect(ch2.consume(q, () => undefined, { consumerTag: "shared" })).resolves.toEqual({ consumerTag: "shared" });
  });

  it("consuming from a missing queue is refused with 404", async () => {
    const { ch } = await suite.channel();
    await expectFailure(
      ch.consume("conf.no-such-queue.x1", () => undefined),
      404,
      "NOT_FOUND - no queue 'conf.no-such-queue.x1' in vhost '/'",
    );
  });
});

describe("exclusive consumers", () => {
  it("an exclusive consume on a queue that has a consumer is refused with 403", async () => {
    const { conn, ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.consume(q, () => undefined);
    const ch2 = await conn.createChannel();
    ch2.on("error", () => undefined);
    await expectFailure(
      ch2.consume(q, () => undefined, { exclusive: true }),
      403,
      `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`,
    );
  });

  it("a consume on a queue with an exclusive consumer is refused with 403", async () => {
    const { conn, ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.consume(q, () => undefined, { exclusive: true });
    const ch2 = await conn.createChannel();
    ch2.on("error", () => undefined);
    await expectFailure(
      ch2.consume(q, () => undefined),
      403,
      `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`,
    );
  });

  it("after the exclusive consumer cancels, others may consume", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const { consumerTag } = await ch.consume(q, () => undefined, { exclusive: true });
    await ch.cancel(consumerTag);
    await expect(ch.consume(q, () => undefined)).resolves.toHaveProperty("consumerTag");
  });
});

describe("basic.cancel", () => {
  it("cancel-ok echoes the tag and deliveries stop; unacked messages stay unacked until acked", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const { inbox, consumerTag } = await consumeInto(ch, q);
    ch.sendToQueue(q, Buffer.from("before"));
    const m = await inbox.next();
    expect(await ch.cancel(consumerTag)).toEqual({ consumerTag });
    ch.sendToQueue(q, Buffer.from("after"));
    await ch.waitForConfirms();
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 1, consumerCount: 0 });
    ch.ack(m); // still valid after cancel
    expect(await drain(ch, q)).toEqual(["after"]);
    expect(bodies(inbox.all)).toEqual(["before"]);
  });

  it("cancelling an unknown consumer tag answers cancel-ok", async () => {
    const { ch } = await suite.channel();
    await expect(ch.cancel("never-existed")).resolves.toEqual({ consumerTag: "never-existed" });
  });

  it("deleting the queue sends the consumer a basic.cancel (consumer_cancel_notify)", async () => {
    const { conn, ch } = await suite.channel();
    const q = suite.queueName("cancelnotify");
    await ch.assertQueue(q, { durable: false });
    const { cancelled } = await consumeInto(ch, q);
    const other = await conn.createChannel();
    await other.deleteQueue(q);
    await expect(cancelled.promise).resolves.toBeUndefined();
  });

  it("a server-sent cancel leaves the channel usable", async () => {
    const { ch } = await suite.channel();
    const q = suite.queueName("cancelnotify2");
    await ch.assertQueue(q, { durable: false });
    const { cancelled } = await consumeInto(ch, q);
    const { ch: other } = await suite.channel();
    await other.deleteQueue(q);
    await cancelled.promise;
    await expect(ch.assertQueue("", { exclusive: true })).resolves.toHaveProperty("queue");
  });
});

describe("delivery to several consumers", () => {
  it("round-robins between consumers of one queue", async () => {
    const { conn } = await suite.channel();
    const ch1 = await conn.createChannel();
    const ch2 = await conn.createChannel();
    const q = (await ch1.assertQueue("", { exclusive: true })).queue;
    const order: string[] = [];
    const all = new Inbox<string>();
    await ch1.consume(
      q,
      (m) => {
        order.push("a");
        all.push(m!.content.toString());
      },
      { noAck: true },
    );
    await ch2.consume(
      q,
      (m) => {
        order.push("b");
        all.push(m!.content.toString());
      },
      { noAck: true },
    );
    await fill(q, 10);
    await all.take(10);
    expect(order.filter((c) => c === "a")).toHaveLength(5);
    expect(order.filter((c) => c === "b")).toHaveLength(5);
  });

  it("a consumer with a higher x-priority gets messages while it has capacity", async () => {
    const { conn } = await suite.channel();
    const hi = await conn.createChannel();
    const lo = await conn.createChannel();
    const q = (await hi.assertQueue("", { exclusive: true })).queue;
    await hi.prefetch(3);
    await lo.prefetch(10);
    const hiBox = await consumeInto(hi, q, { priority: 10 });
    const loBox = await consumeInto(lo, q, { priority: 1 });
    await fill(q, 5);
    const hiMsgs = await hiBox.inbox.take(3);
    const loMsgs = await loBox.inbox.take(2);
    expect(bodies(hiMsgs)).toEqual(["0", "1", "2"]);
    expect(bodies(loMsgs)).toEqual(["3", "4"]);
  });
});

describe("basic.qos", () => {
  it("prefetch 1 delivers the next message only after the previous is acked", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.prefetch(1);
    const { inbox } = await consumeInto(ch, q);
    await fill(q, 3);
    const first = await inbox.next();
    await ch.checkQueue(q); // round trip on the consuming channel
    await settle();
    expect(inbox.pending).toBe(0);
    ch.ack(first);
    const second = await inbox.next();
    expect(second.content.toString()).toBe("1");
  });

  it("per-consumer prefetch (global=false) limits each consumer separately", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.prefetch(2, false);
    const a = await consumeInto(ch, q);
    const b = await consumeInto(ch, q);
    await fill(q, 10);
    await a.inbox.take(2);
    await b.inbox.take(2);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 6 });
    await settle();
    expect([a.inbox.pending, b.inbox.pending]).toEqual([0, 0]);
  });

  it("channel prefetch (global=true) is shared by all consumers on the channel", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.prefetch(3, true);
    const all = new Inbox<ConsumeMessage>();
    await ch.consume(q, (m) => all.push(m!));
    await ch.consume(q, (m) => all.push(m!));
    await fill(q, 10);
    const three = await all.take(3);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 7 });
    await settle();
    expect(all.pending).toBe(0);
    ch.ack(three[0]!);
    await all.next();
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 6 });
  });

  it("per-consumer then global prefetch combine: each consumer capped, the channel capped too", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.prefetch(2, false); // each consumer created from now on: 2
    await ch.prefetch(3, true); // the channel: 3
    const a = await consumeInto(ch, q);
    await fill(q, 10);
    const aMsgs = await a.inbox.take(2);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 8 });
    const b = await consumeInto(ch, q);
    await b.inbox.next();
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 7 });
    await settle();
    expect([a.inbox.pending, b.inbox.pending]).toEqual([0, 0]);
    ch.ack(aMsgs[0]!);
    await a.inbox.next();
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 6 });
  });

  it("basic.qos global=false after global=true lifts the channel-wide limit (RabbitMQ 3.10 quirk)", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.prefetch(3, true);
    await ch.prefetch(2, false);
    const a = await consumeInto(ch, q);
    const b = await consumeInto(ch, q);
    await fill(q, 10);
    await a.inbox.take(2);
    await b.inbox.take(2);
    // Four unacked on a channel whose global prefetch was 3: the global limit is gone.
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 6 });
  });

  it("per-consumer prefetch applies to consumers created after basic.qos, not before", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const unlimited = await consumeInto(ch, q); // created with prefetch 0 = unlimited
    await ch.prefetch(1, false);
    await fill(q, 4);
    await unlimited.inbox.take(4);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 0 });
  });

  it("a channel-wide prefetch of 1 over consumers of several queues, acked one at a time, takes from every queue", async () => {
    const { ch } = await suite.channel();
    const queues: string[] = [];
    for (let i = 0; i < 3; i++) {
      const q = (await ch.assertQueue("", { exclusive: true })).queue;
      await fill(q, 20, `q${i}-`);
      queues.push(q);
    }
    await ch.prefetch(1, true);
    const all = new Inbox<ConsumeMessage>();
    for (const q of queues) await ch.consume(q, (m) => all.push(m!));
    for (let i = 0; i < 30; i++) ch.ack(await all.next());
    for (const q of queues) expect((await ch.checkQueue(q)).messageCount).toBeLessThan(20);
  });

  it("a channel-wide prefetch used up by a manual-ack consumer holds back a no-ack consumer on the same channel", async () => {
    const { ch } = await suite.channel();
    const acked = (await ch.assertQueue("", { exclusive: true })).queue;
    const auto = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.prefetch(1, true);
    const a = await consumeInto(ch, acked);
    await fill(acked, 2, "a");
    const first = await a.inbox.next();
    const b = await consumeInto(ch, auto, { noAck: true });
    await fill(auto, 2, "b");
    expect(await ch.checkQueue(auto)).toMatchObject({ messageCount: 2 });
    await settle();
    expect(b.inbox.pending).toBe(0);
    ch.ack(first);
    // the freed slot goes to the manual-ack consumer or to the no-ack one (which never takes it up)
    const second = await a.inbox.next();
    expect(second.content.toString()).toBe("a1");
    ch.ack(second);
    expect(bodies(await b.inbox.take(2))).toEqual(["b0", "b1"]);
  });

  it("a channel-wide prefetch counts consumer deliveries, not basic.get ones (RabbitMQ's limiter)", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await fill(q, 5);
    await ch.prefetch(1, true);
    const got = await ch.get(q);
    if (got === false) throw new Error("basic.get found the queue empty");
    // the unacked basic.get does not use the limit up: the consumer gets one
    const { inbox } = await consumeInto(ch, q);
    const first = await inbox.next();
    // acking the basic.get frees nothing (it never counted); acking the delivery does
    ch.ack(got);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 3 });
    await settle();
    expect(inbox.pending).toBe(0);
    ch.ack(first);
    expect((await inbox.next()).content.toString()).toBe("2");
  });

  it("a channel-wide prefetch set while basic.get deliveries are unacked starts out counting them", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await fill(q, 5);
    const got = await ch.get(q);
    if (got === false) throw new Error("basic.get found the queue empty");
    await ch.prefetch(1, true);
    const { inbox } = await consumeInto(ch, q);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 4 });
    // and acking that basic.get does not give the slot back (RabbitMQ 3.10: the channel is stuck
    // until basic.qos changes)
    ch.ack(got);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 4 });
    await settle();
    expect(inbox.pending).toBe(0);
    await ch.prefetch(2, false);
    expect(bodies(await inbox.take(4))).toEqual(["1", "2", "3", "4"]);
  });

  it("prefetch 2 per consumer or per channel, set before or after basic.consume, with and without no-ack", async () => {
    // [global, qos after consume, no-ack, messages published before the consume] → deliveries before any ack
    const cases: [boolean, boolean, boolean, boolean, number][] = [
      [false, false, false, false, 2],
      [false, false, false, true, 2],
      [false, false, true, false, 5],
      [false, true, false, false, 5],
      [false, true, true, true, 5],
      [true, false, false, false, 2],
      [true, false, false, true, 2],
      [true, false, true, false, 5],
      // a channel-wide prefetch set after consume applies to that consumer from then on
      [true, true, false, false, 2],
      [true, true, false, true, 5],
      [true, true, true, false, 5],
    ];
    const seen: number[] = [];
    for (const [global, after, noAck, publishFirst] of cases) {
      const { ch } = await suite.channel();
      const q = (await ch.assertQueue("", { exclusive: true })).queue;
      if (publishFirst) await fill(q, 5);
      if (!after) await ch.prefetch(2, global);
      const { inbox } = await consumeInto(ch, q, { noAck });
      if (after) await ch.prefetch(2, global);
      if (!publishFirst) await fill(q, 5);
      const { messageCount } = await eventually(async () => {
        const r = await ch.checkQueue(q);
        if (inbox.pending + r.messageCount !== 5) throw new Error("deliveries still on the way");
        return r;
      });
      seen.push(5 - messageCount);
      if (!noAck && inbox.pending < 5) {
        ch.ack((await inbox.next())!);
        await inbox.take(5 - messageCount);
      }
    }
    expect(seen).toEqual(cases.map((c) => c[4]));
  });

  it("prefetch is ignored for no-ack consumers", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.prefetch(1, false);
    const { inbox } = await consumeInto(ch, q, { noAck: true });
    await fill(q, 5);
    expect(bodies(await inbox.take(5))).toEqual(["0", "1", "2", "3", "4"]);
  });
});

describe("basic.get", () => {
  it("get-ok carries the remaining message count; an empty queue answers get-empty", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await fill(q, 3);
    const counts: number[] = [];
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) throw new Error("unexpected get-empty");
      counts.push(m.fields.messageCount);
      got.push(m.content.toString());
    }
    expect(got).toEqual(["0", "1", "2"]);
    expect(counts).toEqual([2, 1, 0]);
    expect(await ch.get(q, { noAck: true })).toBe(false);
  });

  it("get-ok carries exchange, routing key, redelivered=false and a delivery tag", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.bindQueue(q, "amq.direct", q);
    ch.publish("amq.direct", q, Buffer.from("fields"));
    await ch.waitForConfirms();
    const m = await ch.get(q);
    expect(m).not.toBe(false);
    if (m === false) return;
    expect(m.fields).toMatchObject({ exchange: "amq.direct", routingKey: q, redelivered: false, deliveryTag: 1, messageCount: 0 });
    ch.ack(m);
  });

  it("basic.get from a missing queue is refused with 404", async () => {
    const { ch } = await suite.channel();
    await expectFailure(ch.get("conf.no-such-queue.x2"), 404, "NOT_FOUND - no queue 'conf.no-such-queue.x2' in vhost '/'");
  });
});
