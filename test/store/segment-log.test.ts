import { afterEach, describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupCommit, type CommitWaiter } from "../../src/store/group-commit.js";
import { type DroppedTail, IncompatibleStoreError, SEGMENT_HEADER, SegmentLog } from "../../src/store/segment-log.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = mkdtempSync(join(tmpdir(), "warren-seg-")));
const segFiles = () =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".seg"))
    .sort();

function reopen(dropped: DroppedTail[] = [], segmentSize = 1 << 20) {
  const got: Buffer[] = [];
  const log = SegmentLog.open({ dir, commit: new GroupCommit(), segmentSize, onDropped: (d) => dropped.push(d) }, (_p, b) =>
    got.push(Buffer.from(b)),
  );
  return { log, got };
}

describe("SegmentLog", () => {
  it("writes all appends of one event-loop turn with one commit, then tells every waiter once", async () => {
    fresh();
    const commit = new GroupCommit();
    const log = SegmentLog.open({ dir, commit });
    const told: boolean[] = [];
    const w: CommitWaiter = { committed: (ok) => told.push(ok) };
    for (let i = 0; i < 1000; i++) log.append(Buffer.from(`m${i}`));
    commit.afterCommit(w);
    commit.afterCommit(w);
    expect(told).toEqual([]);
    await commit.drain();
    expect(told).toEqual([true, true]);
    expect(commit.stats.commits).toBe(1);
    log.close();
    expect(reopen().got.length).toBe(1000);
  });

  it("rolls over to a new segment file at the configured size", async () => {
    fresh();
    const commit = new GroupCommit();
    const log = SegmentLog.open({ dir, commit, segmentSize: 1024 });
    for (let i = 0; i < 100; i++) log.append(Buffer.alloc(100, i));
    await commit.drain();
    log.close();
    expect(segFiles().length).toBeGreaterThan(9);
    for (const f of segFiles()) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(1024);
    const { got } = reopen();
    expect(got.map((b) => b[0])).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("deletes a segment once every record in it is acked", async () => {
    fresh();
    const commit = new GroupCommit();
    const log = SegmentLog.open({ dir, commit, segmentSize: 1024 });
    const ps = Array.from({ length: 30 }, () => log.append(Buffer.alloc(100)));
    await commit.drain();
    const before = segFiles().length;
    for (const p of ps.slice(0, 9)) log.release(p);
    await commit.drain();
    expect(segFiles().length).toBe(before - 1);
    log.close();
  });

  it("truncates a torn tail at the first bad checksum, keeps what precedes it and reports the drop", async () => {
    fresh();
    const commit = new GroupCommit();
    const log = SegmentLog.open({ dir, commit });
    for (let i = 0; i < 10; i++) log.append(Buffer.from(`record ${i}`));
    await commit.drain();
    log.close();
    const path = join(dir, segFiles()[0]!);
    const data = readFileSync(path);
    data.writeUInt8(data.readUInt8(data.length - 3) ^ 0xff, data.length - 3); // corrupt the last record's payload
    writeFileSync(path, data);
    appendFileSync(path, Buffer.from([0, 0, 1])); // and a torn header after it
    const dropped: DroppedTail[] = [];
    const { got, log: again } = reopen(dropped);
    expect(got.map(String)).toEqual(Array.from({ length: 9 }, (_, i) => `record ${i}`));
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ path, reason: "checksum mismatch" });
    // the damaged bytes are gone from the file and new appends follow the good records
    again.append(Buffer.from("next"));
    await again["options"].commit.drain();
    again.close();
    expect(reopen().got.map(String).slice(-2)).toEqual(["record 8", "next"]);
  });

  it("drops a record cut short by a crash mid-write", async () => {
    fresh();
    const commit = new GroupCommit();
    const log = SegmentLog.open({ dir, commit });
    for (let i = 0; i < 5; i++) log.append(Buffer.alloc(1000, i));
    await commit.drain();
    log.close();
    const path = join(dir, segFiles()[0]!);
    truncateSync(path, statSync(path).size - 10);
    const dropped: DroppedTail[] = [];
    expect(reopen(dropped).got.length).toBe(4);
    expect(dropped[0]!.reason).toMatch(/cut short/);
    expect(statSync(path).size).toBe(SEGMENT_HEADER + 4 * 1008);
  });

  it("refuses a segment written by another store version, naming the file and both versions", async () => {
    fresh();
    const commit = new GroupCommit();
    const log = SegmentLog.open({ dir, commit });
    log.append(Buffer.from("x"));
    await commit.drain();
    log.close();
    const path = join(dir, segFiles()[0]!);
    const data = readFileSync(path);
    data.writeUInt32BE(99, 8);
    writeFileSync(path, data);
    expect(() => reopen()).toThrow(IncompatibleStoreError);
    expect(() => reopen()).toThrow(new RegExp(`${path}.*version 99.*store version 1`));
  });
});
