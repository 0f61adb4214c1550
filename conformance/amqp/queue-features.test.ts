// RabbitMQ's queue features over AMQP: message and queue TTLs, length limits and overflow modes,
// dead-lettering with x-death, priority queues, single active consumer, quorum delivery limits,
// alternate exchanges and CC/BCC. Header field types are checked on the wire with a raw consumer.

import { describe, expect, it } from "vitest";
import type { Channel } from "amqplib";
import { conformanceSuite, consumeInto, eventually, expectFailure, expectQueueGone, runPython } from "./helpers.js";
import { consumeOneRaw } from "./raw/connection.js";

const suite = conformanceSuite();

async function getOne(ch: Channel, queue: string, noAck = true) {
  return eventually(async () => {
    const m = await ch.get(queue, { noAck });
    if (m === false) throw new Error(`nothing in ${queue} yet`);
    return m;
  });
}

async function drainNow(ch: Channel, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (let m = await ch.get(queue, { noAck: true }); m !== false; m = await ch.get(queue, { noAck: true })) out.push(m.content.toString());
  return out;
}

/** A fanout DLX with one bound queue; returns both names. */
async function deadLetterTarget(ch: Channel): Promise<{ dlx: string; dlq: string }> {
  const dlx = suite.exchangeName("dlx");
  const dlq = suite.queueName("dlq");
  await ch.assertExchange(dlx, "fanout", { durable: false, autoDelete: false });
  await ch.assertQueue(dlq, { durable: false });
  await ch.bindQueue(dlq, dlx, "");
  return { dlx, dlq };
}

describe("dead-lettering", () => {
  it("x-death carries count (long), reason, queue, time (timestamp), exchange, routing-keys (array) and original-expiration on the wire", async () => {
    const { ch } = await suite.channel();
    const { dlx, dlq } = await deadLetterTarget(ch);
    const q = suite.queueName("dl-src");
    await ch.assertQueue(q, { durable: false, arguments: { "x-dead-letter-exchange": dlx } });
    ch.sendToQueue(q, Buffer.from("m"), { expiration: "60000", headers: { CC: ["nowhere"] } });
    const m = await eventually(async () => {
      const g = await ch.get(q);
      if (g === false) throw new Error("not yet");
      return g;
    });
    ch.nack(m, false, false);
    const raw = await suite.raw();
    await raw.openChannel(1);
    const d = await consumeOneRaw(raw, 1, dlq);
    expect(d.exchange).toBe(dlx);
    expect(d.routingKey).toBe(q);
    expect(d.properties.expiration).toBeUndefined();
    const h = d.properties.headers!;
    expect(Object.keys(h)).toEqual(["CC", "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason"]);
    const deaths = h["x-death"]!;
    expect(deaths.type).toBe("A");
    const entry = (deaths.value as { type: string; value: Record<string, { type: string; value: unknown }> }[])[0]!;
    expect(entry.type).toBe("F");
    const t = entry.value;
    expect(Object.keys(t)).toEqual(["count", "reason", "queue", "time", "exchange", "routing-keys", "original-expiration"]);
    expect(t["count"]).toEqual({ type: "l", value: 1n });
    expect(t["reason"]).toEqual({ type: "S", value: "rejected" });
    expect(t["queue"]).toEqual({ type: "S", value: q });
    expect(t["time"]!.type).toBe("T");
    expect(Math.abs(Number(t["time"]!.value) - Date.now() / 1000)).toBeLessThan(60);
    expect(t["exchange"]).toEqual({ type: "S", value: "" });
    expect(t["routing-keys"]).toEqual({
      type: "A",
      value: [
        { type: "S", value: q },
        { type: "S", value: "nowhere" },
      ],
    });
    expect(t["original-expiration"]).toEqual({ type: "S", value: "60000" });
    expect(h["x-first-death-reason"]).toEqual({ type: "S", value: "rejected" });
    expect(h["x-first-death-queue"]).toEqual({ type: "S", value: q });
    expect(h["x-first-death-exchange"]).toEqual({ type: "S", value: "" });
  });

  it("expired messages (x-message-ttl) are dead-lettered with reason expired, per-message expiration too", async () => {
    const { ch } = await suite.channel();
    const { dlx, dlq } = await deadLetterTarget(ch);
    const q = suite.queueName("ttl");
    await ch.assertQueue(q, { durable: false, arguments: { "x-message-ttl": 100, "x-dead-letter-exchange": dlx } });
    ch.sendToQueue(q, Buffer.from("queue-ttl"));
    const m = await getOne(ch, dlq);
    expect(m.content.toString()).toBe("queue-ttl");
    expect(m.properties.headers!["x-first-death-reason"]).toBe("expired");
    const q2 = suite.queueName("ttl-msg");
    await ch.assertQueue(q2, { durable: false, arguments: { "x-dead-letter-exchange": dlx } });
    ch.sendToQueue(q2, Buffer.from("msg-ttl"), { expiration: "50" });
    const m2 = await getOne(ch, dlq);
    expect(m2.content.toString()).toBe("msg-ttl");
    expect(m2.properties.headers!["x-death"]?.[0]?.["original-expiration"]).toBe("50");
  });

  it("x-message-ttl 0 reaches a consumer that can take it now and expires otherwise", async () => {
    const { ch } = await suite.channel();
    const { dlx, dlq } = await deadLetterTarget(ch);
    const q = suite.queueName("ttl0");
    await ch.assertQueue(q, { durable: false, arguments: { "x-message-ttl": 0, "x-dead-letter-exchange": dlx } });
    ch.sendToQueue(q, Buffer.from("nobody"));
    expect((await getOne(ch, dlq)).content.toString()).toBe("nobody");
    const { ch: cch } = await suite.channel();
    const { inbox } = await consumeInto(cch, q, { noAck: true });
    ch.sendToQueue(q, Buffer.from("taken"));
    expect((await inbox.next()).content.toString()).toBe("taken");
  });

  it("a TTL-0 message (x-message-ttl 0 or expiration 0) that is requeued expires instead of coming back", async () => {
    const { ch } = await suite.channel();
    const { dlx, dlq } = await deadLetterTarget(ch);
    for (const perMessage of [false, true]) {
      const q = suite.queueName(perMessage ? "ttl0-msg-requeue" : "ttl0-requeue");
      await ch.assertQueue(q, {
        durable: false,
        arguments: { "x-dead-letter-exchange": dlx, ...(perMessage ? {} : { "x-message-ttl": 0 }) },
      });
      const { ch: cch } = await suite.channel();
      const { inbox } = await consumeInto(cch, q);
      ch.sendToQueue(q, Buffer.from(`nacked-${perMessage}`), perMessage ? { expiration: "0" } : {});
      cch.nack(await inbox.next(), false, true);
      const dead = await getOne(ch, dlq);
      expect(dead.content.toString()).toBe(`nacked-${perMessage}`);
      expect(dead.properties.headers!["x-death"]?.[0]?.reason).toBe("expired");
      // the dead-letter is the fence: the requeue has been handled, and it delivered nothing more
      expect(inbox.pending).toBe(0);
      // the same when the channel holding it closes
      ch.sendToQueue(q, Buffer.from(`closed-${perMessage}`), perMessage ? { expiration: "0" } : {});
      await inbox.next();
      await cch.close();
      expect((await getOne(ch, dlq)).content.toString()).toBe(`closed-${perMessage}`);
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    }
  });

  it("an x-death that came with the message is merged by queue and reason (RabbitMQ 3.10's grouping), the match's count raised", async () => {
    const { ch } = await suite.channel();
    const dlq = suite.queueName("xdeath-merge-dlq");
    const q = suite.queueName("xdeath-merge");
    await ch.assertQueue(dlq, { durable: false });
    await ch.assertQueue(q, { durable: false, arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq } });
    const deadLetterOnce = async (xDeath: unknown) => {
      ch.sendToQueue(q, Buffer.from("m"), { headers: { "x-death": xDeath, "x-first-death-queue": "elsewhere" } });
      ch.reject(await getOne(ch, q, false), false);
      const h = (await getOne(ch, dlq)).properties.headers!;
      return {
        deaths: h["x-death"] as unknown as Record<string, unknown>[],
        firstQueue: h["x-first-death-queue"],
        firstReason: h["x-first-death-reason"],
      };
    };
    // entries from an older format: repeated (queue, reason) pairs, some without a count
    const merged = await deadLetterOnce([
      { count: 2, reason: "expired", queue: "a", exchange: "", "routing-keys": ["a"] },
      { reason: "rejected", queue: q, exchange: "" },
      { count: 5, reason: "expired", queue: "a", exchange: "zzz" },
      { reason: "rejected", queue: "b" },
      { reason: "rejected", queue: "b", count: 7 },
      { reason: "rejected", queue: q, count: 3, exchange: "second" },
    ]);
    expect(merged.deaths).toEqual([
      // this death: the first (q, rejected) entry, counted as its group of 2, plus one
      { count: 3, exchange: "", queue: q, reason: "rejected" },
      // the other groups in reverse order of first appearance; a group's first entry keeps its count
      { count: 2, reason: "rejected", queue: "b" },
      { count: 2, reason: "expired", queue: "a", exchange: "", "routing-keys": ["a"] },
    ]);
    expect([merged.firstQueue, merged.firstReason]).toEqual(["elsewhere", undefined]);
    // an x-death that is not an array is replaced; x-first-death-* are left alone
    const reset = await deadLetterOnce("not an array");
    expect(reset.deaths).toHaveLength(1);
    expect(reset.deaths[0]).toMatchObject({ count: 1, reason: "rejected", queue: q, exchange: "", "routing-keys": [q] });
    expect([reset.firstQueue, reset.firstReason]).toEqual(["elsewhere", undefined]);
  });

  it("x-dead-letter-routing-key routes the dead-letter with that key", async () => {
    const { ch } = await suite.channel();
    const dlq = suite.queueName("dlrk-target");
    const q = suite.queueName("dlrk");
    await ch.assertQueue(dlq, { durable: false });
    await ch.assertQueue(q, { durable: false, arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq } });
    ch.sendToQueue(q, Buffer.from("m"));
    const got = await eventually(async () => {
      const g = await ch.get(q);
      if (g === false) throw new Error("not yet");
      return g;
    });
    ch.reject(got, false);
    const m = await getOne(ch, dlq);
    expect(m.fields.routingKey).toBe(dlq);
    expect(m.properties.headers!["x-death"]?.[0]?.["routing-keys"]).toEqual([q]);
  });

  it("pika sees the same x-death (count, reason, queue, timestamp time, routing-keys, original-expiration)", async () => {
    const q = suite.queueName("pika-dl");
    const dlq = suite.queueName("pika-dlq");
    const r = await runPython<Record<string, unknown>>(suite, "queue_features.py", ["dlx", q, dlq]);
    expect(r).toEqual({
      body: "dead",
      routing_key: dlq,
      expiration: null,
      count: 1,
      reason: "rejected",
      queue: q,
      time_type: "datetime",
      routing_keys: [q],
      original_expiration: "60000",
      first_reason: "rejected",
    });
  });
});

describe("length limits", () => {
  it("drop-head keeps the newest x-max-length messages and dead-letters the rest as maxlen", async () => {
    const { conn, ch } = await suite.confirmChannel();
    const { dlx, dlq } = await deadLetterTarget(ch);
    const q = suite.queueName("maxlen");
    await ch.assertQueue(q, { durable: false, arguments: { "x-max-length": 2, "x-dead-letter-exchange": dlx } });
    for (const b of ["1", "2", "3", "4"]) ch.sendToQueue(q, Buffer.from(b));
    await ch.waitForConfirms();
    void conn;
    expect(await drainNow(ch, q)).toEqual(["3", "4"]);
    const first = await getOne(ch, dlq);
    expect(first.content.toString()).toBe("1");
    expect(first.properties.headers!["x-first-death-reason"]).toBe("maxlen");
  });

  it("reject-publish nacks the publish that does not fit; reject-publish-dlx also dead-letters it", async () => {
    const { ch } = await suite.confirmChannel();
    const { dlx, dlq } = await deadLetterTarget(ch);
    for (const overflow of ["reject-publish", "reject-publish-dlx"]) {
      const q = suite.queueName(overflow);
      await ch.assertQueue(q, { durable: false, arguments: { "x-max-length": 1, "x-overflow": overflow, "x-dead-letter-exchange": dlx } });
      const results: string[] = [];
      for (const b of ["1", "2"]) {
        await new Promise<void>((resolve) =>
          ch.sendToQueue(q, Buffer.from(b), {}, (err) => {
            results.push(err ? "nack" : "ack");
            resolve();
          }),
        );
      }
      expect(results).toEqual(["ack", "nack"]);
      expect(await drainNow(ch, q)).toEqual(["1"]);
    }
    expect((await getOne(ch, dlq)).content.toString()).toBe("2");
    expect(await drainNow(ch, dlq)).toEqual([]);
  });
});

describe("length limits and requeue", () => {
  for (const how of ["nack", "recover", "channel close"] as const) {
    it(`messages returned by ${how} past x-max-length are dropped from the head (dead-lettered as maxlen)`, async () => {
      const { ch } = await suite.confirmChannel();
      const { dlx, dlq } = await deadLetterTarget(ch);
      const q = suite.queueName("maxlen-requeue");
      await ch.assertQueue(q, { durable: false, arguments: { "x-max-length": 2, "x-dead-letter-exchange": dlx } });
      const { ch: held } = await suite.channel();
      for (const b of ["1", "2"]) ch.sendToQueue(q, Buffer.from(b));
      await ch.waitForConfirms();
      await getOne(held, q, false);
      await getOne(held, q, false);
      for (const b of ["3", "4"]) ch.sendToQueue(q, Buffer.from(b));
      await ch.waitForConfirms();
      if (how === "nack") held.nackAll(true);
      else if (how === "recover") await held.recover();
      else await held.close();
      const dead = [(await getOne(ch, dlq)).content.toString(), (await getOne(ch, dlq)).content.toString()];
      expect(dead).toEqual(["1", "2"]);
      expect(await drainNow(ch, q)).toEqual(["3", "4"]);
    });
  }

  it("reject-publish and reject-publish-dlx queues take requeued messages back even past the limit", async () => {
    const { ch } = await suite.confirmChannel();
    const { dlx, dlq } = await deadLetterTarget(ch);
    for (const overflow of ["reject-publish", "reject-publish-dlx"]) {
      const q = suite.queueName(overflow);
      await ch.assertQueue(q, { durable: false, arguments: { "x-max-length": 1, "x-overflow": overflow, "x-dead-letter-exchange": dlx } });
      const { ch: held } = await suite.channel();
      ch.sendToQueue(q, Buffer.from("1"));
      await ch.waitForConfirms();
      await getOne(held, q, false);
      ch.sendToQueue(q, Buffer.from("2"));
      await ch.waitForConfirms();
      await held.close();
      await eventually(async () => expect((await ch.checkQueue(q)).messageCount).toBe(2));
      expect(await drainNow(ch, q)).toEqual(["1", "2"]);
    }
    expect(await drainNow(ch, dlq)).toEqual([]);
  });
});

describe("queue TTL", () => {
  it("x-expires deletes a queue nobody uses", async () => {
    const { conn, ch } = await suite.channel();
    const q = suite.queueName("expires");
    await ch.assertQueue(q, { durable: false, arguments: { "x-expires": 200 } });
    await expectQueueGone(conn, q, "bind");
  });

  it("a passive declare renews the x-expires lease", async () => {
    const { conn, ch } = await suite.channel();
    const q = suite.queueName("expires-renewed");
    await ch.assertQueue(q, { durable: false, arguments: { "x-expires": 1000 } });
    const declaredAt = Date.now();
    // passive declares every 50 ms for two and a half leases: the queue outlives them, then expires
    while (Date.now() - declaredAt < 2500) {
      expect((await ch.checkQueue(q)).queue).toBe(q);
      await new Promise((r) => setTimeout(r, 50));
    }
    await expectQueueGone(conn, q, "bind");
  });
});

describe("priorities and consumers", () => {
  it("x-max-priority delivers higher priorities first, capped at the maximum", async () => {
    const { ch } = await suite.confirmChannel();
    const q = suite.queueName("prio");
    await ch.assertQueue(q, { durable: false, arguments: { "x-max-priority": 5 } });
    for (const p of [0, 9, 3, 5, 1]) ch.sendToQueue(q, Buffer.from(String(p)), { priority: p });
    await ch.waitForConfirms();
    expect(await drainNow(ch, q)).toEqual(["9", "5", "3", "1", "0"]);
  });

  it("pika: a priority queue with x-max-priority 5 treats 5..9 alike (FIFO) and orders the rest", async () => {
    const q = suite.queueName("pika-prio");
    expect(await runPython(suite, "queue_features.py", ["priority", q])).toEqual({
      order: ["5", "6", "7", "8", "9", "4", "3", "2", "1", "0"],
    });
  });

  it("single active consumer: only the first consumer gets messages; when it cancels the next takes over", async () => {
    const { ch } = await suite.confirmChannel();
    const q = suite.queueName("sac");
    await ch.assertQueue(q, { durable: false, arguments: { "x-single-active-consumer": true } });
    const { ch: c1 } = await suite.channel();
    const { ch: c2 } = await suite.channel();
    const a = await consumeInto(c1, q, { noAck: true });
    const b = await consumeInto(c2, q, { noAck: true, priority: 10 });
    ch.sendToQueue(q, Buffer.from("1"));
    expect((await a.inbox.next()).content.toString()).toBe("1");
    await c1.cancel(a.consumerTag);
    ch.sendToQueue(q, Buffer.from("2"));
    expect((await b.inbox.next()).content.toString()).toBe("2");
  });

  it("quorum queues: x-delivery-count on redelivery, dead-lettered with reason delivery_limit past x-delivery-limit", async () => {
    const { ch } = await suite.channel();
    const { dlx, dlq } = await deadLetterTarget(ch);
    const q = suite.queueName("qq");
    await ch.assertQueue(q, {
      durable: true,
      arguments: { "x-queue-type": "quorum", "x-delivery-limit": 1, "x-dead-letter-exchange": dlx },
    });
    ch.sendToQueue(q, Buffer.from("m"));
    const counts: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await eventually(async () => {
        const g = await ch.get(q);
        if (g === false) throw new Error("not yet");
        return g;
      });
      counts.push(m.properties.headers!["x-delivery-count"]);
      ch.nack(m, false, true);
    }
    expect(counts).toEqual([0, 1]);
    const dead = await getOne(ch, dlq);
    expect(dead.properties.headers!["x-first-death-reason"]).toBe("delivery_limit");
  });
});

describe("routing extras", () => {
  it("an alternate exchange takes what the exchange cannot route (and mandatory is satisfied)", async () => {
    const { ch } = await suite.confirmChannel();
    const ae = suite.exchangeName("ae");
    const x = suite.exchangeName("main");
    const q = suite.queueName("ae-q");
    await ch.assertExchange(ae, "fanout", { durable: false });
    await ch.assertExchange(x, "direct", { durable: false, arguments: { "alternate-exchange": ae } });
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, ae, "");
    let returned = false;
    ch.on("return", () => (returned = true));
    ch.publish(x, "no-binding", Buffer.from("m"), { mandatory: true });
    await ch.waitForConfirms();
    expect((await getOne(ch, q)).content.toString()).toBe("m");
    expect(returned).toBe(false);
  });

  it("CC and BCC headers route to more queues; BCC never reaches a consumer", async () => {
    const { ch } = await suite.confirmChannel();
    const [a, b, c] = [suite.queueName("cc-a"), suite.queueName("cc-b"), suite.queueName("cc-c")];
    for (const n of [a, b, c]) await ch.assertQueue(n, { durable: false });
    ch.sendToQueue(a, Buffer.from("m"), { headers: { CC: [b], BCC: [c] } });
    await ch.waitForConfirms();
    for (const n of [a, b, c]) {
      const m = await getOne(ch, n);
      expect(m.properties.headers!["CC"]).toEqual([b]);
      expect(m.properties.headers!["BCC"]).toBeUndefined();
    }
  });

  it("a CC or BCC header that is not an array closes the channel with 406 naming the header and its type", async () => {
    const conn = await suite.connect();
    const q = suite.queueName("cc-type");
    const cases: [Record<string, unknown>, string][] = [
      [{ CC: 5 }, '"CC",byte'],
      [{ CC: "q" }, '"CC",longstr'],
      [{ CC: { a: 1 } }, '"CC",table'],
      [{ CC: null }, '"CC",void'],
      [{ CC: [], BCC: true }, '"BCC",bool'],
      [{ BCC: 5, CC: "q" }, '"CC",longstr'],
    ];
    for (const [headers, detail] of cases) {
      const ch = await conn.createConfirmChannel();
      ch.on("error", () => undefined);
      await ch.assertQueue(q, { durable: false });
      const closed = new Promise<unknown>((_, reject) => ch.once("error", reject));
      ch.sendToQueue(q, Buffer.from("m"), { headers });
      await expectFailure(closed, 406, `PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,${detail}}`);
    }
    // arrays are fine whatever they hold: an empty one, or one with a number in it, is delivered
    const { ch } = await suite.confirmChannel();
    ch.sendToQueue(q, Buffer.from("ok"), { headers: { CC: [], BCC: [1] } });
    await ch.waitForConfirms();
    expect(await drainNow(ch, q)).toEqual(["ok"]);
  });
});
