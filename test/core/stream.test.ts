import { describe, expect, it } from "vitest";
import { VirtualHost } from "../../src/core/vhost.js";
import { BrokerError, ReplyCode } from "../../src/core/errors.js";
import { type FieldTable, type FieldValue, Message, TypedField } from "../../src/core/message.js";
import type { ClientRef, Consumer, Subscription } from "../../src/core/consumer.js";
import type { QueueEntry } from "../../src/core/queue-entry.js";
import { StreamQueue } from "../../src/core/stream.js";

class Reader implements Consumer {
  readonly client: ClientRef = { id: 1 };
  readonly got: QueueEntry[] = [];
  constructor(public credit = Infinity) {}
  hasCredit(): boolean {
    return this.credit > 0;
  }
  deliver(entry: QueueEntry): void {
    this.credit--;
    this.got.push(entry);
  }
  cancelledByBroker(): void {}
  get bodies(): string[] {
    return this.got.map((e) => e.message.body.toString());
  }
  get offsets(): unknown[] {
    return this.got.map((e) => (e.message.properties.headers!["x-stream-offset"] as TypedField).value);
  }
}

function stream(args: FieldTable = {}) {
  const v = new VirtualHost("/");
  let now = 1_000_000;
  v.clock = () => now;
  const r = v.declareQueue("s", { durable: true, args: { "x-queue-type": "stream", ...args } }, null);
  if (r instanceof BrokerError) throw new Error(r.text);
  const q = v.queues.get("s") as StreamQueue;
  const publish = (...bodies: string[]) => {
    for (const b of bodies) v.publish("", "s", new Message("", "s", Buffer.from(b), { headers: { h: b } }));
  };
  const read = (offset: FieldValue | undefined, credit = Infinity, prefetch = 100) => {
    const c = new Reader(credit);
    const sub = q.consume(c, {
      tag: "t",
      noAck: false,
      exclusive: false,
      priority: 0,
      prefetch,
      args: offset === undefined ? {} : { "x-stream-offset": offset },
    });
    if (sub instanceof BrokerError) throw new Error(sub.text);
    q.dispatch();
    return { c, sub: sub as Subscription };
  };
  return { v, q, publish, read, advance: (ms: number) => (now += ms) };
}

describe("stream queues", () => {
  it("consumers read without removing: first, last, next and numeric offsets", () => {
    const { publish, read, q } = stream();
    publish("a", "b", "c", "d");
    expect(read("first").c.bodies).toEqual(["a", "b", "c", "d"]);
    expect(read("last").c.bodies).toEqual(["d"]);
    expect(read("next").c.bodies).toEqual([]);
    expect(read(undefined).c.bodies).toEqual([]);
    expect(read(2).c.bodies).toEqual(["c", "d"]);
    expect(read(-5).c.bodies).toEqual(["a", "b", "c", "d"]);
    expect(read(new TypedField("l", 100)).c.bodies).toEqual([]);
    expect(q.length).toBe(4);
    expect(q.messageCount).toBe(0);
  });

  it("each delivery carries its offset in an x-stream-offset long header, beside the publisher's headers", () => {
    const { publish, read } = stream();
    publish("a", "b");
    const { c } = read("first");
    expect(c.offsets).toEqual([0, 1]);
    expect((c.got[1]!.message.properties.headers!["x-stream-offset"] as TypedField).type).toBe("l");
    expect(c.got[1]!.message.properties.headers!["h"]).toBe("b");
  });

  it("a consumer at next gets what is published afterwards; each consumer keeps its own position", () => {
    const { publish, read } = stream();
    publish("a");
    const late = read("next");
    const early = read("first");
    publish("b", "c");
    expect(late.c.bodies).toEqual(["b", "c"]);
    expect(early.c.bodies).toEqual(["a", "b", "c"]);
  });

  it("credit bounds what a consumer is sent; acks give it back and it reads on", () => {
    const { publish, read, q } = stream();
    publish("a", "b", "c");
    const { c } = read("first", 2);
    expect(c.bodies).toEqual(["a", "b"]);
    c.credit = 1;
    q.ack(c.got[0]!);
    q.dispatch();
    expect(c.bodies).toEqual(["a", "b", "c"]);
  });

  it("timestamps and intervals start at the first message taken at or after that time", () => {
    const { publish, read, advance } = stream();
    publish("old");
    advance(3_600_000);
    const t = 1_000_000 + 3_600_000;
    publish("new");
    expect(read(new Date(t)).c.bodies).toEqual(["new"]);
    expect(read(new TypedField("T", t / 1000)).c.bodies).toEqual(["new"]);
    expect(read("30m").c.bodies).toEqual(["new"]);
    expect(read("2h").c.bodies).toEqual(["old", "new"]);
  });

  it("refuses automatic acks (540), a missing prefetch (406) and offsets it cannot read (541)", () => {
    const { q } = stream();
    const c = new Reader();
    const base = { tag: "t", exclusive: false, priority: 0 };
    const e1 = q.consume(c, { ...base, noAck: true, prefetch: 10 }) as BrokerError;
    expect(e1.code).toBe(ReplyCode.NOT_IMPLEMENTED);
    expect(e1.text).toBe("NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues queue 's' in vhost '/'");
    const e2 = q.consume(c, { ...base, noAck: false, prefetch: 0 }) as BrokerError;
    expect(e2.text).toBe("PRECONDITION_FAILED - consumer prefetch count is not set for 'queue 's' in vhost '/''");
    const e3 = q.consume(c, { ...base, noAck: false, prefetch: 1, args: { "x-stream-offset": "foo" } }) as BrokerError;
    expect(e3.code).toBe(ReplyCode.INTERNAL_ERROR);
  });

  it("purge is refused with RabbitMQ's 540", () => {
    const { v } = stream();
    const e = v.purgeQueue("s", null) as BrokerError;
    expect(e.text).toBe("NOT_IMPLEMENTED - queue.purge not supported by stream queues queue 's' in vhost '/'");
  });

  it("x-max-length-bytes drops whole old segments, only when a segment fills", () => {
    // 100-byte bodies count 164 bytes each: 3 per 500-byte segment
    const { publish, read, q } = stream({ "x-max-length-bytes": 1000, "x-stream-max-segment-size-bytes": 500 });
    const body = "x".repeat(100);
    for (let i = 0; i < 6; i++) publish(body);
    expect(q.firstOffset).toBe(0);
    for (let i = 0; i < 20; i++) publish(body);
    expect(q.firstOffset).toBeGreaterThan(0);
    expect(q.firstOffset % 3).toBe(0);
    const { c } = read("first");
    expect(c.got[0]!.seq).toBe(q.firstOffset);
    expect(c.got.length).toBe(26 - q.firstOffset);
    expect(c.got.length * 164).toBeLessThanOrEqual(1000 + 500);
  });

  it("x-max-age drops segments whose newest message is older than the limit", () => {
    // two 164-byte records per 400-byte segment
    const { publish, q, advance } = stream({ "x-max-age": "10s", "x-stream-max-segment-size-bytes": 400 });
    publish("x".repeat(100), "x".repeat(100));
    advance(20_000);
    publish("x".repeat(100), "x".repeat(100));
    expect(q.firstOffset).toBe(0);
    publish("x".repeat(100));
    expect(q.firstOffset).toBe(2);
  });

  it("a consumer overtaken by retention goes on from the oldest message kept", () => {
    const { publish, read, q } = stream({ "x-max-length-bytes": 200, "x-stream-max-segment-size-bytes": 170 });
    publish("a");
    const { c } = read("first", 0);
    for (let i = 0; i < 10; i++) publish("x".repeat(100));
    c.credit = Infinity;
    q.dispatch();
    expect(c.got[0]!.seq).toBe(q.firstOffset);
  });
});
