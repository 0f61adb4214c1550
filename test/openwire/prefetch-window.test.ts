import { describe, expect, it } from "vitest";
import type { QueueEntry, Subscription } from "../../src/core/index.js";
import { type ConsumerHost, OpenWireConsumer } from "../../protocols/openwire/consumer.js";
import type { AnyActiveMQDestination, ConsumerId } from "../../protocols/openwire/codec/commands.generated.js";

/** A consumer with prefetch `n` on a stand-in queue that counts acks. */
function consumer(n: number): { c: OpenWireConsumer; acked: QueueEntry[] } {
  const acked: QueueEntry[] = [];
  const host: ConsumerHost = {
    client: {} as ConsumerHost["client"],
    backedUp: false,
    dispatch: () => {},
    pullEnded: () => {},
    deadLetter: () => {},
    consumerCancelled: () => {},
  };
  const c = new OpenWireConsumer(host, {} as ConsumerId, "c1", "s1", {} as AnyActiveMQDestination, n);
  c.subscription = {
    queue: { ack: (e: QueueEntry) => void acked.push(e), requeue: () => {} },
    resume: () => {},
    cancel: () => {},
  } as unknown as Subscription;
  return { c, acked };
}
const entry = (i: number) => ({ i }) as unknown as QueueEntry;

describe("an OpenWire consumer's prefetch window", () => {
  it("a delivered ack frees credit once; acking those messages later frees none twice", () => {
    const { c, acked } = consumer(3);
    for (let i = 1; i <= 3; i++) c.deliver(entry(i));
    expect(c.hasCredit()).toBe(false);

    c.markDelivered(2); // tags 1 and 2 leave the window, still unacked
    expect(c.hasCredit()).toBe(true);
    c.deliver(entry(4));
    c.deliver(entry(5));
    expect(c.hasCredit()).toBe(false); // 3, 4, 5 in the window

    c.ack(2, false); // standard ack of 1 and 2: already out of the window
    expect(acked).toHaveLength(2);
    expect(c.hasCredit()).toBe(false);

    c.ack(4, true); // individual ack inside the window
    expect(c.hasCredit()).toBe(true);
    c.deliver(entry(6));
    expect(c.hasCredit()).toBe(false); // 3, 5, 6

    c.markDelivered(10); // past the last tag: 3, 5, 6 leave, and so does the next delivery (7)
    c.deliver(entry(7));
    c.deliver(entry(8));
    expect(c.hasCredit()).toBe(true);
    c.ack(8, false);
    expect(acked).toHaveLength(8);
    expect(c.unacked.size).toBe(0);
    for (let i = 9; i <= 11; i++) c.deliver(entry(i));
    expect(c.hasCredit()).toBe(true); // 9 and 10 are past the delivered mark of 10; 11 alone counts
    c.deliver(entry(12));
    c.deliver(entry(13));
    expect(c.hasCredit()).toBe(false);
  });
});
