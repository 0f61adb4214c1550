// Queue features (TTL, length limits, dead-lettering, priorities, quorum delivery limits) on queues
// whose ready messages are paged out: the queue sees FIFOs, ReadyMessages keeps the tail on "disk".
import { describe, expect, it } from "vitest";
import { VirtualHost } from "../../src/core/vhost.js";
import { BrokerError } from "../../src/core/errors.js";
import { type FieldTable, Message, type MessageProperties, TypedField } from "../../src/core/message.js";
import type { ClientRef, Consumer } from "../../src/core/consumer.js";
import type { QueueEntry } from "../../src/core/queue-entry.js";
import { ManualClock } from "../../src/core/clock.js";
import type { PageFile, Persistence } from "../../src/core/durability.js";

function ok<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw new Error(`unexpected ${r.toString()}`);
  return r;
}

class FakeConsumer implements Consumer {
  readonly delivered: QueueEntry[] = [];
  constructor(
    readonly client: ClientRef,
    public credit = Infinity,
  ) {}
  hasCredit(): boolean {
    return this.credit > 0;
  }
  deliver(entry: QueueEntry): void {
    this.credit--;
    this.delivered.push(entry);
  }
  cancelledByBroker(): void {}
}

/** Page files kept in maps (what was written and is not released yet), tiny paging limits. */
function world(args: FieldTable = {}, maxEntries = 4) {
  // every opening is a file of its own (as Persistence.openPageFile's are); `pages` counts them all
  const pages = new Map<number, Message>();
  let next = 0;
  const openPageFile = (): PageFile => {
    const mine = new Set<number>();
    return {
      write: (m) => {
        pages.set(next, m);
        mine.add(next);
        return next++;
      },
      read: (p) => pages.get(p)!,
      release: (p) => {
        pages.delete(p);
        mine.delete(p);
      },
      close: () => {
        for (const p of mine) pages.delete(p);
        mine.clear();
      },
    };
  };
  const persistence: Persistence = {
    durability: { wait: () => {} } as unknown as Persistence["durability"],
    // durable queues (quorum): persistent messages would go here; these tests publish transient ones
    openQueue: () => ({
      persist: () => next++,
      delivered: () => {},
      ack: () => {},
      deleted: () => {},
      load: () => {
        throw new Error("nothing persisted");
      },
    }),
    openPageFile,
    paging: { persistentBytes: 1 << 20, transientBytes: 1 << 20, maxEntries },
    definitionsChanged: () => {},
  };
  const clock = new ManualClock();
  const v = new VirtualHost("/", undefined, clock);
  v.persistence = persistence;
  ok(v.declareExchange("dlx", { type: "fanout" }));
  ok(v.declareQueue("dead", {}, null));
  ok(v.bindQueue("dead", "dlx", "", {}, null));
  ok(v.declareQueue("q", { args, durable: args["x-queue-type"] === "quorum" }, null));
  const q = v.queues.get("q")!;
  const drain = (name: string) => {
    const out: string[] = [];
    for (let e = v.queues.get(name)!.get(true); e !== null; e = v.queues.get(name)!.get(true)) out.push(e.message.body.toString());
    return out;
  };
  return { clock, v, q, pages, drain };
}

const client: ClientRef = { id: 1 };
const msg = (body: string, props: MessageProperties = {}) => new Message("", "q", Buffer.from(body), props);
const range = (n: number, f: (i: number) => string = String) => Array.from({ length: n }, (_, i) => f(i));

describe("queue features on a paged-out queue", () => {
  it("a deep plain queue pages past the head limit and delivers in order, releasing the page file", () => {
    const { v, q, pages, drain } = world();
    for (let i = 0; i < 20; i++) ok(v.publish("", "q", msg(String(i))));
    expect(q.pagedOutCount).toBe(16);
    expect(pages.size).toBe(16);
    expect(drain("q")).toEqual(range(20));
    expect(pages.size).toBe(0);
  });

  it("a browse (JMS queue browser) sees paged-out messages in order and leaves them paged out", () => {
    const { v, q, pages, drain } = world();
    for (let i = 0; i < 20; i++) ok(v.publish("", "q", msg(String(i))));
    expect(q.pagedOutCount).toBe(16);
    expect(q.browse(10).map((e) => e.message.body.toString())).toEqual(range(10));
    const all = q.browse(400);
    expect(all.map((e) => e.message.body.toString())).toEqual(range(20));
    expect(all.map((e) => e.seq)).toEqual(range(20, (i) => String(i + 1)).map(Number));
    expect(q.pagedOutCount).toBe(16);
    expect(pages.size).toBe(16);
    expect(drain("q")).toEqual(range(20));
  });

  it("a paced browse (browseCursor/browseNext) walks head and paged-out tail batch by batch, past a consumed head", () => {
    const { v, q, pages, drain } = world();
    for (let i = 0; i < 20; i++) ok(v.publish("", "q", msg(String(i))));
    const cursor = q.browseCursor();
    const batch: QueueEntry[] = [];
    const seen: string[] = [];
    expect(q.browseNext(cursor, 3, batch)).toBe(true);
    seen.push(...batch.map((e) => e.message.body.toString()));
    // the first two are consumed meanwhile: the browse goes on from where it was
    expect(q.get(true)!.message.body.toString()).toBe("0");
    expect(q.get(true)!.message.body.toString()).toBe("1");
    for (;;) {
      batch.length = 0;
      const more = q.browseNext(cursor, 5, batch);
      expect(batch.length).toBeLessThanOrEqual(5);
      seen.push(...batch.map((e) => e.message.body.toString()));
      if (!more) break;
    }
    expect(seen).toEqual(range(20));
    // messages published after the cursor was made are not part of its browse
    ok(v.publish("", "q", msg("late")));
    batch.length = 0;
    expect(q.browseNext(cursor, 5, batch)).toBe(false);
    expect(batch).toEqual([]);
    expect(q.pagedOutCount).toBeGreaterThan(0);
    expect(pages.size).toBe(q.pagedOutCount);
    expect(drain("q")).toEqual([...range(20).slice(2), "late"]);
  });

  it("x-message-ttl expires paged-out messages at the head when the sweep fires, dead-lettered as expired", () => {
    const { clock, v, q, drain } = world({ "x-message-ttl": 1000, "x-dead-letter-exchange": "dlx" });
    for (let i = 0; i < 10; i++) ok(v.publish("", "q", msg(`a${i}`)));
    clock.advance(500);
    for (let i = 0; i < 10; i++) ok(v.publish("", "q", msg(`b${i}`)));
    expect(q.pagedOutCount).toBe(16);
    clock.advance(500);
    expect(q.messageCount).toBe(10);
    expect(drain("dead")).toEqual(range(10, (i) => `a${i}`));
    clock.advance(500);
    expect(q.messageCount).toBe(0);
    expect(drain("dead")).toEqual(range(10, (i) => `b${i}`));
  });

  it("per-message expiration survives paging (kept in the tail) and expires at the head", () => {
    const { clock, v, q, drain } = world({ "x-dead-letter-exchange": "dlx" });
    for (let i = 0; i < 12; i++) ok(v.publish("", "q", msg(String(i), { expiration: i < 6 ? "100" : "10000" })));
    expect(q.pagedOutCount).toBe(8);
    clock.advance(100);
    expect(drain("dead")).toEqual(range(6));
    expect(drain("q")).toEqual(range(6, (i) => String(i + 6)));
  });

  it("drop-head dead-letters the oldest (reason maxlen) even when the queue is paged; reject-publish refuses", () => {
    const { v, q, drain } = world({ "x-max-length": 10, "x-dead-letter-exchange": "dlx" });
    for (let i = 0; i < 15; i++) ok(v.publish("", "q", msg(String(i))));
    expect(q.messageCount).toBe(10);
    expect(drain("dead")).toEqual(range(5));
    expect(drain("q")).toEqual(range(10, (i) => String(i + 5)));

    const r = world({ "x-max-length": 10, "x-overflow": "reject-publish-dlx", "x-dead-letter-exchange": "dlx" });
    for (let i = 0; i < 15; i++) r.v.publish("", "q", msg(String(i)));
    expect(r.q.messageCount).toBe(10);
    expect(r.q.pagedOutCount).toBe(6);
    expect(r.drain("dead")).toEqual(range(5, (i) => String(i + 10)));
    expect(r.drain("q")).toEqual(range(10));
  });

  it("a priority queue pages each level and delivers highest first, FIFO within a level, requeues in place", () => {
    const { v, q, pages } = world({ "x-max-priority": 5 });
    for (let i = 0; i < 30; i++) ok(v.publish("", "q", msg(`${i % 3}:${i}`, { priority: i % 3 })));
    expect(q.pagedOutCount).toBe(18); // 10 a level, 4 of each in memory
    const c = new FakeConsumer(client, 3);
    const sub = ok(q.consume(c, { noAck: false, exclusive: false, priority: 0, tag: "c" }));
    q.dispatch();
    const first = c.delivered.map((e) => e.message.body.toString());
    expect(first).toEqual(["2:2", "2:5", "2:8"]);
    // put them back: they return ahead of the rest of their level
    for (const e of c.delivered.splice(0)) q.requeue(e);
    q.cancel(sub);
    const out: string[] = [];
    for (let e = q.get(true); e !== null; e = q.get(true)) out.push(e.message.body.toString());
    const expected = [2, 1, 0].flatMap((p) => range(10, (k) => `${p}:${k * 3 + p}`));
    expect(out).toEqual(expected);
    expect(pages.size).toBe(0);
  });

  it("a priority queue's paged levels keep true sequence numbers: collapsing the levels restores publish order", () => {
    const { v, q } = world({ "x-max-priority": 5 });
    for (let i = 0; i < 30; i++) ok(v.publish("", "q", msg(String(i), { priority: i % 3 })));
    expect(q.pagedOutCount).toBe(18);
    // a settings change to a single level re-sorts every message by its place in the queue
    q.applySettings({ ...q.settings, maxPriority: undefined });
    const out: string[] = [];
    for (let e = q.get(true); e !== null; e = q.get(true)) out.push(e.message.body.toString());
    expect(out).toEqual(range(30));
  });

  it("quorum: basic.get of paged-out messages carries x-delivery-count, and the delivery limit dead-letters", () => {
    const { v, q, drain } = world({ "x-queue-type": "quorum", "x-delivery-limit": 1, "x-dead-letter-exchange": "dlx" });
    for (let i = 0; i < 10; i++) ok(v.publish("", "q", msg(String(i))));
    expect(q.pagedOutCount).toBe(6);
    // drain the in-memory head so the next get pages in
    for (let i = 0; i < 4; i++) q.ack(q.get(false)!);
    const e = q.get(false)!;
    expect(e.message.body.toString()).toBe("4");
    expect(e.message.properties.headers!["x-delivery-count"]).toEqual(new TypedField("l", 0));
    q.requeue(e);
    const again = q.get(false)!;
    expect(again.message.body.toString()).toBe("4");
    expect(again.message.properties.headers!["x-delivery-count"]).toEqual(new TypedField("l", 1));
    q.requeue(again);
    expect(drain("dead")).toEqual(["4"]);
    expect(drain("q")).toEqual(range(5, (i) => String(i + 5)));
  });

  it("purge settles paged-out messages without reading them back", () => {
    const { v, q, pages } = world();
    for (let i = 0; i < 20; i++) ok(v.publish("", "q", msg(String(i))));
    expect(q.purge()).toBe(20);
    expect(q.messageCount).toBe(0);
    expect(pages.size).toBe(0);
  });
});
