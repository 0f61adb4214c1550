/**
 * File descriptors stay bounded: every file of a store is opened through one FilePool (an LRU of
 * open descriptors), so thousands of segments cost at most the pool's cap.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultFileCap, FilePool, processFdLimit } from "../../src/store/file-pool.js";
import { GroupCommit } from "../../src/store/group-commit.js";
import { DiskMessageStore } from "../../src/store/message-store.js";

const openFds = () => readdirSync("/proc/self/fd").length;

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("FilePool", () => {
  it("keeps at most cap descriptors, closing the least recently used; pinned ones stay open", () => {
    dir = mkdtempSync(join(tmpdir(), "warren-pool-"));
    const pool = new FilePool(2);
    const create = 0o100 | 0o2; // O_CREAT | O_RDWR
    const [a, b, c] = ["a", "b", "c"].map((n) => pool.handle(join(dir, n), create));
    a!.pin();
    a!.unpin();
    b!.pin();
    b!.unpin();
    const fdA = a!.pin(); // a is now the most recently used
    a!.unpin();
    expect(a!.fd).toBe(fdA);
    c!.pin();
    c!.unpin();
    expect(pool.stats.open).toBe(2);
    expect(b!.fd).toBe(-1); // evicted: least recently used
    expect(a!.fd).toBeGreaterThanOrEqual(0);
    // pinned: not evicted; the pool goes over its cap for the length of the pin, then comes back
    a!.pin();
    c!.pin();
    b!.pin();
    expect(pool.stats.open).toBe(3);
    b!.unpin();
    expect(pool.stats.open).toBe(2);
    // closed while pinned: the descriptor goes when unpinned
    a!.close();
    expect(a!.fd).toBeGreaterThanOrEqual(0);
    a!.unpin();
    expect(a!.fd).toBe(-1);
    expect(() => a!.pin()).toThrow(/closed/);
    c!.unpin();
    expect(pool.stats.evictions).toBeGreaterThan(0);
  });

  it("frees one of its descriptors and retries when the process is out of them (EMFILE)", () => {
    dir = mkdtempSync(join(tmpdir(), "warren-pool-"));
    const pool = new FilePool(4);
    const h = pool.handle(join(dir, "x"), 0o100 | 0o2);
    h.pin();
    h.unpin();
    let calls = 0;
    const v = pool.retrying(() => {
      if (calls++ === 0) throw Object.assign(new Error("too many open files"), { code: "EMFILE" });
      return 42;
    });
    expect(v).toBe(42);
    expect(h.fd).toBe(-1);
    // nothing left to free: the error goes to the caller
    expect(() =>
      pool.retrying(() => {
        throw Object.assign(new Error("too many open files"), { code: "EMFILE" });
      }),
    ).toThrow(/too many open files/);
  });

  it("the default cap is a quarter of the process's soft limit, between 8 and 4096", () => {
    expect(processFdLimit()).toBeGreaterThan(0);
    expect(defaultFileCap(1024)).toBe(256);
    expect(defaultFileCap(250)).toBe(62);
    expect(defaultFileCap(16)).toBe(8);
    expect(defaultFileCap(1_048_576)).toBe(4096);
  });
});

describe("DiskMessageStore descriptors", () => {
  it("many small segments in several stores share a few descriptors, and recover within them too", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-fds-"));
    const cap = 6;
    const commit = new GroupCommit();
    const open = (files: FilePool) =>
      [0, 1, 2].map((i) => new DiskMessageStore({ dir: join(dir, `q${i}`), commit, segmentSize: 4096, files }));
    const before = openFds();
    let pool = new FilePool(cap);
    let stores = open(pool);
    const positions: number[][] = [[], [], []];
    const body = (q: number, i: number) => Buffer.alloc(1000, `${q}:${i};`);
    for (let round = 0; round < 20; round++) {
      for (let q = 0; q < 3; q++) {
        for (let i = 0; i < 10; i++) positions[q]!.push(stores[q]!.append(body(q, positions[q]!.length)));
      }
      await commit.drain();
      // every record read back, out of order across stores and segments (reads reopen evicted files)
      for (let q = 2; q >= 0; q--) {
        const ps = positions[q]!;
        for (const k of [round, ps.length >> 1, ps.length - 1]) expect(stores[q]!.read(ps[k]!)).toEqual(body(q, k));
      }
      // a few deliveries and acks: ack files are opened through the pool as well
      for (let q = 0; q < 3; q++) {
        const p = positions[q]![round]!;
        stores[q]!.markDelivered(p);
        stores[q]!.ack(p);
      }
      await commit.drain();
      expect(openFds() - before).toBeLessThanOrEqual(cap);
    }
    const segments = stores.reduce((n, s) => n + s.segmentCount, 0);
    expect(segments).toBeGreaterThan(100);
    expect(pool.stats.evictions).toBeGreaterThan(0);
    for (const s of stores) await s.close();
    expect(openFds()).toBe(before);

    // recovery (after a crash: every record is verified) opens no more than the cap either
    pool = new FilePool(cap);
    stores = open(pool);
    expect(openFds() - before).toBeLessThanOrEqual(cap);
    for (let q = 0; q < 3; q++) {
      const got = stores[q]!.recovered();
      expect(got.length).toBe(positions[q]!.length - 20);
      expect(got.every((r) => r.payload.equals(body(q, positions[q]!.indexOf(r.position))))).toBe(true);
    }
    for (const s of stores) await s.close();
    expect(openFds()).toBe(before);
  });

  it("a deleted queue's late writes never reopen a file of a queue declared again in its place", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-fds-"));
    const commit = new GroupCommit();
    const files = new FilePool(1);
    const qdir = join(dir, "q");
    const old = new DiskMessageStore({ dir: qdir, commit, segmentSize: 4096, files });
    for (let i = 0; i < 12; i++) old.append(Buffer.alloc(1000, "o"));
    await commit.drain();
    // buffered writes to several segments whose descriptors the cap of 1 has closed
    for (let i = 0; i < 12; i++) old.append(Buffer.alloc(1000, "o"));
    // deleted (its directory renamed away, as removeStoreDir does) and declared again at once
    old.abandon();
    renameSync(qdir, `${qdir}.deleted`);
    const fresh = new DiskMessageStore({ dir: qdir, commit, segmentSize: 4096, files });
    fresh.append(Buffer.from("new"));
    await commit.drain();
    await fresh.close();
    expect(readdirSync(qdir).filter((f) => f.endsWith(".seg"))).toEqual(["0000000001.seg"]);
    const back = new DiskMessageStore({ dir: qdir, commit, files });
    expect(back.recovered().map((r) => r.payload.toString())).toEqual(["new"]);
    await back.close();
  });

  it("a commit that gets no descriptor fails (nack) and loses nothing: the next one writes it all", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-fds-"));
    class Exhausted extends FilePool {
      fail = false;
      override retrying<T>(fn: () => T): T {
        if (this.fail) throw Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE" });
        return super.retrying(fn);
      }
    }
    const files = new Exhausted(4);
    const commit = new GroupCommit();
    const s = new DiskMessageStore({ dir, commit, files });
    files.fail = true;
    s.append(Buffer.from("first")); // the segment's file does not exist yet: its header is in this write
    const outcome = new Promise<boolean>((resolve) => commit.afterCommit({ committed: resolve }));
    expect(await outcome).toBe(false);
    files.fail = false;
    s.append(Buffer.from("second"));
    const again = new Promise<boolean>((resolve) => commit.afterCommit({ committed: resolve }));
    expect(await again).toBe(true);
    await s.close();
    const back = new DiskMessageStore({ dir, commit: new GroupCommit() });
    expect(back.recovered().map((r) => r.payload.toString())).toEqual(["first", "second"]);
    await back.close();
  });
});
