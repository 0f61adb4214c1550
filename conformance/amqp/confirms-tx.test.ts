// Publisher confirms, transactions (tx.select/commit/rollback over publishes and acks) and
// channel.flow, as RabbitMQ 3.10 answers them.

import { describe, expect, it } from "vitest";
import { conformanceSuite, eventually, expectFailure, failureOf, nextError } from "./helpers.js";
import { asMethod, headerFrame, bodyFrame, M, Writer } from "./raw/codec.js";
import type { RawConnection } from "./raw/connection.js";

const suite = conformanceSuite();

function publishRaw(raw: RawConnection, channel: number, exchange: string, routingKey: string, body: string, mandatory = false): void {
  raw.sendMethod(channel, M.basicPublish, new Writer().short(0).shortstr(exchange).shortstr(routingKey).bits(mandatory, false).done());
  const b = Buffer.from(body);
  raw.write(Buffer.concat([headerFrame(channel, b.length), bodyFrame(channel, b)]));
}

describe("publisher confirms", () => {
  it("confirm.select answers select-ok and every publish, routed or not, is acked exactly once", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, [85, 10], new Writer().bits(false).done());
    await raw.expectMethod([85, 11]);
    const n = 50;
    for (let i = 0; i < n; i++) publishRaw(raw, 1, "", i % 2 ? q : "conf.nowhere.unroutable", `m${i}`);
    // Acks need not come in publish order (RabbitMQ acks an unroutable message at once and a
    // routed one after its queue has it); multiple=true covers every outstanding tag up to it.
    const outstanding = new Set(Array.from({ length: n }, (_, i) => i + 1));
    const seen = new Map<number, number>();
    while (outstanding.size > 0) {
      const f = await raw.nextNonHeartbeat();
      const m = asMethod(f);
      if (!m || m.classId !== 60 || m.methodId !== 80)
        throw new Error(`expected basic.ack, got ${m ? `${m.classId}.${m.methodId}` : f.type}`);
      const tag = Number(m.args.longlong());
      const [multiple] = m.args.bits(1);
      const covered = multiple ? [...outstanding].filter((t) => t <= tag) : [tag];
      for (const t of covered) {
        seen.set(t, (seen.get(t) ?? 0) + 1);
        outstanding.delete(t);
      }
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: n / 2 });
  });

  it("amqplib's confirm channel sees every publish confirmed without error (async strategy)", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const results = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) => new Promise<unknown>((resolve) => ch.sendToQueue(q, Buffer.from(String(i)), {}, (err) => resolve(err))),
      ),
    );
    expect(results.every((r) => r === null || r === undefined)).toBe(true);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 200 });
  });

  it("a second confirm.select on a confirm channel is accepted", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, [85, 10], new Writer().bits(false).done());
    await raw.expectMethod([85, 11]);
    raw.sendMethod(1, [85, 10], new Writer().bits(false).done());
    await raw.expectMethod([85, 11]);
  });

  it("an unroutable publish is acked (not nacked)", async () => {
    const { ch } = await suite.confirmChannel();
    const err = await new Promise<unknown>((resolve) =>
      ch.publish("amq.direct", "conf.nobody.listens", Buffer.from("x"), {}, (e) => resolve(e)),
    );
    expect(err ?? null).toBeNull();
  });

  it("switching a confirm channel to tx mode is refused with 406", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, [85, 10], new Writer().bits(false).done());
    await raw.expectMethod([85, 11]);
    raw.sendMethod(1, [90, 10]);
    expect(await raw.expectChannelClose(1)).toEqual({
      replyCode: 406,
      replyText: "PRECONDITION_FAILED - cannot switch from confirm to tx mode",
      classId: 90,
      methodId: 10,
    });
  });

  it("switching a tx channel to confirm mode is refused with 406", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, [90, 10]);
    await raw.expectMethod([90, 11]);
    raw.sendMethod(1, [85, 10], new Writer().bits(false).done());
    expect(await raw.expectChannelClose(1)).toEqual({
      replyCode: 406,
      replyText: "PRECONDITION_FAILED - cannot switch from tx to confirm mode",
      classId: 85,
      methodId: 10,
    });
  });
});

describe("transactions", () => {
  it("publishes in a transaction are invisible until tx.commit", async () => {
    const { ch: probe } = await suite.channel();
    const shared = suite.queueName("tx");
    await probe.assertQueue(shared, { durable: false });
    const conn = await suite.amqpClient();
    const tx = await conn.channel();
    await tx.txSelect();
    await tx.basicPublish("", shared, "one");
    await tx.basicPublish("", shared, "two");
    await tx.queueDeclare(shared, { passive: true }); // round trip: the publishes were processed
    expect(await probe.checkQueue(shared)).toMatchObject({ messageCount: 0 });
    await tx.txCommit();
    await eventually(async () => expect(await probe.checkQueue(shared)).toMatchObject({ messageCount: 2 }));
  });

  it("tx.rollback discards the transaction's publishes", async () => {
    const { ch: probe } = await suite.channel();
    const shared = suite.queueName("txrb");
    await probe.assertQueue(shared, { durable: false });
    const conn = await suite.amqpClient();
    const tx = await conn.channel();
    await tx.txSelect();
    await tx.basicPublish("", shared, "discarded");
    await tx.txRollback();
    await tx.basicPublish("", shared, "kept");
    await tx.txCommit();
    const got = await eventually(async () => {
      const m = await probe.get(shared, { noAck: true });
      if (m === false) throw new Error("not yet");
      return m.content.toString();
    });
    expect(got).toBe("kept");
    expect(await probe.checkQueue(shared)).toMatchObject({ messageCount: 0 });
  });

  it("acks in a transaction take effect at commit; a rolled-back ack leaves the message unacked", async () => {
    const { ch: probe } = await suite.confirmChannel();
    const shared = suite.queueName("txack");
    await probe.assertQueue(shared, { durable: false });
    probe.sendToQueue(shared, Buffer.from("a"));
    probe.sendToQueue(shared, Buffer.from("b"));
    await probe.waitForConfirms();

    const conn = await suite.amqpClient();
    const tx = await conn.channel();
    await tx.txSelect();
    const a = await tx.basicGet(shared, { noAck: false });
    const b = await tx.basicGet(shared, { noAck: false });
    expect([a?.bodyToString(), b?.bodyToString()]).toEqual(["a", "b"]);
    await tx.basicAck(a!.deliveryTag);
    await tx.txRollback();
    // Rolled back: "a" is neither acked nor requeued; acking it again is valid.
    expect(await probe.checkQueue(shared)).toMatchObject({ messageCount: 0 });
    await tx.basicAck(a!.deliveryTag);
    await tx.txCommit();
    // Closing the channel requeues what is still unacked: only "b".
    await tx.close();
    await eventually(async () => expect(await probe.checkQueue(shared)).toMatchObject({ messageCount: 1 }));
    const m = await probe.get(shared, { noAck: true });
    expect(m && [m.content.toString(), m.fields.redelivered]).toEqual(["b", true]);
  });

  it("acks and rejects not committed are undone when the channel closes: every message goes back", async () => {
    const { ch: probe } = await suite.confirmChannel();
    const shared = suite.queueName("txclose");
    await probe.assertQueue(shared, { durable: false });
    for (const b of ["a", "b", "c"]) probe.sendToQueue(shared, Buffer.from(b));
    await probe.waitForConfirms();

    const conn = await suite.amqpClient();
    const tx = await conn.channel();
    await tx.txSelect();
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await tx.basicGet(shared, { noAck: false }));
    expect(got.map((m) => m?.bodyToString())).toEqual(["a", "b", "c"]);
    await tx.basicAck(got[0]!.deliveryTag);
    await tx.basicReject(got[2]!.deliveryTag, false);
    await tx.close();
    await eventually(async () => expect(await probe.checkQueue(shared)).toMatchObject({ messageCount: 3 }));
    const back = [];
    for (let m = await probe.get(shared, { noAck: true }); m !== false; m = await probe.get(shared, { noAck: true })) {
      back.push([m.content.toString(), m.fields.redelivered]);
    }
    expect(back).toEqual([
      ["a", true],
      ["b", true],
      ["c", true],
    ]);
  });

  it("tx.commit without tx.select is refused with 406", async () => {
    const conn = await suite.amqpClient();
    const ch = await conn.channel();
    await expectFailure(ch.txCommit(), 406, "PRECONDITION_FAILED - channel is not transactional");
  });

  it("tx.rollback without tx.select is refused with 406", async () => {
    const conn = await suite.amqpClient();
    const ch = await conn.channel();
    await expectFailure(ch.txRollback(), 406, "PRECONDITION_FAILED - channel is not transactional");
  });

  it("tx.select twice is accepted", async () => {
    const conn = await suite.amqpClient();
    const ch = await conn.channel();
    await ch.txSelect();
    await expect(ch.txSelect()).resolves.toBeUndefined();
  });
});

describe("channel.flow", () => {
  it("channel.flow active=true is answered with flow-ok active=true", async () => {
    const conn = await suite.amqpClient();
    const ch = await conn.channel();
    await expect(ch.basicFlow(true)).resolves.toBe(true);
  });

  it("channel.flow active=false closes the connection with 540 NOT_IMPLEMENTED", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.channelFlow, new Writer().bits(false).done());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 540,
      replyText: "NOT_IMPLEMENTED - active=false",
      classId: 20,
      methodId: 20,
    });
  });
});

describe("refusals that close the connection", () => {
  it("basic.qos with prefetch_size != 0 closes the connection with 540 NOT_IMPLEMENTED", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicQos, new Writer().long(1000).short(1).bits(false).done());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 540,
      replyText: "NOT_IMPLEMENTED - prefetch_size!=0 (1000)",
      classId: 60,
      methodId: 10,
    });
  });

  it("basic.publish with immediate=true closes the connection with 540 NOT_IMPLEMENTED", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicPublish, new Writer().short(0).shortstr("").shortstr("x").bits(false, true).done());
    raw.write(headerFrame(1, 0));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 540,
      replyText: "NOT_IMPLEMENTED - immediate=true",
      classId: 60,
      methodId: 40,
    });
  });
});

describe("message properties validated on publish", () => {
  it("a user_id other than the authenticated user closes the channel with 406", async () => {
    const { ch } = await suite.channel();
    const err = nextError(ch);
    ch.publish("amq.direct", "conf.nobody", Buffer.from("x"), { userId: "bob" });
    expect(failureOf(await err)).toEqual({
      code: 406,
      text: "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'",
    });
  });

  it("a user_id equal to the authenticated user is accepted and delivered", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from("x"), { userId: "guest" });
    await ch.waitForConfirms();
    const m = await ch.get(q, { noAck: true });
    expect(m && m.properties.userId).toBe("guest");
  });

  it.each([
    ["abc", "PRECONDITION_FAILED - invalid expiration 'abc': no_integer"],
    ["-1", "PRECONDITION_FAILED - invalid expiration '-1': {value_negative,-1}"],
    ["1.5", "PRECONDITION_FAILED - invalid expiration '1.5': {leftover_string,\".5\"}"],
  ])("an invalid expiration %j closes the channel with 406", async (expiration, text) => {
    const { ch } = await suite.channel();
    const err = nextError(ch);
    ch.publish("amq.direct", "conf.nobody", Buffer.from("x"), { expiration });
    expect(failureOf(await err)).toEqual({ code: 406, text });
  });
});
