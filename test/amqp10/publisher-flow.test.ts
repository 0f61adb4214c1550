// Publisher flow control: an AMQP 1.0 sender whose queue is backed up (consumers, and more than
// BACKLOG_HIGH_MARK ready messages) has its link credit withdrawn until the queue drains to
// BACKLOG_LOW_MARK, loses its consumers or is deleted, and then gets THROTTLED_CREDIT windows
// while the queue has a backlog; a queue without consumers never holds its publishers back, and
// consumers that deliver nothing for BACKLOG_STALL_MS release them too. The broker runs on a
// ManualClock, so the stall guard fires only when the test says.
import { createServer, type Server } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Amqp10Server } from "../../protocols/amqp10/server.js";
import { BACKLOG_STALL_MS, INCOMING_CREDIT, THROTTLED_CREDIT } from "../../protocols/amqp10/incoming-link.js";
import {
  type Performative,
  writeAttach,
  writeBegin,
  writeDetach,
  writeFlow,
  writeOpen,
  writeTransfer,
} from "../../protocols/amqp10/codec/types.generated.js";
import {
  BACKLOG_HIGH_MARK,
  BACKLOG_LOW_MARK,
  Broker,
  type ClientRef,
  type Consumer,
  ManualClock,
  type Queue,
  type QueueEntry,
  type Subscription,
  type VirtualHost,
} from "../../src/core/index.js";
import { createLogger } from "../../src/server/logger.js";
import { frameBytes, RawPeer } from "./raw.js";

let clock: ManualClock;
let broker: Broker;
let vhost: VirtualHost;
let server: Server;
let port: number;

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  broker = new Broker({ clock });
  const amqp10 = new Amqp10Server(broker, createLogger("silent"));
  server = createServer((s) => {
    s.pause();
    amqp10.accept(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  const v = broker.vhost("/");
  if (!("declareQueue" in v)) throw v;
  vhost = v;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A consumer that takes only what the test lets it (a slow one), or nothing at all (a stopped one). */
class HeldConsumer implements Consumer {
  readonly client: ClientRef = { id: -1 };
  credit = 0;
  taken = 0;
  sub: Subscription | null = null;
  hasCredit(): boolean {
    return this.credit > 0;
  }
  deliver(entry: QueueEntry, sub: Subscription): void {
    this.credit--;
    this.taken++;
    sub.queue.ack(entry);
  }
  cancelledByBroker(): void {
    this.sub = null;
  }
  grant(n: number): void {
    this.credit += n;
    this.sub?.resume();
  }
}

let n = 0;
let qname: string;
let peer: RawPeer;
beforeEach(() => {
  qname = `pf-${++n}`;
  const ok = vhost.declareQueue(qname, { durable: false }, null);
  if (ok instanceof Error) throw ok;
});
afterEach(() => {
  peer?.destroy();
  vhost.deleteQueue(qname, {}, null);
});

function queue(): Queue {
  const q = vhost.queue(qname, null);
  if (!("messageCount" in q)) throw q;
  return q;
}

function consumer(): HeldConsumer {
  const c = new HeldConsumer();
  const sub = queue().consume(c, { tag: "held", noAck: true, exclusive: false, priority: 0 });
  if (!("resume" in sub)) throw sub;
  c.sub = sub;
  return c;
}

/** One pre-settled 2-byte message. */
const BODY = Buffer.from([0x00, 0x53, 0x75, 0xa0, 0x02, 0x68, 0x69]);
let nextId = 0;

/** `count` pre-settled transfers on handle 0, written at once. */
function send(p: RawPeer, count: number): void {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = nextId++;
    frames.push(
      frameBytes(0, (w) => writeTransfer(w, { handle: 0, deliveryId: id, deliveryTag: Buffer.from([id & 0xff]), settled: true }), BODY),
    );
  }
  p.write(Buffer.concat(frames));
}

/** A session and a sender link (handle 0) to the test's queue; resolves with the first credit. */
async function sender(): Promise<RawPeer> {
  nextId = 0;
  const p = await RawPeer.opened(port, (w) => writeOpen(w, { containerId: "pf" }));
  p.frame(0, (w) => writeBegin(w, { nextOutgoingId: 0, incomingWindow: 1_000_000, outgoingWindow: 1_000_000 }));
  expect((await p.next())?.kind).toBe("begin");
  p.frame(0, (w) =>
    writeAttach(w, {
      name: "s",
      handle: 0,
      role: false,
      sndSettleMode: 1,
      target: { kind: "target", address: `/amq/queue/${qname}` },
      initialDeliveryCount: 0,
    }),
  );
  expect((await p.next())?.kind).toBe("attach");
  expect(await linkFlow(p)).toMatchObject({ linkCredit: INCOMING_CREDIT, deliveryCount: 0 });
  peer = p;
  return p;
}

/** The next flow for handle 0 (session-only flows and other frames skipped, collected in `others`). */
async function linkFlow(p: RawPeer, others: Performative[] = []): Promise<Performative & { kind: "flow" }> {
  for (;;) {
    const f = await p.next();
    if (f === null) throw new Error("the connection closed");
    if (f.kind === "flow" && f.handle === 0) return f;
    if (f.kind !== "flow") others.push(f);
  }
}

/**
 * The link's credit as the broker sees it now: asked with an echo flow, whose answer follows
 * everything sent before (frames before the answer are collected in `others`).
 */
async function creditNow(p: RawPeer, others: Performative[] = []): Promise<{ linkCredit?: number; deliveryCount?: number }> {
  p.frame(0, (w) =>
    writeFlow(w, {
      nextIncomingId: 0,
      incomingWindow: 1_000_000,
      nextOutgoingId: nextId,
      outgoingWindow: 1_000_000,
      handle: 0,
      deliveryCount: nextId,
      linkCredit: 0,
      echo: true,
    }),
  );
  for (;;) {
    const f = await linkFlow(p, others);
    if (f.echo) return f;
    others.push(f);
  }
}

describe("AMQP 1.0 publisher flow control", () => {
  it("withdraws a sender's credit while its queue's slow consumer falls behind, and grants it once the queue drains", async () => {
    const c = consumer();
    const p = await sender();
    // up to the mark: the credit stays
    send(p, BACKLOG_HIGH_MARK);
    expect(await creditNow(p)).toMatchObject({ linkCredit: INCOMING_CREDIT - BACKLOG_HIGH_MARK });
    // one past it, with a consumer that takes nothing yet: withdrawn
    send(p, 1);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 0, deliveryCount: BACKLOG_HIGH_MARK + 1 });
    expect(queue().messageCount).toBe(BACKLOG_HIGH_MARK + 1);
    // transfers the sender sent before it heard are still taken
    send(p, 5);
    expect(await creditNow(p)).toMatchObject({ linkCredit: 0, deliveryCount: BACKLOG_HIGH_MARK + 6 });
    // the consumer catches up, but not yet to the low mark: still nothing
    c.grant(BACKLOG_HIGH_MARK + 6 - BACKLOG_LOW_MARK - 1);
    expect(queue().messageCount).toBe(BACKLOG_LOW_MARK + 1);
    expect(await creditNow(p)).toMatchObject({ linkCredit: 0 });
    // down to the low mark: the withheld credit is granted, a small window while the backlog lasts
    c.grant(1);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: THROTTLED_CREDIT, deliveryCount: BACKLOG_HIGH_MARK + 6 });
    send(p, 10);
    expect(await creditNow(p)).toMatchObject({ linkCredit: THROTTLED_CREDIT - 10 });
    // the consumer keeps up: the window doubles back at each top-up that met no backlog since the last
    c.grant(1_000_000);
    expect(queue().messageCount).toBe(0);
    send(p, THROTTLED_CREDIT / 2 - 10);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: THROTTLED_CREDIT });
    send(p, THROTTLED_CREDIT / 2);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 2 * THROTTLED_CREDIT });
    send(p, THROTTLED_CREDIT);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 4 * THROTTLED_CREDIT });
  });

  it("takes what a sender sent under credit it had before a withdrawal, after a smaller grant", async () => {
    const c = consumer();
    const p = await sender();
    send(p, BACKLOG_HIGH_MARK + 1);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 0 });
    c.grant(BACKLOG_HIGH_MARK + 1 - BACKLOG_LOW_MARK);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: THROTTLED_CREDIT });
    // a sender that had not heard of either flow yet still had the first grant's credit: all of it
    // is taken, through another withdrawal as the queue backs up again
    const inFlight = 8000;
    send(p, inFlight);
    const others: Performative[] = [];
    expect(await creditNow(p, others)).toMatchObject({ linkCredit: 0, deliveryCount: BACKLOG_HIGH_MARK + 1 + inFlight });
    expect(others.filter((o) => o.kind !== "flow")).toEqual([]);
    expect(others).toContainEqual(expect.objectContaining({ kind: "flow", linkCredit: 0 }));
    expect(queue().messageCount).toBe(BACKLOG_LOW_MARK + inFlight);
  });

  it("keeps granting to a sender whose queue has no consumer (filled now, consumed later)", async () => {
    const p = await sender();
    const half = INCOMING_CREDIT / 2;
    send(p, half);
    // the usual top-up at half, never a withdrawal
    expect(await linkFlow(p)).toMatchObject({ linkCredit: INCOMING_CREDIT, deliveryCount: half });
    expect(queue().messageCount).toBe(half);
    send(p, 1);
    expect(await creditNow(p)).toMatchObject({ linkCredit: INCOMING_CREDIT - 1 });
  });

  it("grants the withheld credit when the queue's only consumer detaches", async () => {
    const p = await sender();
    // an AMQP 1.0 receiver on the same session that gives no credit: a consumer that takes nothing
    p.frame(0, (w) => writeAttach(w, { name: "r", handle: 1, role: true, source: { kind: "source", address: `/amq/queue/${qname}` } }));
    expect((await p.next())?.kind).toBe("attach");
    expect(queue().consumerCount).toBe(1);
    send(p, BACKLOG_HIGH_MARK + 1);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 0 });
    p.frame(0, (w) => writeDetach(w, { handle: 1, closed: true }));
    expect(await linkFlow(p)).toMatchObject({ linkCredit: THROTTLED_CREDIT, deliveryCount: BACKLOG_HIGH_MARK + 1 });
    expect((await p.next())?.kind).toBe("detach");
    expect(queue().consumerCount).toBe(0);
    // with nobody consuming, more messages do not withdraw it again, and the window grows back
    send(p, THROTTLED_CREDIT / 2);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 2 * THROTTLED_CREDIT });
  });

  it("grants the withheld credit when the queue is deleted", async () => {
    consumer();
    const p = await sender();
    send(p, BACKLOG_HIGH_MARK + 1);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 0 });
    vhost.deleteQueue(qname, {}, null);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: THROTTLED_CREDIT, deliveryCount: BACKLOG_HIGH_MARK + 1 });
  });

  it("does not hold a sender back for good when the consumers take nothing at all", async () => {
    const c = consumer();
    const p = await sender();
    send(p, BACKLOG_HIGH_MARK + 1);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 0 });
    // consumers that move keep the link waiting past the stall time
    c.grant(1);
    clock.advance(BACKLOG_STALL_MS);
    expect(await creditNow(p)).toMatchObject({ linkCredit: 0 });
    // a whole stall time without a delivery: the consumers are stopped, not slow
    clock.advance(BACKLOG_STALL_MS);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: THROTTLED_CREDIT });
    // while they stay stopped, the queue does not hold the sender back again, nor shrink its window
    send(p, THROTTLED_CREDIT / 2);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 2 * THROTTLED_CREDIT });
    expect(queue().messageCount).toBe(BACKLOG_HIGH_MARK + THROTTLED_CREDIT / 2);
    // once they move again, it does
    c.grant(1);
    send(p, 1);
    expect(await linkFlow(p)).toMatchObject({ linkCredit: 0 });
    expect(c.taken).toBe(2);
  });
});
