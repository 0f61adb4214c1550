// The consumer's unacknowledged deliveries by tag (consumer.ts DeliveryWindow).
import { describe, expect, it } from "vitest";
import type { QueueEntry } from "warren";
import { DeliveryWindow } from "../../protocols/openwire/consumer.js";

const entry = (n: number) => ({ n }) as unknown as QueueEntry;

describe("DeliveryWindow", () => {
  it("holds consecutive tags, takes any of them, and keeps the rest in tag order", () => {
    const w = new DeliveryWindow();
    for (let t = 1; t <= 5; t++) w.add(t, entry(t));
    expect([w.lowest, w.highest, w.size]).toEqual([1, 5, 5]);
    expect(w.take(3)).toEqual(entry(3));
    expect(w.take(3)).toBeUndefined();
    expect(w.take(1)).toEqual(entry(1));
    expect([w.lowest, w.highest, w.size]).toEqual([2, 5, 3]);
    expect([...w.values()]).toEqual([entry(2), entry(4), entry(5)]);
    expect([w.has(1), w.has(2), w.has(3), w.has(6)]).toEqual([false, true, false, false]);
    w.take(2);
    expect(w.lowest).toBe(4);
    w.take(4);
    w.take(5);
    expect([w.lowest, w.highest, w.size]).toEqual([6, 5, 0]);
    w.add(6, entry(6));
    expect([...w.values()]).toEqual([entry(6)]);
    expect(() => w.add(8, entry(8))).toThrow(RangeError);
  });

  it("keeps its bounds over a long run of deliveries settled in order, and goes on after clear", () => {
    const w = new DeliveryWindow();
    for (let t = 1; t <= 100_000; t++) {
      w.add(t, entry(t));
      if (t > 10) w.take(t - 10);
    }
    expect([w.lowest, w.highest, w.size]).toEqual([99_991, 100_000, 10]);
    w.clear();
    expect([w.lowest, w.highest, w.size]).toEqual([100_001, 100_000, 0]);
    w.add(100_001, entry(1));
    expect(w.get(100_001)).toEqual(entry(1));
  });
});
