import { describe, expect, it } from "vitest";
import { VirtualHost } from "../../src/core/vhost.js";
import { BrokerError, ReplyCode } from "../../src/core/errors.js";
import type { FieldTable } from "../../src/core/message.js";
import type { QueueDeclare } from "../../src/core/vhost.js";

function declare(name: string, args: FieldTable, d: Partial<QueueDeclare> = {}) {
  const v = new VirtualHost("/");
  return v.declareQueue(name, { durable: true, ...d, args }, null);
}

function refusedWith(r: unknown, text: string): void {
  expect(r).toBeInstanceOf(BrokerError);
  expect((r as BrokerError).code).toBe(ReplyCode.PRECONDITION_FAILED);
  expect((r as BrokerError).text).toBe(`PRECONDITION_FAILED - ${text}`);
}

describe("x-queue-type (texts as RabbitMQ 3.10.5 gives them)", () => {
  it("classic, quorum and stream queues are declared durable", () => {
    for (const t of ["classic", "quorum", "stream"]) expect(declare(`q-${t}`, { "x-queue-type": t })).not.toBeInstanceOf(BrokerError);
  });

  it("an unknown type is refused", () => {
    refusedWith(
      declare("q", { "x-queue-type": "foo" }),
      `invalid arg 'x-queue-type' for queue 'q' in vhost '/': "unsupported queue type 'foo'"`,
    );
  });

  it("quorum and stream queues must be durable, non-exclusive and not auto-delete, checked in that order", () => {
    for (const [t, m] of [
      ["quorum", "rabbit_quorum_queue"],
      ["stream", "rabbit_stream_queue"],
    ] as const) {
      void m;
      refusedWith(declare("q", { "x-queue-type": t }, { durable: false }), "invalid property 'non-durable' for queue 'q' in vhost '/'");
      refusedWith(
        declare("q", { "x-queue-type": t }, { exclusive: true }),
        "invalid property 'exclusive-owner' for queue 'q' in vhost '/'",
      );
      refusedWith(declare("q", { "x-queue-type": t }, { autoDelete: true }), "invalid property 'auto-delete' for queue 'q' in vhost '/'");
      refusedWith(
        declare("q", { "x-queue-type": t }, { durable: false, exclusive: true, autoDelete: true }),
        "invalid property 'auto-delete' for queue 'q' in vhost '/'",
      );
    }
  });

  it("a server-named quorum or stream queue is refused before anything else", () => {
    refusedWith(
      declare("", { "x-queue-type": "quorum", "x-max-priority": 2 }, { durable: false }),
      "Cannot declare a server-named queue for type rabbit_quorum_queue",
    );
    refusedWith(declare("", { "x-queue-type": "stream" }), "Cannot declare a server-named queue for type rabbit_stream_queue");
  });

  it("each type refuses the arguments other types take, the first in the client's order", () => {
    refusedWith(
      declare("q", { "x-queue-type": "quorum", "x-max-priority": 5 }),
      "invalid arg 'x-max-priority' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue",
    );
    refusedWith(
      declare("q", { "x-queue-type": "quorum", "x-queue-mode": "lazy", "x-max-priority": 5 }),
      "invalid arg 'x-queue-mode' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue",
    );
    refusedWith(
      declare("q", { "x-queue-type": "stream", "x-message-ttl": 5 }),
      "invalid arg 'x-message-ttl' for queue 'q' in vhost '/' of queue type rabbit_stream_queue",
    );
    refusedWith(
      declare("q", { "x-queue-type": "stream", "x-delivery-limit": 5 }),
      "invalid arg 'x-delivery-limit' for queue 'q' in vhost '/' of queue type rabbit_stream_queue",
    );
    refusedWith(
      declare("q", { "x-max-age": "1h" }),
      "invalid arg 'x-max-age' for queue 'q' in vhost '/' of queue type rabbit_classic_queue",
    );
    refusedWith(
      declare("q", { "x-queue-type": "classic", "x-delivery-limit": 3 }),
      "invalid arg 'x-delivery-limit' for queue 'q' in vhost '/' of queue type rabbit_classic_queue",
    );
  });

  it("value checks come before type checks, and type checks before property checks", () => {
    refusedWith(
      declare("q", { "x-queue-type": "quorum", "x-max-length": -1, "x-max-priority": 3 }),
      "invalid arg 'x-max-length' for queue 'q' in vhost '/': {value_negative,-1}",
    );
    refusedWith(
      declare("q", { "x-queue-type": "quorum", "x-max-priority": 3 }, { durable: false }),
      "invalid arg 'x-max-priority' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue",
    );
  });

  it("arguments no type knows are ignored by all", () => {
    for (const t of ["classic", "quorum", "stream"])
      expect(declare("q", { "x-queue-type": t, "x-foo": 1, "x-ha-policy": "all" })).not.toBeInstanceOf(BrokerError);
  });

  it("quorum queues take TTLs, limits, dead-lettering, delivery limits and single active consumer", () => {
    expect(
      declare("q", {
        "x-queue-type": "quorum",
        "x-message-ttl": 1000,
        "x-expires": 10000,
        "x-max-length": 10,
        "x-max-length-bytes": 100,
        "x-overflow": "reject-publish",
        "x-dead-letter-exchange": "dlx",
        "x-dead-letter-strategy": "at-least-once",
        "x-delivery-limit": 3,
        "x-single-active-consumer": true,
        "x-quorum-initial-group-size": 3,
      }),
    ).not.toBeInstanceOf(BrokerError);
    refusedWith(
      declare("q", { "x-queue-type": "quorum", "x-dead-letter-strategy": "foo" }),
      "invalid arg 'x-dead-letter-strategy' for queue 'q' in vhost '/': invalid_dlx_strategy",
    );
  });

  it("x-queue-mode lazy is accepted on classic queues", () => {
    expect(declare("q", { "x-queue-mode": "lazy" })).not.toBeInstanceOf(BrokerError);
  });

  it("x-max-age takes a positive count of Y, M, D, h, m or s", () => {
    for (const u of ["Y", "M", "D", "h", "m", "s"])
      expect(declare("s", { "x-queue-type": "stream", "x-max-age": `2${u}` })).not.toBeInstanceOf(BrokerError);
    for (const bad of ["2ms", "2d", "2", "0s", "abc"]) {
      refusedWith(
        declare("s", { "x-queue-type": "stream", "x-max-age": bad }),
        "invalid arg 'x-max-age' for queue 's' in vhost '/': invalid_max_age",
      );
    }
    refusedWith(
      declare("s", { "x-queue-type": "stream", "x-max-age": 5 }),
      "invalid arg 'x-max-age' for queue 's' in vhost '/': {unacceptable_type,signedint}",
    );
  });

  it("x-stream-max-segment-size-bytes is a non-negative integer", () => {
    refusedWith(
      declare("s", { "x-queue-type": "stream", "x-stream-max-segment-size-bytes": "x" }),
      `invalid arg 'x-stream-max-segment-size-bytes' for queue 's' in vhost '/': "expected integer, got longstr"`,
    );
    refusedWith(
      declare("s", { "x-queue-type": "stream", "x-stream-max-segment-size-bytes": -1 }),
      "invalid arg 'x-stream-max-segment-size-bytes' for queue 's' in vhost '/': {value_negative,-1}",
    );
  });
});
