import { describe, expect, it } from "vitest";
import { type CommitWaiter, type Durability, OrderedCommits } from "../../src/core/index.js";

/** A store whose batches commit when the test says so. */
class FakeDurability implements Durability {
  batch = 1;
  private readonly waiters = new Map<number, CommitWaiter[]>();
  afterCommit(w: CommitWaiter): void {
    const list = this.waiters.get(this.batch) ?? [];
    list.push(w);
    this.waiters.set(this.batch, list);
  }
  /** Ends the batch now accumulating (a new one begins) and later commits it. */
  seal(): number {
    return this.batch++;
  }
  commit(batch: number, ok = true): void {
    for (const w of this.waiters.get(batch) ?? []) w.committed(ok);
    this.waiters.delete(batch);
  }
  get registered(): number {
    let n = 0;
    for (const l of this.waiters.values()) n += l.length;
    return n;
  }
}

function recorder() {
  const out: string[] = [];
  const order = new OrderedCommits<string>({
    release: (item, ok) => out.push(ok ? item : `!${item}`),
    released: () => out.push("|"),
  });
  return { out, order };
}

describe("OrderedCommits", () => {
  it("answers at once when nothing waits and no disk is needed", () => {
    const { out, order } = recorder();
    expect(order.hold("a", null)).toBe(false);
    expect(order.holdBehind("b")).toBe(false);
    expect(order.waiting).toBe(false);
    expect(out).toEqual([]);
  });

  it("registers one waiter per batch and releases in publish order", () => {
    const d = new FakeDurability();
    const { out, order } = recorder();
    order.hold("a", d);
    order.hold("b", d);
    const first = d.seal();
    order.hold("c", d);
    // needs no disk, but waits behind c
    expect(order.hold("d", null)).toBe(true);
    const second = d.seal();
    expect(d.registered).toBe(2);
    expect(order.first).toBe("a");
    d.commit(second);
    expect(out).toEqual([]);
    d.commit(first);
    expect(out).toEqual(["a", "b", "c", "d", "|"]);
    expect(order.waiting).toBe(false);
    expect(order.size).toBe(0);
  });

  it("keeps items held behind a batch out of its failure", () => {
    const d = new FakeDurability();
    const { out, order } = recorder();
    order.hold("a", d);
    order.holdBehind("b");
    order.holdBehind("c");
    d.commit(d.seal(), false);
    expect(out).toEqual(["!a", "b", "c", "|"]);
  });

  it("stops a run when a release clears it (the connection went)", () => {
    const d = new FakeDurability();
    const out: string[] = [];
    const order: OrderedCommits<string> = new OrderedCommits<string>({
      release: (item) => {
        out.push(item);
        if (item === "close") order.clear();
      },
    });
    order.hold("a", d);
    order.holdBehind("close");
    order.holdBehind("never");
    d.commit(d.seal());
    expect(out).toEqual(["a", "close"]);
    expect(order.waiting).toBe(false);
  });

  it("ignores a batch committed after clear()", () => {
    const d = new FakeDurability();
    const { out, order } = recorder();
    order.hold("a", d);
    order.clear();
    d.commit(d.seal());
    expect(out).toEqual([]);
  });
});
