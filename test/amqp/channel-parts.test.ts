import { describe, expect, it } from "vitest";
import { BrokerError, type Queue, type QueueEntry } from "../../src/core/index.js";
import { encodeTable } from "../../protocols/amqp/codec/field-table.js";
import { PROTOCOL_HEADER } from "../../protocols/amqp/codec/frames.js";
import { PrefetchLimiter } from "../../protocols/amqp/prefetch-limiter.js";
import { ProtocolHeaderReader } from "../../protocols/amqp/protocol-header.js";
import { parseCredentials } from "../../protocols/amqp/sasl.js";
import { UnackedDeliveries } from "../../protocols/amqp/unacked.js";

// The pieces the AMQP connection and channel are made of, on their own (the conformance
// scenarios cover them through real clients).

const entry = {} as QueueEntry;
const queue = {} as Queue;

describe("UnackedDeliveries", () => {
  const filled = (n: number): UnackedDeliveries => {
    const u = new UnackedDeliveries();
    for (let i = 0; i < n; i++) u.track(u.nextTag(), entry, queue, null);
    return u;
  };

  it("picks one tag, everything up to a tag with multiple, everything with multiple and tag 0", () => {
    const u = filled(5);
    expect((u.pick(2, false) as { tag: number }[]).map((x) => x.tag)).toEqual([2]);
    expect((u.pick(4, true) as { tag: number }[]).map((x) => x.tag)).toEqual([1, 3, 4]);
    expect((u.pick(0, true) as { tag: number }[]).map((x) => x.tag)).toEqual([5]);
    expect(u.size).toBe(0);
  });

  it("refuses an unknown tag with 406 and leaves the rest", () => {
    const u = filled(2);
    const err = u.pick(7, true);
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).text).toBe("PRECONDITION_FAILED - unknown delivery tag 7");
    expect(u.size).toBe(2);
  });

  it("restores rolled-back settlements in delivery-tag order", () => {
    const u = filled(4);
    const a = u.pick(3, false) as never[];
    const b = u.pick(1, false) as never[];
    u.restore([a, b]);
    expect(u.takeAll().map((x) => x.tag)).toEqual([1, 2, 3, 4]);
  });
});

describe("PrefetchLimiter", () => {
  it("starts the channel-wide volume from what is unacked, and a per-consumer qos lifts it", () => {
    const l = new PrefetchLimiter();
    l.qos(10, true, 3);
    expect([l.global, l.volume]).toEqual([10, 3]);
    l.qos(5, false, 3);
    expect([l.consumerPrefetch, l.global, l.volume]).toEqual([5, 0, 0]);
  });

  it("frees only consumer deliveries", () => {
    const l = new PrefetchLimiter();
    l.qos(10, true, 0);
    l.volume = 3;
    l.settled([
      { tag: 1, entry, queue, consumer: null },
      { tag: 2, entry, queue, consumer: {} as never },
    ]);
    expect(l.volume).toBe(2);
  });
});

describe("ProtocolHeaderReader", () => {
  it("takes the header in pieces and gives back what follows it", () => {
    const r = new ProtocolHeaderReader();
    expect(r.read(PROTOCOL_HEADER.subarray(0, 3))).toBeNull();
    const rest = r.read(Buffer.concat([PROTOCOL_HEADER.subarray(3), Buffer.from([1, 2])]));
    expect(rest).toEqual(Buffer.from([1, 2]));
  });

  it("refuses another protocol's header", () => {
    expect(new ProtocolHeaderReader().read(Buffer.from("AMQP\x00\x00\x09\x00"))).toBe(false);
  });
});

describe("parseCredentials", () => {
  it("reads PLAIN and AMQPLAIN responses", () => {
    expect(parseCredentials("PLAIN", Buffer.from("\u0000bob\u0000pw"))).toEqual({ username: "bob", password: "pw" });
    const table = Buffer.alloc(64);
    const end = encodeTable(table, 0, { LOGIN: "ann", PASSWORD: "s" });
    expect(parseCredentials("AMQPLAIN", table.subarray(4, end))).toEqual({ username: "ann", password: "s" });
  });

  it("refuses a malformed response and an unknown mechanism as RabbitMQ words it", () => {
    expect((parseCredentials("PLAIN", Buffer.from("bob")) as BrokerError).code).toBe(403);
    expect((parseCredentials("CRAM", Buffer.alloc(0)) as BrokerError).text).toBe(
      "COMMAND_INVALID - unknown authentication mechanism 'CRAM'",
    );
  });
});
