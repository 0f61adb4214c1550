// Acknowledgements: ack/nack/reject with multiple and requeue, requeue position and the
// redelivered flag, basic.recover, requeue of unacked messages on channel and connection close,
// and the refusals for unknown or repeated delivery tags.

import { describe, expect, it } from "vitest";
import type { Channel, GetMessage } from "amqplib";
import { bodies, conformanceSuite, consumeInto, eventually, failureOf, nextError } from "./helpers.js";
import { Writer } from "./raw/codec.js";

const suite = conformanceSuite();

async function fill(queue: string, n: number): Promise<void> {
  const { ch } = await suite.confirmChannel();
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
  await ch.waitForConfirms();
}

async function getN(ch: Channel, queue: string, n: number): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (let i = 0; i < n; i++) {
    const m = await ch.get(queue);
    if (m === false) throw new Error(`get-empty after ${i} messages`);
    out.push(m);
  }
  return out;
}

/** Drains with basic.get and reports body plus redelivered flag. */
async function drainWithFlags(ch: Channel, queue: string): Promise<Array<[string, boolean]>> {
  const out: Array<[string, boolean]> = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push([m.content.toString(), m.fields.redelivered]);
  }
}

async function exclusiveQueue(ch: Channel): Promise<string> {
  return (await ch.assertQueue("", { exclusive: true })).queue;
}

describe("ack", () => {
  it("delivery tags start at 1 per channel and increase across consumers and gets", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 3);
    const m1 = await ch.get(q);
    const { inbox } = await consumeInto(ch, q);
    const [m2, m3] = await inbox.take(2);
    expect([m1 && m1.fields.deliveryTag, m2!.fields.deliveryTag, m3!.fields.deliveryTag]).toEqual([1, 2, 3]);
  });

  it("ack with multiple acknowledges every outstanding tag up to it", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 5);
    const ms = await getN(ch, q, 5);
    ch.ack(ms[2]!, true); // m0..m2
    ch.ack(ms[4]!); // m4 only
    ch.nack(ms[3]!, false, true); // m3 back
    expect(await drainWithFlags(ch, q)).toEqual([["m3", true]]);
  });

  it("ack with delivery tag 0 and multiple acknowledges everything outstanding", async () => {
    const { conn, ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 3);
    const ms = await getN(ch, q, 3);
    ch.ack({ fields: { deliveryTag: 0 } } as never, true);
    // Proof that tag 1 is no longer outstanding: acking it again is an unknown tag.
    const err = nextError(ch);
    ch.ack(ms[0]!);
    expect(failureOf(await err)).toEqual({ code: 406, text: "PRECONDITION_FAILED - unknown delivery tag 1" });
    const probe = await conn.createChannel();
    expect(await probe.checkQueue(q)).toMatchObject({ messageCount: 0 });
  });

  it("acking an unknown delivery tag closes the channel with 406", async () => {
    const { ch } = await suite.channel();
    const err = nextError(ch);
    ch.ack({ fields: { deliveryTag: 5 } } as never);
    expect(failureOf(await err)).toEqual({ code: 406, text: "PRECONDITION_FAILED - unknown delivery tag 5" });
  });

  it("acking the same delivery twice closes the channel with 406", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 1);
    const [m] = await getN(ch, q, 1);
    const err = nextError(ch);
    ch.ack(m!);
    ch.ack(m!);
    expect(failureOf(await err)).toEqual({ code: 406, text: "PRECONDITION_FAILED - unknown delivery tag 1" });
  });

  it("acking a no-ack delivery closes the channel with 406", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 1);
    const m = await ch.get(q, { noAck: true });
    const err = nextError(ch);
    ch.ack(m as GetMessage);
    expect(failureOf(await err)).toEqual({ code: 406, text: "PRECONDITION_FAILED - unknown delivery tag 1" });
  });

  it("nack and reject of an unknown delivery tag close the channel with 406", async () => {
    const a = await suite.channel();
    const errA = nextError(a.ch);
    a.ch.nack({ fields: { deliveryTag: 7 } } as never, false, true);
    expect(failureOf(await errA)).toEqual({ code: 406, text: "PRECONDITION_FAILED - unknown delivery tag 7" });
    const b = await suite.channel();
    const errB = nextError(b.ch);
    b.ch.reject({ fields: { deliveryTag: 9 } } as never, true);
    expect(failureOf(await errB)).toEqual({ code: 406, text: "PRECONDITION_FAILED - unknown delivery tag 9" });
  });

  it("ack with multiple beyond the highest outstanding tag closes the channel with 406", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 1);
    await getN(ch, q, 1);
    const err = nextError(ch);
    ch.ack({ fields: { deliveryTag: 9 } } as never, true);
    expect(failureOf(await err)).toEqual({ code: 406, text: "PRECONDITION_FAILED - unknown delivery tag 9" });
  });
});

describe("nack and reject", () => {
  it("reject without requeue drops the message", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 2);
    const [m0] = await getN(ch, q, 1);
    ch.reject(m0!, false);
    expect(await drainWithFlags(ch, q)).toEqual([["m1", false]]);
  });

  it("nack with multiple and requeue returns every outstanding message up to the tag", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 4);
    const ms = await getN(ch, q, 3);
    ch.nack(ms[1]!, true, true); // m0, m1 back; m2 still held
    expect(await drainWithFlags(ch, q)).toEqual([
      ["m0", true],
      ["m1", true],
      ["m3", false],
    ]);
    ch.ack(ms[2]!);
  });

  it("nack with multiple and no requeue drops them all", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 3);
    const ms = await getN(ch, q, 2);
    ch.nack(ms[1]!, true, false);
    expect(await drainWithFlags(ch, q)).toEqual([["m2", false]]);
  });

  it("a requeued message goes back to its original position, not the tail, with redelivered=true", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 5);
    const ms = await getN(ch, q, 3); // m0 m1 m2 out; m3 m4 ready
    ch.reject(ms[0]!, true);
    ch.reject(ms[2]!, true);
    ch.ack(ms[1]!);
    expect(await drainWithFlags(ch, q)).toEqual([
      ["m0", true],
      ["m2", true],
      ["m3", false],
      ["m4", false],
    ]);
  });

  it("requeueing in reverse order still restores the original order", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 4);
    const ms = await getN(ch, q, 3);
    ch.reject(ms[2]!, true);
    ch.reject(ms[1]!, true);
    ch.reject(ms[0]!, true);
    expect(bodies((await getN(ch, q, 4)) as never)).toEqual(["m0", "m1", "m2", "m3"]);
  });

  it("a requeued message is redelivered to a consumer with redelivered=true", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await ch.prefetch(1);
    const { inbox } = await consumeInto(ch, q);
    await fill(q, 1);
    const first = await inbox.next();
    expect(first.fields.redelivered).toBe(false);
    ch.nack(first, false, true);
    const again = await inbox.next();
    expect(again.content.toString()).toBe("m0");
    expect(again.fields.redelivered).toBe(true);
    expect(again.fields.deliveryTag).toBe(2);
    ch.ack(again);
  });
});

describe("basic.recover", () => {
  it("recover (requeue=true) redelivers every unacked message with redelivered=true", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    const { inbox } = await consumeInto(ch, q);
    await fill(q, 3);
    await inbox.take(3);
    await ch.recover();
    const again = await inbox.take(3);
    expect(again.map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
      ["m0", true],
      ["m1", true],
      ["m2", true],
    ]);
    expect(again.map((m) => m.fields.deliveryTag)).toEqual([4, 5, 6]);
  });

  it("recover with requeue=false closes the connection with 540 NOT_IMPLEMENTED", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, [60, 110], new Writer().bits(false).done());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 540,
      replyText: "NOT_IMPLEMENTED - requeue=false",
      classId: 60,
      methodId: 110,
    });
  });
});

describe("unacked messages on close", () => {
  it("are requeued, in order and marked redelivered, when the channel closes", async () => {
    const { conn, ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 4);
    const consumer = await conn.createChannel();
    const { inbox } = await consumeInto(consumer, q);
    const got = await inbox.take(4);
    consumer.ack(got[1]!);
    await consumer.close();
    await eventually(async () => expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 3 }));
    expect(await drainWithFlags(ch, q)).toEqual([
      ["m0", true],
      ["m2", true],
      ["m3", true],
    ]);
  });

  it("are requeued when the connection closes", async () => {
    const { ch } = await suite.channel();
    const q = suite.queueName("requeue-conn");
    await ch.assertQueue(q, { durable: false });
    await fill(q, 2);
    const other = await suite.connect();
    const och = await other.createChannel();
    const { inbox } = await consumeInto(och, q);
    await inbox.take(2);
    await other.close();
    await eventually(async () => expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 2 }));
    expect(await drainWithFlags(ch, q)).toEqual([
      ["m0", true],
      ["m1", true],
    ]);
  });

  it("are requeued when the channel is closed by an error", async () => {
    const { conn, ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await fill(q, 1);
    const consumer = await conn.createChannel();
    consumer.on("error", () => undefined);
    await getN(consumer, q, 1);
    const err = nextError(consumer);
    consumer.ack({ fields: { deliveryTag: 99 } } as never);
    await err;
    await eventually(async () => expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 1 }));
    expect(await drainWithFlags(ch, q)).toEqual([["m0", true]]);
  });
});
