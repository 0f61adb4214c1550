// RabbitMQ's six tutorials and the publisher-confirms tutorial, written as the tutorials write
// them with amqplib's promise API (names made unique so runs on a shared broker never meet).

import { describe, expect, it } from "vitest";
import type { Channel, ConsumeMessage } from "amqplib";
import { randomUUID } from "node:crypto";
import { bodies, conformanceSuite, consumeInto, Inbox, settle } from "./helpers.js";

const suite = conformanceSuite();

describe("tutorial 1: hello world", () => {
  it("a message sent to a named queue reaches its consumer", async () => {
    const queue = suite.queueName("hello");
    const sender = await suite.connect();
    const sch = await sender.createChannel();
    await sch.assertQueue(queue, { durable: false });
    const receiver = await suite.connect();
    const rch = await receiver.createChannel();
    await rch.assertQueue(queue, { durable: false });
    const { inbox } = await consumeInto(rch, queue, { noAck: true });
    sch.sendToQueue(queue, Buffer.from("Hello World!"));
    const m = await inbox.next();
    expect(m.content.toString()).toBe("Hello World!");
    expect(m.fields).toMatchObject({ exchange: "", routingKey: queue, redelivered: false });
  });
});

describe("tutorial 2: work queues", () => {
  it("durable queue, persistent tasks, prefetch 1 and manual ack dispatch fairly: a busy worker gets no more tasks", async () => {
    const queue = suite.queueName("task_queue");
    const producer = await suite.connect();
    const pch = await producer.createConfirmChannel();
    await pch.assertQueue(queue, { durable: true });

    const workers: Array<{ ch: Channel; got: ConsumeMessage[] }> = [];
    const all = new Inbox<ConsumeMessage>();
    let held: { ch: Channel; m: ConsumeMessage } | undefined;
    for (let w = 0; w < 2; w++) {
      const conn = await suite.connect();
      const ch = await conn.createChannel();
      await ch.assertQueue(queue, { durable: true });
      await ch.prefetch(1);
      const worker = { ch, got: [] as ConsumeMessage[] };
      workers.push(worker);
      await ch.consume(
        queue,
        (m) => {
          if (!m) return;
          worker.got.push(m);
          // The first task anyone receives is a "long" one: its worker keeps it unacked.
          if (!held) held = { ch, m };
          else ch.ack(m);
          all.push(m);
        },
        { noAck: false },
      );
    }
    const tasks = Array.from({ length: 10 }, (_, i) => `task ${i}${".".repeat(i % 3)}`);
    for (const t of tasks) pch.sendToQueue(queue, Buffer.from(t), { persistent: true });
    await pch.waitForConfirms();
    await all.take(tasks.length);
    const busy = workers.find((w) => w.ch === held!.ch)!;
    const idle = workers.find((w) => w.ch !== held!.ch)!;
    // While the busy worker holds its unacked task it receives nothing else.
    expect(busy.got).toHaveLength(1);
    expect(idle.got).toHaveLength(tasks.length - 1);
    expect([...bodies(busy.got), ...bodies(idle.got)].sort()).toEqual([...tasks].sort());
    expect(all.all.every((m) => m.properties.deliveryMode === 2)).toBe(true);
    held!.ch.ack(held!.m);
    expect(await pch.checkQueue(queue)).toMatchObject({ messageCount: 0 });
  });

  it("an unacked task of a worker that dies is redelivered to another worker", async () => {
    const queue = suite.queueName("task_queue2");
    const { ch: pch } = await suite.confirmChannel();
    await pch.assertQueue(queue, { durable: true });
    pch.sendToQueue(queue, Buffer.from("important"), { persistent: true });
    await pch.waitForConfirms();
    const dying = await suite.connect();
    const dch = await dying.createChannel();
    await dch.prefetch(1);
    const first = await consumeInto(dch, queue);
    await first.inbox.next();
    await dying.close();
    const { ch: survivor } = await suite.channel();
    await survivor.prefetch(1);
    const second = await consumeInto(survivor, queue);
    const m = await second.inbox.next();
    expect([m.content.toString(), m.fields.redelivered]).toEqual(["important", true]);
    survivor.ack(m);
  });
});

describe("tutorial 3: publish/subscribe", () => {
  it("a fanout exchange copies every log line to every subscriber's temporary queue", async () => {
    const exchange = suite.exchangeName("logs");
    const subscribers: Inbox<ConsumeMessage>[] = [];
    for (let i = 0; i < 3; i++) {
      const { ch } = await suite.channel();
      await ch.assertExchange(exchange, "fanout", { durable: false });
      const q = await ch.assertQueue("", { exclusive: true });
      expect(q.queue).toMatch(/^amq\.gen-/);
      await ch.bindQueue(q.queue, exchange, "");
      subscribers.push((await consumeInto(ch, q.queue, { noAck: true })).inbox);
    }
    const { ch: pub } = await suite.channel();
    await pub.assertExchange(exchange, "fanout", { durable: false });
    for (const line of ["info: one", "warning: two", "error: three"]) pub.publish(exchange, "", Buffer.from(line));
    for (const s of subscribers) expect(bodies(await s.take(3))).toEqual(["info: one", "warning: two", "error: three"]);
  });
});

describe("tutorial 4: routing", () => {
  it("a direct exchange routes log lines by severity", async () => {
    const exchange = suite.exchangeName("direct_logs");
    const subscribe = async (severities: string[]) => {
      const { ch } = await suite.channel();
      await ch.assertExchange(exchange, "direct", { durable: false });
      const q = await ch.assertQueue("", { exclusive: true });
      for (const s of severities) await ch.bindQueue(q.queue, exchange, s);
      return { ch, q: q.queue, ...(await consumeInto(ch, q.queue, { noAck: true })) };
    };
    const errorsOnly = await subscribe(["error"]);
    const everything = await subscribe(["info", "warning", "error"]);
    const { ch: pub } = await suite.confirmChannel();
    await pub.assertExchange(exchange, "direct", { durable: false });
    for (const [sev, msg] of [
      ["info", "i"],
      ["warning", "w"],
      ["error", "e"],
      ["debug", "d"],
    ] as const)
      pub.publish(exchange, sev, Buffer.from(msg));
    await pub.waitForConfirms();
    expect((await everything.inbox.take(3)).map((m) => [m.fields.routingKey, m.content.toString()])).toEqual([
      ["info", "i"],
      ["warning", "w"],
      ["error", "e"],
    ]);
    expect(bodies(await errorsOnly.inbox.take(1))).toEqual(["e"]);
    await errorsOnly.ch.checkQueue(errorsOnly.q);
    await settle();
    expect(errorsOnly.inbox.pending).toBe(0);
  });
});

describe("tutorial 5: topics", () => {
  it("routes the tutorial's animals: *.orange.*, *.*.rabbit and lazy.#", async () => {
    const exchange = suite.exchangeName("topic_logs");
    const { ch } = await suite.confirmChannel();
    await ch.assertExchange(exchange, "topic", { durable: false });
    const q1 = (await ch.assertQueue("", { exclusive: true })).queue;
    const q2 = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.bindQueue(q1, exchange, "*.orange.*");
    await ch.bindQueue(q2, exchange, "*.*.rabbit");
    await ch.bindQueue(q2, exchange, "lazy.#");
    const keys = [
      "quick.orange.rabbit",
      "lazy.orange.elephant",
      "quick.orange.fox",
      "lazy.brown.fox",
      "lazy.pink.rabbit",
      "quick.brown.fox",
      "orange",
      "quick.orange.new.rabbit",
      "lazy.orange.new.rabbit",
    ];
    for (const k of keys) ch.publish(exchange, k, Buffer.from(k));
    await ch.waitForConfirms();
    const drainKeys = async (q: string) => {
      const out: string[] = [];
      for (let m = await ch.get(q, { noAck: true }); m !== false; m = await ch.get(q, { noAck: true })) out.push(m.content.toString());
      return out;
    };
    expect(await drainKeys(q1)).toEqual(["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"]);
    expect(await drainKeys(q2)).toEqual([
      "quick.orange.rabbit",
      "lazy.orange.elephant",
      "lazy.brown.fox",
      "lazy.pink.rabbit",
      "lazy.orange.new.rabbit",
    ]);
  });
});

const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));

/** The tutorial's RPC server: prefetch 1, replies to reply_to with the request's correlation_id. */
async function startRpcServer(queue: string): Promise<void> {
  const { ch } = await suite.channel();
  await ch.assertQueue(queue, { durable: false });
  await ch.prefetch(1);
  await ch.consume(queue, (m) => {
    if (!m) return;
    const n = Number(m.content.toString());
    ch.sendToQueue(m.properties.replyTo as string, Buffer.from(String(fib(n))), { correlationId: m.properties.correlationId as string });
    ch.ack(m);
  });
}

describe("tutorial 6: RPC", () => {
  it("requests carry reply_to and correlation_id; concurrent calls are matched by correlation_id", async () => {
    const queue = suite.queueName("rpc_queue");
    await startRpcServer(queue);
    const { ch } = await suite.channel();
    const callback = (await ch.assertQueue("", { exclusive: true })).queue;
    const pending = new Map<string, (v: number) => void>();
    await ch.consume(
      callback,
      (m) => {
        const resolve = m && pending.get(m.properties.correlationId as string);
        if (resolve) resolve(Number(m.content.toString()));
      },
      { noAck: true },
    );
    const call = (n: number) =>
      new Promise<number>((resolve) => {
        const correlationId = randomUUID();
        pending.set(correlationId, resolve);
        ch.sendToQueue(queue, Buffer.from(String(n)), { correlationId, replyTo: callback });
      });
    expect(await Promise.all([10, 15, 20, 1, 0].map(call))).toEqual([55, 610, 6765, 1, 0]);
  });

  it("direct reply-to: a client consuming amq.rabbitmq.reply-to (no-ack) gets replies without declaring a queue", async () => {
    const queue = suite.queueName("rpc_direct");
    await startRpcServer(queue);
    const { ch } = await suite.channel();
    const replies = new Inbox<ConsumeMessage>();
    await ch.consume("amq.rabbitmq.reply-to", (m) => m && replies.push(m), { noAck: true });
    ch.sendToQueue(queue, Buffer.from("12"), { replyTo: "amq.rabbitmq.reply-to", correlationId: "c-12" });
    const reply = await replies.next();
    expect(reply.content.toString()).toBe("144");
    expect(reply.properties.correlationId).toBe("c-12");
  });
});

describe("publisher confirms tutorial", () => {
  it("strategy 1: publishing messages individually, waiting for each confirm", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    for (let i = 0; i < 50; i++) {
      ch.sendToQueue(q, Buffer.from(String(i)));
      await ch.waitForConfirms();
    }
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 50 });
  });

  it("strategy 2: publishing messages in batches, waiting for each batch", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const batchSize = 100;
    let outstanding = 0;
    for (let i = 0; i < 1_000; i++) {
      ch.sendToQueue(q, Buffer.from(String(i)));
      if (++outstanding === batchSize) {
        await ch.waitForConfirms();
        outstanding = 0;
      }
    }
    await ch.waitForConfirms();
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 1_000 });
  });

  it("strategy 3: handling publisher confirms asynchronously, tracking outstanding confirms", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const outstanding = new Set<number>();
    const nacked: number[] = [];
    const allDone = new Promise<void>((resolve) => {
      for (let i = 0; i < 1_000; i++) {
        outstanding.add(i);
        ch.sendToQueue(q, Buffer.from(String(i)), {}, (err) => {
          if (err) nacked.push(i);
          outstanding.delete(i);
          if (outstanding.size === 0) resolve();
        });
      }
    });
    await allDone;
    expect(nacked).toEqual([]);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 1_000 });
  });
});
