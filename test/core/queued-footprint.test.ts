import { describe, expect, it } from "vitest";
import { BrokerError } from "../../src/core/errors.js";
import { Message } from "../../src/core/message.js";
import { QueueEntry } from "../../src/core/queue-entry.js";
import { VirtualHost } from "../../src/core/vhost.js";
import { heapAfterGc } from "../helpers/heap.js";

const N = 100_000;

/**
 * What a queue itself holds per ready message, over the messages it holds: measured with the
 * messages already made and kept elsewhere, so only the queue's own records count. On 64-bit Node
 * (no pointer compression) that is a QueueEntry of 11 fields (112 B) and its slot in the queue.
 */
function heldPerMessage(args: Record<string, number>, n = N): number {
  // compiled first, so the measured round adds no optimised code to the heap
  if (n === N) heldPerMessage(args, 20_000);
  const v = new VirtualHost("/");
  const declared = v.declareQueue("q", { args }, null);
  if (declared instanceof BrokerError) throw new Error(declared.text);
  const bodies = Buffer.alloc(n);
  const messages = Array.from({ length: n }, (_, i) => new Message("", "q", bodies.subarray(i, i + 1), null));
  const before = heapAfterGc();
  for (const m of messages) {
    const r = v.publish("", "q", m);
    if (r instanceof BrokerError) throw new Error(r.text);
  }
  const after = heapAfterGc();
  expect(v.queues.get("q")!.messageCount).toBe(n);
  return (after - before) / n;
}

describe("what a queue holds per ready message", () => {
  it("is its entry and a slot, with no box for an expiry it does not have", () => {
    // ~115 B; ~131 with its three booleans as fields of their own, ~147 more when an entry kept
    // "no expiry" as Infinity, a double V8 boxes per object
    expect(heldPerMessage({})).toBeLessThan(122);
  });

  it("stays so after entries with an expiry went through the same code", () => {
    // a queue with a TTL first: its entries' clock times must not make later entries box theirs
    // (what those few hold is not asserted: 2,000 messages are too few for a steady figure)
    heldPerMessage({ "x-message-ttl": 600_000 }, 2_000);
    expect(heldPerMessage({})).toBeLessThan(122);
  });

  it("stays so after an entry kept a store position past 2^31", () => {
    // a durable queue's positions are a segment's id times 2^32: doubles; 16 B more when that
    // made every later entry box its -1
    const persisted = new QueueEntry(1, new Message("", "q", Buffer.alloc(1), null));
    persisted.position = 2 ** 33 + 5;
    expect(persisted.position).toBe(2 ** 33 + 5);
    expect(heldPerMessage({})).toBeLessThan(122);
  });
});
