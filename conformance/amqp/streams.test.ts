// Stream queues over AMQP 0-9-1 (amqplib): non-destructive reads from x-stream-offset (first,
// last, next, a number, a timestamp, an interval), the x-stream-offset header on deliveries, the
// manual-ack and prefetch rules, consumers at their own offsets, and segment-granular retention.

import { describe, expect, it } from "vitest";
import type { Channel, ConsumeMessage } from "amqplib";
import { conformanceSuite, expectFailure, failureOf, Inbox, nextError, runPython, withTimeout } from "./helpers.js";

const suite = conformanceSuite();

async function stream(tag: string, args: Record<string, unknown> = {}, count = 0, size = 0): Promise<string> {
  const q = suite.queueName(tag);
  const { ch } = await suite.confirmChannel();
  await ch.assertQueue(q, { durable: true, arguments: { "x-queue-type": "stream", ...args } });
  for (let i = 0; i < count; i++) {
    ch.sendToQueue(q, size > 0 ? Buffer.alloc(size, i % 10) : Buffer.from(`m${i}`), { headers: { i } });
    // a confirm per message: each message is its own chunk on RabbitMQ, so "last" means the last
    // message (and RabbitMQ 3.10 retention of chunks larger than a segment loses the whole stream)
    await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  return q;
}

/** A consumer with prefetch 10 that acks what it gets. */
async function reader(q: string, offset?: unknown, ch?: Channel): Promise<Inbox<ConsumeMessage>> {
  const channel = ch ?? (await suite.channel()).ch;
  await channel.prefetch(10);
  const inbox = new Inbox<ConsumeMessage>();
  await channel.consume(
    q,
    (m) => {
      if (!m) return;
      inbox.push(m);
      channel.ack(m);
    },
    { arguments: offset === undefined ? {} : { "x-stream-offset": offset } },
  );
  return inbox;
}

async function take(inbox: Inbox<ConsumeMessage>, n: number): Promise<{ body: string; offset: unknown; i: unknown }[]> {
  const out = [];
  for (let k = 0; k < n; k++) {
    const m = await withTimeout(inbox.next(), 5000, `message ${k + 1} of ${n}`);
    out.push({ body: m.content.toString(), offset: m.properties.headers!["x-stream-offset"], i: m.properties.headers!["i"] });
  }
  return out;
}

describe("stream queues", () => {
  it("first reads everything, with each message's offset in the x-stream-offset header; reading removes nothing", async () => {
    const q = await stream("first", {}, 5);
    const all = await take(await reader(q, "first"), 5);
    expect(all).toEqual([0, 1, 2, 3, 4].map((n) => ({ body: `m${n}`, offset: n, i: n })));
    expect(await take(await reader(q, "first"), 5)).toEqual(all);
  });

  it("last starts at the last message, a number at that offset, next (the default) at what comes after", async () => {
    const q = await stream("offsets", {}, 5);
    expect((await take(await reader(q, "last"), 1)).map((m) => m.body)).toEqual(["m4"]);
    expect((await take(await reader(q, 3), 2)).map((m) => m.body)).toEqual(["m3", "m4"]);
    const next = await reader(q, "next");
    const dflt = await reader(q);
    const { ch } = await suite.confirmChannel();
    ch.sendToQueue(q, Buffer.from("m5"));
    await ch.waitForConfirms();
    expect((await take(next, 1))[0]).toMatchObject({ body: "m5", offset: 5 });
    expect((await take(dflt, 1))[0]).toMatchObject({ body: "m5", offset: 5 });
  });

  it("a timestamp (AMQP timestamp) or an interval string starts at the messages taken since", async () => {
    const q = await stream("time", {}, 3);
    const from = await reader(q, { "!": "timestamp", value: Math.floor(Date.now() / 1000) - 3600 });
    expect((await take(from, 3)).map((m) => m.body)).toEqual(["m0", "m1", "m2"]);
    expect((await take(await reader(q, "1h"), 3)).map((m) => m.body)).toEqual(["m0", "m1", "m2"]);
  });

  it("ten consumers at ten offsets each read on from their own", async () => {
    const q = await stream("many", {}, 0);
    const { ch } = await suite.confirmChannel();
    for (let i = 0; i < 20; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    const readers = await Promise.all(Array.from({ length: 10 }, (_, k) => reader(q, k * 2)));
    const got = await Promise.all(readers.map((r, k) => take(r, 20 - k * 2)));
    got.forEach((msgs, k) => expect(msgs.map((m) => m.offset)).toEqual(Array.from({ length: 20 - k * 2 }, (_, j) => k * 2 + j)));
  });

  it("automatic acks close the connection (540), a consumer without prefetch the channel (406), basic.get and purge are 540", async () => {
    const q = await stream("rules", {}, 1);
    const qq = `queue '${q}' in vhost '/'`;
    // 540 closes the connection: amqplib reports it as the connection's error
    const connectionClosedWith = async (op: (ch: Channel) => Promise<unknown>, text: string) => {
      const { conn, ch } = await suite.channel();
      const closed = nextError(conn);
      await op(ch).catch(() => undefined);
      expect(failureOf(await withTimeout(closed, 5000, "connection close"))).toEqual({ code: 540, text });
    };
    await connectionClosedWith(async (ch) => {
      await ch.prefetch(10);
      await ch.consume(q, () => undefined, { noAck: true, arguments: { "x-stream-offset": "first" } });
    }, `NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues ${qq}`);
    const { ch } = await suite.channel();
    await expectFailure(
      ch.consume(q, () => undefined, { arguments: { "x-stream-offset": "first" } }),
      406,
      `PRECONDITION_FAILED - consumer prefetch count is not set for '${qq}'`,
    );
    await connectionClosedWith((c) => c.get(q), `NOT_IMPLEMENTED - basic.get not supported by stream queues ${qq}`);
    await connectionClosedWith((c) => c.purgeQueue(q), `NOT_IMPLEMENTED - queue.purge not supported by stream queues ${qq}`);
  });

  it("x-max-length-bytes retention drops whole old segments", async () => {
    const q = await stream("retention", { "x-max-length-bytes": 20_000, "x-stream-max-segment-size-bytes": 5_000 }, 200, 500);
    const inbox = await reader(q, "first");
    const [head] = await take(inbox, 1);
    expect(head!.offset as number).toBeGreaterThan(0);
    expect(head!.i as number).toBeGreaterThan(0);
    // what is kept is the byte limit plus at most a segment or two, never the 200 × 500 bytes published
    for (;;) {
      const m = await inbox.next(5000);
      if (m.properties.headers!["i"] === 199) break;
    }
    const kept = inbox.all.length;
    expect(kept).toBeLessThan(200);
    expect(kept * 500).toBeLessThan(20_000 + 2 * 5_000);
  });
});

describe("stream queues with pika", () => {
  it("pika declares a stream and a quorum queue, reads from an offset with manual acks, and is refused auto-ack", async () => {
    const q = suite.queueName("pika-stream");
    suite.cleanupQueue(`${q}.q`);
    const r = await runPython<{ got: { body: string; offset: number }[]; refused: [number, string] }>(suite, "stream.py", [q, "8", "5"]);
    expect(r.got).toEqual([5, 6, 7].map((n) => ({ body: `m${n}`, offset: n })));
    expect(r.refused).toEqual([
      540,
      `NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues queue '${q}' in vhost '/'`,
    ]);
  });
});
