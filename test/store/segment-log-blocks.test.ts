import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupCommit } from "../../src/store/group-commit.js";
import { SegmentLog } from "../../src/store/segment-log.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("SegmentLog.readBlock and dropBefore (what streams use)", () => {
  it("reads consecutive records from one position in one block, at least one however small the block", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-seg-"));
    const commit = new GroupCommit();
    const log = SegmentLog.open({ dir, commit });
    const positions = Array.from({ length: 100 }, (_, i) => log.append(Buffer.from(`record-${i}`)));
    // still buffered in memory: one record at a time
    expect(log.readBlock(positions[10]!, 1 << 16).map((r) => r.payload.toString())).toEqual(["record-10"]);
    await commit.drain();
    const block = log.readBlock(positions[10]!, 1 << 16);
    expect(block.map((r) => r.payload.toString())).toEqual(Array.from({ length: 90 }, (_, i) => `record-${i + 10}`));
    expect(block.map((r) => r.position)).toEqual(positions.slice(10));
    expect(log.readBlock(positions[3]!, 4).map((r) => r.payload.toString())).toEqual(["record-3"]);
    expect(log.readBlock(positions[3]!, 40).map((r) => r.payload.toString())).toEqual(["record-3", "record-4"]);
    log.close();
  });

  it("dropBefore deletes whole segment files before a position, never the one being written", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-seg-"));
    const commit = new GroupCommit();
    const log = SegmentLog.open({ dir, commit, segmentSize: 256 });
    const positions = Array.from({ length: 60 }, (_, i) => log.append(Buffer.alloc(40, i)));
    await commit.drain();
    const before = log.segmentCount;
    expect(before).toBeGreaterThan(5);
    log.dropBefore(positions[50]!);
    expect(log.segmentCount).toBeLessThan(before);
    expect(log.read(positions[0]!)).toBeUndefined();
    expect(log.read(positions[50]!)).toEqual(Buffer.alloc(40, 50));
    log.dropBefore(positions[59]! + 1e12);
    expect(log.read(positions[59]!)).toEqual(Buffer.alloc(40, 59));
    log.close();
  });
});
