import { describe, expect, it } from "vitest";
import { ReadyMessages, type ReadyOwner } from "../../src/core/ready-messages.js";
import { QueueEntry } from "../../src/core/queue-entry.js";
import { Message } from "../../src/core/message.js";
import type { PageFile, QueueStore } from "../../src/core/durability.js";

/** An in-memory store and page file that count what the container does with them. */
function owner(limits = { persistentBytes: 100, transientBytes: 300, maxEntries: 1000 }) {
  const stored = new Map<number, Message>();
  const paged = new Map<number, Message>();
  const acked: number[] = [];
  let next = 1;
  const store: QueueStore = {
    persist: (m) => {
      stored.set(next, m);
      return next++;
    },
    delivered: () => {},
    ack: (p) => {
      acked.push(p);
    },
    deleted: () => {},
    load: (p) => stored.get(p)!,
  };
  const pageFile: PageFile = {
    write: (m) => {
      paged.set(next, m);
      return next++;
    },
    read: (p) => paged.get(p)!,
    release: (p) => {
      paged.delete(p);
    },
    close: () => paged.clear(),
  };
  const o: ReadyOwner = { store, paging: limits, openPageFile: () => pageFile };
  return { o, store, stored, paged, acked };
}
const msg = (i: number, size = 10) => new Message("", "q", Buffer.alloc(size, i), { deliveryMode: 2 }, null);

describe("ReadyMessages (a queue's message container)", () => {
  it("keeps order across the in-memory head and the paged-out tail, persistent and transient mixed", () => {
    const { o, store, paged } = owner();
    const r = new ReadyMessages(o);
    for (let i = 0; i < 100; i++) {
      const e = new QueueEntry(i + 1, msg(i));
      if (i % 2 === 0) e.position = store.persist(e.message, Infinity);
      r.push(e);
    }
    expect(r.length).toBe(100);
    expect(r.bytes).toBe(1000);
    expect(r.pagedCount).toBeGreaterThan(80); // past 100 bytes for persistent, 300 for transient
    expect(paged.size).toBeGreaterThan(30); // transient ones went to the page file
    const seqs: number[] = [];
    for (let e = r.shift(); e !== undefined; e = r.shift()) {
      expect(e.message.body[0]).toBe(e.seq - 1);
      seqs.push(e.seq);
    }
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(paged.size).toBe(0); // released as read back
    expect(r.bytes).toBe(0);
  });

  it("puts a requeued entry back ahead of the tail, in its original place", () => {
    const { o, store } = owner();
    const r = new ReadyMessages(o);
    for (let i = 0; i < 50; i++) {
      const e = new QueueEntry(i + 1, msg(i));
      e.position = store.persist(e.message, Infinity);
      r.push(e);
    }
    const a = r.shift()!;
    const b = r.shift()!;
    r.requeue(b);
    r.requeue(a);
    expect([r.shift()!.seq, r.shift()!.seq, r.shift()!.seq]).toEqual([1, 2, 3]);
  });

  it("recovered messages past the limit are not decoded until they are shifted", () => {
    const { o, store } = owner();
    const r = new ReadyMessages(o);
    let decoded = 0;
    const load = store.load;
    store.load = (p) => {
      decoded++;
      return load(p);
    };
    for (let i = 0; i < 40; i++) {
      const p = store.persist(msg(i), Infinity);
      r.pushRecovered(i + 1, p, 10, i === 30, Infinity, false, null);
    }
    expect(decoded).toBeLessThan(15);
    const got = [];
    for (let e = r.shift(); e !== undefined; e = r.shift()) got.push(e);
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(got[30]!.redelivered).toBe(true);
    expect(got[29]!.redelivered).toBe(false);
  });

  it("clear settles what is only on disk: stored messages acked, paged ones released", () => {
    const { o, store, paged, acked } = owner();
    const r = new ReadyMessages(o);
    for (let i = 0; i < 60; i++) {
      const e = new QueueEntry(i + 1, msg(i));
      if (i % 3 !== 0) e.position = store.persist(e.message, Infinity);
      r.push(e);
    }
    const inMemory: QueueEntry[] = [];
    expect(r.clear((e) => inMemory.push(e))).toBe(60);
    expect(inMemory.length + acked.length).toBeGreaterThanOrEqual(40);
    expect(paged.size).toBe(0);
    expect(r.length).toBe(0);
    expect(r.shift()).toBeUndefined();
  });

  it("without a store (no data dir) nothing is paged", () => {
    const r = new ReadyMessages({
      store: null,
      paging: null,
      openPageFile: () => {
        throw new Error("no");
      },
    });
    for (let i = 0; i < 5000; i++) r.push(new QueueEntry(i + 1, msg(i % 256)));
    expect(r.pagedCount).toBe(0);
    expect(r.length).toBe(5000);
  });
});
