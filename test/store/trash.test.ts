import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as fs from "node:fs";
import { join } from "node:path";
import { Trash, TRASH_DIR, type TrashOps } from "../../src/store/trash.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dataDir(): string {
  const d = mkdtempSync("/tmp/warren-trash-");
  dirs.push(d);
  return d;
}

/** node:fs's calls, counted: how many are under way at once. */
function countingOps(): { ops: TrashOps; maxInFlight: () => number; calls: () => number } {
  let inFlight = 0;
  let max = 0;
  let calls = 0;
  const wrap =
    <A extends unknown[]>(fn: (...a: A) => void) =>
    (...a: A): void => {
      calls++;
      max = Math.max(max, ++inFlight);
      const done = a.at(-1) as (...r: unknown[]) => void;
      a[a.length - 1] = ((...r: unknown[]) => {
        inFlight--;
        done(...r);
      }) as A[number];
      fn(...a);
    };
  return {
    ops: {
      unlink: wrap((p: string, d: (e: NodeJS.ErrnoException | null) => void) => fs.unlink(p, d)),
      rmdir: wrap((p: string, d: (e: NodeJS.ErrnoException | null) => void) => fs.rmdir(p, d)),
      readdir: wrap((p: string, d: (e: NodeJS.ErrnoException | null, n: string[]) => void) => fs.readdir(p, d)),
    },
    maxInFlight: () => max,
    calls: () => calls,
  };
}

describe("the trash", () => {
  it("frees a name at once and deletes files and whole directories later, one call at a time", async () => {
    const root = dataDir();
    const q = join(root, "queues", "q1");
    mkdirSync(join(q, "sub"), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(q, `${i}.seg`), Buffer.alloc(4096, i));
    writeFileSync(join(q, "sub", "x"), "x");
    writeFileSync(join(root, "one.seg"), "1");
    const counted = countingOps();
    const trash = new Trash(root, counted.ops);

    trash.discard(join(root, "one.seg"));
    trash.discard(q);
    expect(existsSync(join(root, "one.seg"))).toBe(false);
    expect(existsSync(q)).toBe(false);
    // a queue declared again under the same name starts with an empty directory
    mkdirSync(q);
    expect(readdirSync(q)).toEqual([]);

    await trash.emptied();
    expect(readdirSync(join(root, TRASH_DIR))).toEqual([]);
    expect(counted.calls()).toBeGreaterThanOrEqual(23);
    // the thread pool keeps its other threads for the fsyncs confirms wait for
    expect(counted.maxInFlight()).toBe(1);
  });

  it("a path that is not there is no error", async () => {
    const root = dataDir();
    const trash = new Trash(root);
    trash.discard(join(root, "missing"));
    await trash.emptied();
  });

  it("what a crash left in the trash is deleted by the next one on that data dir", async () => {
    const root = dataDir();
    mkdirSync(join(root, TRASH_DIR, "123-4-q", "deeper"), { recursive: true });
    writeFileSync(join(root, TRASH_DIR, "123-4-q", "deeper", "0000000001.seg"), Buffer.alloc(8192));
    writeFileSync(join(root, TRASH_DIR, "123-5-0000000002.seg"), Buffer.alloc(8192));
    const trash = new Trash(root);
    await trash.emptied();
    expect(readdirSync(join(root, TRASH_DIR))).toEqual([]);
  });
});
