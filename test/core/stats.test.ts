import { describe, expect, it } from "vitest";
import { Broker, BrokerError, type ClientRef, type Consumer, Message, type QueueEntry, type Subscription } from "../../src/core/index.js";
import { ConnectionRegistry, type ConnectionSource } from "../../src/core/connections.js";

const msg = (body = "x") => new Message("", "q", Buffer.from(body), {}, null);

function ok<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw new Error(r.text);
  return r;
}

class Taker implements Consumer {
  readonly got: QueueEntry[] = [];
  constructor(readonly client: ClientRef) {}
  hasCredit() {
    return true;
  }
  deliver(e: QueueEntry) {
    this.got.push(e);
  }
  cancelledByBroker(_s: Subscription) {}
}

describe("message counters", () => {
  it("count publishes, routing, deliveries, gets, acks and redeliveries broker-wide and per queue", () => {
    const b = new Broker();
    const v = ok(b.vhost("/"));
    ok(v.declareQueue("q", {}, null));
    const q = ok(v.queue("q", null));
    ok(v.publish("", "q", msg()));
    ok(v.publish("", "nowhere", msg()));
    ok(v.publish("amq.direct", "nothing-bound", msg()));
    expect(b.counters.publish).toBe(3);
    expect(b.counters.routed).toBe(1);
    expect(b.counters.unroutable).toBe(2);
    expect(q.counters.publish).toBe(1);

    const e = q.get(false)!;
    expect(q.get(true)).toBeNull();
    expect(b.counters.get).toBe(1);
    expect(b.counters.getEmpty).toBe(1);
    expect(q.unackedMessageCount).toBe(1);
    q.requeue(e);
    const c = new Taker(b.newClient());
    const sub = ok(q.consume(c, { tag: "t", noAck: false, exclusive: false, priority: 0 }));
    sub.resume();
    expect(c.got).toHaveLength(1);
    expect(b.counters.deliver).toBe(1);
    expect(b.counters.redeliver).toBe(1);
    q.ack(c.got[0]!);
    expect(b.counters.ack).toBe(1);
    expect(q.counters.ack).toBe(1);
    expect(q.unackedMessageCount).toBe(0);
    sub.cancel();

    // no-ack deliveries are settled through ack() without counting as acks or unacked
    ok(v.publish("", "q", msg()));
    const n = new Taker(b.newClient());
    ok(q.consume(n, { tag: "n", noAck: true, exclusive: false, priority: 0 })).resume();
    q.ack(n.got[0]!);
    expect(b.counters.deliverNoAck).toBe(1);
    expect(b.counters.ack).toBe(1);
    expect(q.unackedMessageCount).toBe(0);
  });
});

describe("connection registry", () => {
  const source = (id: number, closed: string[], asked: { n: number } = { n: 0 }): ConnectionSource => ({
    client: { id },
    connectedAt: 1000,
    connectionDetails: () => {
      asked.n++;
      return {
        protocol: "AMQP 0-9-1",
        peerHost: "::ffff:127.0.0.1",
        peerPort: 5000 + id,
        host: "127.0.0.1",
        port: 5672,
        user: "guest",
        vhost: "/",
        clientProperties: {},
        authMechanism: "PLAIN",
        tls: null,
        frameMax: 131072,
        channelMax: 2047,
        timeout: 60,
        channels: () => [],
        close: (reason) => closed.push(reason),
      };
    },
  });

  it("names connections as RabbitMQ does and closes them by name through the front-end's callback", () => {
    const r = new ConnectionRegistry();
    const closed: string[] = [];
    r.register(source(1, closed), "/");
    r.register(source(2, closed), "v2");
    expect([r.countIn("/"), r.countIn("v2"), r.countIn("v3")]).toEqual([1, 1, 0]);
    const a = r.of({ id: 1 })!;
    expect(a.name).toBe("127.0.0.1:5001 -> 127.0.0.1:5672");
    expect(a.details.peerHost).toBe("127.0.0.1");
    expect(a.connectedAt).toBe(1000);
    expect(r.named("127.0.0.1:5002 -> 127.0.0.1:5672")?.client.id).toBe(2);
    expect(r.close(a.name, "bye")).toBe(true);
    expect(closed).toEqual(["bye"]);
    expect(r.close("nope", "bye")).toBe(false);
    r.unregister({ id: 1 });
    r.unregister({ id: 1 });
    expect(r.size).toBe(1);
    expect([r.countIn("/"), r.countIn("v2")]).toEqual([0, 1]);
    expect(r.named(a.name)).toBeUndefined();
    expect([r.created, r.closed]).toEqual([2, 1]);
  });

  it("asks the front-end for details only when listing, never keeping a copy", () => {
    const r = new ConnectionRegistry();
    const asked = { n: 0 };
    r.register(source(1, [], asked), "/");
    expect(asked.n).toBe(0);
    expect(r.list().map((c) => c.details.port)).toEqual([5672]);
    expect(asked.n).toBe(1);
  });
});
