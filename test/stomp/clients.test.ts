import { afterAll, beforeAll, describe, expect, it } from "vitest";
import stompit from "stompit";
import amqp from "amqplib";
import { type RunningBroker, startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, stomp: { port: 0 }, webStomp: false, logLevel: "silent" });
});
afterAll(() => broker.close());

type StompitClient = stompit.Client;
interface Received {
  message: stompit.Client.Message;
  body: string;
}

function connectStompit(): Promise<StompitClient> {
  return new Promise((resolve, reject) => {
    stompit.connect(
      { host: "127.0.0.1", port: broker.ports.stomp!, connectHeaders: { host: "/", login: "guest", passcode: "guest" } },
      (err, client) => {
        if (err) return reject(err);
        // errors after the test is done (broker shutting down) are expected, not failures
        client.on("error", () => undefined);
        resolve(client);
      },
    );
  });
}

/** Subscribes and collects messages; `take(n)` waits (bounded) until n more have arrived. */
function collect(client: StompitClient, headers: Record<string, string>) {
  const got: Received[] = [];
  let wake: (() => void) | null = null;
  client.subscribe(headers, (err, message) => {
    if (err) return;
    message.readString("utf-8", (e, body) => {
      got.push({ message, body: body ?? "" });
      wake?.();
    });
  });
  return {
    got,
    async take(n: number): Promise<Received[]> {
      const deadline = Date.now() + 5000;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out: ${got.length}/${n} messages`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
      return got.splice(0, n);
    },
  };
}

const send = (c: StompitClient, headers: Record<string, string>, body: string) => {
  const f = c.send(headers);
  f.write(body);
  f.end();
};

describe("STOMP with stompit over TCP", () => {
  it("sends to /queue/x and receives with ack auto", async () => {
    const c = await connectStompit();
    const sub = collect(c, { destination: "/queue/auto", ack: "auto" });
    send(c, { destination: "/queue/auto" }, "one");
    send(c, { destination: "/queue/auto" }, "two");
    expect((await sub.take(2)).map((r) => r.body)).toEqual(["one", "two"]);
    c.disconnect();
  });

  it("client-individual acks one message; the unacked one is redelivered after reconnect", async () => {
    const c = await connectStompit();
    const sub = collect(c, { destination: "/queue/indiv", ack: "client-individual" });
    send(c, { destination: "/queue/indiv" }, "a");
    send(c, { destination: "/queue/indiv" }, "b");
    const [a, b] = await sub.take(2);
    expect(b!.body).toBe("b");
    c.ack(b!.message);
    await new Promise<void>((r) => c.disconnect(() => r()));
    const c2 = await connectStompit();
    const sub2 = collect(c2, { destination: "/queue/indiv", ack: "client-individual" });
    const [again] = await sub2.take(1);
    expect(again!.body).toBe(a!.body);
    expect(again!.message.headers["redelivered"]).toBe("true");
    c2.ack(again!.message);
    c2.disconnect();
  });

  it("client ack is cumulative: acking the last settles everything before it", async () => {
    const c = await connectStompit();
    const sub = collect(c, { destination: "/queue/cumul", ack: "client" });
    for (const b of ["1", "2", "3"]) send(c, { destination: "/queue/cumul" }, b);
    const got = await sub.take(3);
    c.ack(got[2]!.message);
    await new Promise<void>((r) => c.disconnect(() => r()));
    const q = broker.core.vhost("/");
    if (q instanceof Error || !("queues" in q)) throw new Error("no vhost");
    expect(q.queues.get("cumul")!.messageCount).toBe(0);
  });

  it("prefetch-count limits unacked deliveries per subscription", async () => {
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", { destination: "/queue/prefetch", id: "p", ack: "client-individual", "prefetch-count": "1" });
    for (const b of ["1", "2"]) c.send("SEND", { destination: "/queue/prefetch" }, b);
    // deliveries happen while a SEND is processed, so a second MESSAGE would precede this receipt
    c.send("SEND", { destination: "/queue/prefetch", receipt: "sent" }, "3");
    const first = await c.next();
    expect(first.command).toBe("MESSAGE");
    expect((await c.next()).command).toBe("RECEIPT");
    c.send("ACK", { id: first.headers["ack"]! });
    const second = await c.next();
    expect(second.body.toString()).toBe("2");
    c.close();
  });

  it("NACK requeues by default and discards with requeue:false", async () => {
    const c = await connectStompit();
    const sub = collect(c, { destination: "/queue/nack", ack: "client-individual" });
    send(c, { destination: "/queue/nack" }, "n");
    const [m] = await sub.take(1);
    c.nack(m!.message);
    const [again] = await sub.take(1);
    expect(again!.body).toBe("n");
    expect(again!.message.headers["redelivered"]).toBe("true");
    c.nack(again!.message, { requeue: "false" });
    // DISCONNECT waits for its receipt, so the NACK has been processed; had it not discarded, the
    // message would now be back in the queue
    await new Promise<void>((r) => c.disconnect(() => r()));
    const v = broker.core.vhost("/") as { queues: Map<string, { messageCount: number; unackedMessageCount: number }> };
    expect(v.queues.get("nack")!.messageCount).toBe(0);
    expect(v.queues.get("nack")!.unackedMessageCount).toBe(0);
  });

  it("transactions: SENDs appear only on COMMIT, and ABORT drops them", async () => {
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", { destination: "/queue/tx", id: "s", receipt: "s" });
    await c.next();
    c.send("BEGIN", { transaction: "t1" });
    c.send("SEND", { destination: "/queue/tx", transaction: "t1" }, "in-t1");
    c.send("BEGIN", { transaction: "t2" });
    c.send("SEND", { destination: "/queue/tx", transaction: "t2" }, "in-t2");
    c.send("ABORT", { transaction: "t2", receipt: "aborted" });
    expect((await c.next()).headers["receipt-id"]).toBe("aborted");
    c.send("COMMIT", { transaction: "t1" });
    const m = await c.next();
    expect(m.command).toBe("MESSAGE");
    expect(m.body.toString()).toBe("in-t1");
    c.send("SEND", { destination: "/queue/tx" }, "after");
    expect((await c.next()).body.toString()).toBe("after");
    c.close();
  });

  it("transactions cover ACK: an aborted ACK leaves the message unacked", async () => {
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", { destination: "/queue/txack", id: "s", ack: "client-individual" });
    c.send("SEND", { destination: "/queue/txack" }, "m");
    const m = await c.next();
    c.send("BEGIN", { transaction: "t" });
    c.send("ACK", { id: m.headers["ack"]!, transaction: "t" });
    c.send("ABORT", { transaction: "t", receipt: "r" });
    await c.next();
    const v = broker.core.vhost("/") as { queues: Map<string, { unackedMessageCount: number }> };
    expect(v.queues.get("txack")!.unackedMessageCount).toBe(1);
    c.send("BEGIN", { transaction: "t" });
    c.send("ACK", { id: m.headers["ack"]!, transaction: "t" });
    c.send("COMMIT", { transaction: "t", receipt: "r2" });
    await c.next();
    expect(v.queues.get("txack")!.unackedMessageCount).toBe(0);
    c.close();
  });
});

describe("STOMP destinations", () => {
  it("/topic fans out to every subscriber, with AMQP (#) and ActiveMQ (>) wildcards", async () => {
    const port = broker.ports.stomp!;
    const subs = await Promise.all([0, 1, 2].map(() => RawStomp.connected(port)));
    const [a, b, c] = subs.map((s) => s.c);
    a!.send("SUBSCRIBE", { destination: "/topic/stocks.nyse.ibm", id: "1", receipt: "r" });
    b!.send("SUBSCRIBE", { destination: "/topic/stocks.*.ibm", id: "1", receipt: "r" });
    c!.send("SUBSCRIBE", { destination: "/topic/stocks.>", id: "1", receipt: "r" });
    for (const s of [a, b, c]) await s!.next();
    const { c: pub } = await RawStomp.connected(port);
    pub.send("SEND", { destination: "/topic/stocks.nyse.ibm" }, "tick");
    for (const s of [a, b, c]) {
      const m = await s!.next();
      expect(m.body.toString()).toBe("tick");
      expect(m.headers["destination"]).toBe("/topic/stocks.nyse.ibm");
    }
    for (const s of [a, b, c, pub]) s!.close();
  });

  it("/exchange/e/key publishes and subscribes through a named exchange", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createChannel();
    await ch.assertExchange("stomp-direct", "direct", { durable: false });
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", { destination: "/exchange/stomp-direct/k1", id: "x", receipt: "r" });
    await c.next();
    c.send("SEND", { destination: "/exchange/stomp-direct/k1" }, "via-exchange");
    const m = await c.next();
    expect(m.body.toString()).toBe("via-exchange");
    expect(m.headers["destination"]).toBe("/exchange/stomp-direct/k1");
    c.close();
    await conn.close();
  });

  it("/amq/queue/x uses an existing queue and refuses a missing one", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createChannel();
    await ch.assertQueue("amq-existing", { durable: false });
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", { destination: "/amq/queue/amq-existing", id: "x" });
    c.send("SEND", { destination: "/amq/queue/amq-existing" }, "hi");
    expect((await c.next()).body.toString()).toBe("hi");
    c.send("SUBSCRIBE", { destination: "/amq/queue/amq-missing", id: "y" });
    const e = await c.next();
    expect(e.headers["message"]).toBe("not_found");
    await c.waitClosed();
    await conn.close();
  });

  it("/temp-queue reply-to is rewritten to /reply-queue/ and replies come back on the temp subscription", async () => {
    const port = broker.ports.stomp!;
    const { c: server } = await RawStomp.connected(port);
    server.send("SUBSCRIBE", { destination: "/queue/rpc", id: "srv", receipt: "r" });
    await server.next();
    const { c: client } = await RawStomp.connected(port);
    client.send("SEND", { destination: "/queue/rpc", "reply-to": "/temp-queue/answers" }, "question");
    const req = await server.next();
    const replyTo = req.headers["reply-to"]!;
    expect(replyTo).toMatch(/^\/reply-queue\//);
    server.send("SEND", { destination: replyTo }, "answer");
    const rep = await client.next();
    expect(rep.body.toString()).toBe("answer");
    expect(rep.headers["subscription"]).toBe("/temp-queue/answers");
    server.close();
    client.close();
  });

  it("durable topic subscriptions keep messages while the subscriber is away, until UNSUBSCRIBE persistent:true", async () => {
    const port = broker.ports.stomp!;
    // RabbitMQ 3.10 keeps a persistent subscription's queue only with auto-delete:false
    const sub = { destination: "/topic/durable.news", id: "news", persistent: "true", "auto-delete": "false", receipt: "r" };
    const { c: a } = await RawStomp.connected(port);
    a.send("SUBSCRIBE", sub);
    await a.next();
    a.close();
    const { c: pub } = await RawStomp.connected(port);
    pub.send("SEND", { destination: "/topic/durable.news", receipt: "p" }, "while-away");
    await pub.next();
    const { c: b } = await RawStomp.connected(port);
    b.send("SUBSCRIBE", sub);
    const frames = [await b.next(), await b.next()];
    expect(frames.find((f) => f.command === "MESSAGE")!.body.toString()).toBe("while-away");
    b.send("UNSUBSCRIBE", { id: "news", persistent: "true", receipt: "u" });
    await b.next();
    const v = broker.core.vhost("/") as { queues: Map<string, unknown> };
    expect(v.queues.has("stomp-subscription-news")).toBe(false);
    pub.close();
    b.close();
  });

  it("ActiveMQ durable subscriptions are named by client-id and activemq.subscriptionName and outlive the connection", async () => {
    const port = broker.ports.stomp!;
    const sub = { destination: "/topic/amq.style.>", "activemq.subscriptionName": "feed", receipt: "r" };
    const { c: a } = await RawStomp.connected(port, { "client-id": "app1" });
    a.send("SUBSCRIBE", sub);
    await a.next();
    a.close();
    const { c: pub } = await RawStomp.connected(port);
    pub.send("SEND", { destination: "/topic/amq.style.x.y", receipt: "p" }, "kept");
    await pub.next();
    const { c: b } = await RawStomp.connected(port, { "client-id": "app1" });
    b.send("SUBSCRIBE", sub);
    const frames = [await b.next(), await b.next()];
    expect(frames.find((f) => f.command === "MESSAGE")!.body.toString()).toBe("kept");
    pub.close();
    b.close();
  });

  it("x-queue-name and x- arguments on SUBSCRIBE name and configure the queue", async () => {
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", {
      destination: "/topic/named",
      id: "n",
      "x-queue-name": "my-named-sub",
      "x-max-length": "5",
      receipt: "r",
    });
    await c.next();
    const v = broker.core.vhost("/") as { queues: Map<string, { options: { args: Record<string, unknown> } }> };
    expect(v.queues.get("my-named-sub")!.options.args["x-max-length"]).toBe(5);
    c.close();
  });
});

describe("STOMP across protocols", () => {
  it("STOMP SEND /queue/x reaches an amqplib consumer of x, headers mapped", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createChannel();
    await ch.assertQueue("cross-q", { durable: true });
    const got = new Promise<amqp.ConsumeMessage>((resolve) => {
      void ch.consume("cross-q", (m) => m && resolve(m), { noAck: true });
    });
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SEND", { destination: "/queue/cross-q", "content-type": "text/plain", persistent: "true", "x-app": "stomp" }, "from-stomp");
    const m = await got;
    expect(m.content.toString()).toBe("from-stomp");
    expect(m.properties.contentType).toBe("text/plain");
    expect(m.properties.deliveryMode).toBe(2);
    expect(m.properties.headers!["x-app"]).toBe("stomp");
    c.close();
    await conn.close();
  });

  it("amqplib publish to amq.topic key a.b reaches a STOMP subscriber of /topic/a.b", async () => {
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", { destination: "/topic/a.b", id: "t", receipt: "r" });
    await c.next();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createChannel();
    ch.publish("amq.topic", "a.b", Buffer.from("from-amqp"), { correlationId: "c9", headers: { n: 7 } });
    const m = await c.next();
    expect(m.body.toString()).toBe("from-amqp");
    expect(m.headers["destination"]).toBe("/topic/a.b");
    expect(m.headers["correlation-id"]).toBe("c9");
    expect(m.headers["n"]).toBe("7");
    c.close();
    await conn.close();
  });
});
