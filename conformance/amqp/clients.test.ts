// The tutorials again with the other clients migrating applications use: Python pika (hello world,
// work queues, RPC), @cloudamqp/amqp-client (hello world, topics, confirms) and amqplib's callback
// API (hello world, work queues). Python scripts live in ./python and print JSON results.

import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import amqpCallback from "amqplib/callback_api";
import { AMQPSession, type AMQPMessage } from "@cloudamqp/amqp-client";
import { conformanceSuite, consumeInto, deferred, Inbox, runPython, startPython, withTimeout } from "./helpers.js";

const suite = conformanceSuite();

describe("pika", () => {
  it("hello world: pika sends, amqplib receives", async () => {
    const queue = suite.queueName("pika-hello");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    const { inbox } = await consumeInto(ch, queue, { noAck: true });
    expect(await runPython(suite, "hello_world.py", ["send", queue, "Hello World!"])).toEqual({ sent: "Hello World!" });
    expect((await inbox.next()).content.toString()).toBe("Hello World!");
  });

  it("hello world: amqplib sends, pika receives", async () => {
    const queue = suite.queueName("pika-hello2");
    const receiver = startPython(suite, "hello_world.py", ["receive", queue, "2"]);
    await receiver.waitForLine("ready");
    const { ch } = await suite.channel();
    ch.sendToQueue(queue, Buffer.from("Hello"));
    ch.sendToQueue(queue, Buffer.from("World!"));
    expect(await receiver.result()).toEqual({ received: ["Hello", "World!"] });
  });

  it("work queues: two pika workers (prefetch 1, manual ack) share persistent tasks, each task done once", async () => {
    const queue = suite.queueName("pika-tasks");
    const workers = [startPython(suite, "worker.py", [queue]), startPython(suite, "worker.py", [queue])];
    for (const w of workers) await w.waitForLine("ready");
    const { ch } = await suite.confirmChannel();
    const tasks = Array.from({ length: 20 }, (_, i) => `task-${i}`);
    for (const t of tasks) ch.sendToQueue(queue, Buffer.from(t), { persistent: true });
    ch.sendToQueue(queue, Buffer.from("STOP"), { persistent: true });
    ch.sendToQueue(queue, Buffer.from("STOP"), { persistent: true });
    await ch.waitForConfirms();
    type Processed = { processed: Array<{ task: string; persistent: boolean; redelivered: boolean }> };
    const results = await Promise.all(workers.map((w) => w.result<Processed>()));
    const done = results.flatMap((r) => r.processed);
    expect(done.map((d) => d.task).sort()).toEqual([...tasks].sort());
    expect(done.every((d) => d.persistent && !d.redelivered)).toBe(true);
    for (const r of results) expect(r.processed.length).toBeGreaterThan(0);
  });

  it("RPC: a pika server answers an amqplib client", async () => {
    const queue = suite.queueName("pika-rpc");
    const server = startPython(suite, "rpc_server.py", [queue, "3"]);
    await server.waitForLine("ready");
    const { ch } = await suite.channel();
    const callback = (await ch.assertQueue("", { exclusive: true })).queue;
    const replies = new Inbox<{ corr: string; body: string }>();
    await ch.consume(callback, (m) => m && replies.push({ corr: m.properties.correlationId as string, body: m.content.toString() }), {
      noAck: true,
    });
    const calls = new Map<string, number>([10, 20, 30].map((n) => [randomUUID(), n]));
    for (const [corr, n] of calls) ch.sendToQueue(queue, Buffer.from(String(n)), { replyTo: callback, correlationId: corr });
    const got = await replies.take(3);
    const answers = Object.fromEntries(got.map((r) => [calls.get(r.corr), Number(r.body)]));
    expect(answers).toEqual({ 10: 55, 20: 6765, 30: 832040 });
    expect(await server.result()).toEqual({ served: [10, 20, 30] });
  });

  it("RPC: a pika client calls an amqplib server", async () => {
    const queue = suite.queueName("pika-rpc2");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    await ch.prefetch(1);
    const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    await ch.consume(queue, (m) => {
      if (!m) return;
      ch.sendToQueue(m.properties.replyTo as string, Buffer.from(String(fib(Number(m.content.toString())))), {
        correlationId: m.properties.correlationId as string,
      });
      ch.ack(m);
    });
    const r = await runPython<{ results: Record<string, number>; callback_queue: string }>(suite, "rpc_client.py", [
      queue,
      "5",
      "12",
      "25",
    ]);
    expect(r.results).toEqual({ 5: 5, 12: 144, 25: 75025 });
    expect(r.callback_queue).toMatch(/^amq\.gen-/);
  });
});

describe("@cloudamqp/amqp-client", () => {
  it("hello world with the low-level client", async () => {
    const queue = suite.queueName("ac-hello");
    const conn = await suite.amqpClient();
    const ch = await conn.channel();
    const q = await ch.queueDeclare(queue, { durable: false });
    expect(q).toEqual({ name: queue, messageCount: 0, consumerCount: 0 });
    const got = deferred<AMQPMessage>();
    await ch.basicConsume(queue, { noAck: true }, (msg) => got.resolve(msg));
    await ch.basicPublish("", queue, "Hello World!", { contentType: "text/plain" });
    const msg = await withTimeout(got.promise, 5_000, "the message");
    expect(msg.bodyToString()).toBe("Hello World!");
    expect(msg.properties.contentType).toBe("text/plain");
    expect([msg.exchange, msg.routingKey, msg.redelivered]).toEqual(["", queue, false]);
  });

  it("hello world with the high-level session API (publish waits for the confirm; subscribe acks)", async () => {
    const queueName = suite.queueName("ac-session");
    const session = await AMQPSession.connect(suite.url);
    suite.track({ close: () => session.stop() });
    const q = await session.queue(queueName, { durable: false });
    await q.publish("Hello from a session");
    const got = deferred<string>();
    await q.subscribe({ noAck: false }, async (msg) => got.resolve(msg.bodyString() ?? ""));
    expect(await withTimeout(got.promise, 5_000, "the message")).toBe("Hello from a session");
  });

  it("topics: the tutorial's bindings route with amqp-client", async () => {
    const exchange = suite.exchangeName("ac-topic");
    const conn = await suite.amqpClient();
    const ch = await conn.channel();
    await ch.exchangeDeclare(exchange, "topic", { durable: false });
    const q1 = await ch.queueDeclare("", { exclusive: true });
    const q2 = await ch.queueDeclare("", { exclusive: true });
    await ch.queueBind(q1.name, exchange, "*.orange.*");
    await ch.queueBind(q2.name, exchange, "*.*.rabbit");
    await ch.queueBind(q2.name, exchange, "lazy.#");
    await ch.confirmSelect();
    for (const k of ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox", "quick.brown.fox", "lazy"]) {
      await ch.basicPublish(exchange, k, k);
    }
    const drainQ = async (name: string) => {
      const out: string[] = [];
      for (let m = await ch.basicGet(name); m; m = await ch.basicGet(name)) out.push(m.bodyToString() ?? "");
      return out;
    };
    expect(await drainQ(q1.name)).toEqual(["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"]);
    expect(await drainQ(q2.name)).toEqual(["quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy"]);
  });

  it("confirms: with confirmSelect every basicPublish resolves with its delivery tag once acked", async () => {
    const conn = await suite.amqpClient();
    const ch = await conn.channel();
    const q = await ch.queueDeclare("", { exclusive: true });
    await ch.confirmSelect();
    const tags = await Promise.all(Array.from({ length: 100 }, (_, i) => ch.basicPublish("", q.name, `m${i}`)));
    expect(tags).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const { messageCount } = await ch.queueDeclare(q.name, { passive: true });
    expect(messageCount).toBe(100);
  });

  it("amqp-client reports a channel error with RabbitMQ's text and keeps the connection", async () => {
    const conn = await suite.amqpClient();
    const ch = await conn.channel();
    const missing = `conf.missing.${randomUUID()}`;
    await expect(ch.queueDeclare(missing, { passive: true })).rejects.toThrow(
      `channel ${ch.id} closed: NOT_FOUND - no queue '${missing}' in vhost '/' (404)`,
    );
    const ch2 = await conn.channel();
    await expect(ch2.queueDeclare("", { exclusive: true })).resolves.toHaveProperty("name");
  });
});

/** Promisified pieces of amqplib's callback API, so the scenarios read top-down. */
function callbackConnect(url: string): Promise<amqpCallback.Connection> {
  return new Promise((resolve, reject) => amqpCallback.connect(url, (err, conn) => (err ? reject(err) : resolve(conn))));
}

describe("amqplib callback API", () => {
  it("hello world", async () => {
    const conn = await callbackConnect(suite.url);
    suite.track({ close: () => new Promise<void>((r) => conn.close(() => r())) });
    const queue = suite.queueName("cb-hello");
    const received = deferred<string>();
    await new Promise<void>((resolve, reject) =>
      conn.createChannel((err, ch) => {
        if (err) return reject(err);
        ch.assertQueue(queue, { durable: false }, (err2) => {
          if (err2) return reject(err2);
          ch.consume(
            queue,
            (m) => m && received.resolve(m.content.toString()),
            { noAck: true },
            (err3) => {
              if (err3) return reject(err3);
              ch.sendToQueue(queue, Buffer.from("Hello World!"));
              resolve();
            },
          );
        });
      }),
    );
    expect(await withTimeout(received.promise, 5_000, "the message")).toBe("Hello World!");
  });

  it("work queues: prefetch 1 and manual ack, every task acked exactly once", async () => {
    const conn = await callbackConnect(suite.url);
    suite.track({ close: () => new Promise<void>((r) => conn.close(() => r())) });
    const queue = suite.queueName("cb-tasks");
    const done = new Inbox<string>();
    const setupWorker = () =>
      new Promise<void>((resolve, reject) =>
        conn.createChannel((err, ch) => {
          if (err) return reject(err);
          ch.assertQueue(queue, { durable: true });
          ch.prefetch(1);
          ch.consume(
            queue,
            (m) => {
              if (!m) return;
              done.push(m.content.toString());
              ch.ack(m);
            },
            { noAck: false },
            (err2) => (err2 ? reject(err2) : resolve()),
          );
        }),
      );
    await setupWorker();
    await setupWorker();
    const tasks = Array.from({ length: 12 }, (_, i) => `job ${i}`);
    await new Promise<void>((resolve, reject) =>
      conn.createConfirmChannel((err, ch) => {
        if (err) return reject(err);
        for (const t of tasks) ch.sendToQueue(queue, Buffer.from(t), { persistent: true });
        ch.waitForConfirms((err2) => (err2 ? reject(err2) : resolve()));
      }),
    );
    expect((await done.take(tasks.length)).sort()).toEqual([...tasks].sort());
  });
});
