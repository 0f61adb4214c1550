/**
 * A cluster follower promoted to leader opens its data dir with `checksumsVerified`: it CRC-checked
 * every record as it arrived, so only the last two segments of a log are verified again (as after
 * a clean shutdown), while the delivery mark still counts as after a crash (the old leader was
 * killed: deliveries before the mark come back redelivered).
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, openSync, readdirSync, rmSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { settleDeliveryMarks } from "../../src/core/index.js";
import { GroupCommit } from "../../src/store/group-commit.js";
import { DiskMessageStore } from "../../src/store/message-store.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("recovery of records verified already", () => {
  it("checks only the last two segments' checksums, and keeps the crash meaning of the delivery mark", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-verified-"));
    const commit = new GroupCommit();
    const s = new DiskMessageStore({ dir, commit, segmentSize: 4096 });
    const ps = Array.from({ length: 60 }, (_, i) => s.append(Buffer.alloc(300, i)));
    await commit.drain();
    s.markDelivered(ps[0]!);
    s.markDelivered(ps[1]!);
    settleDeliveryMarks();
    const segments = readdirSync(dir)
      .filter((f) => f.endsWith(".seg"))
      .sort();
    expect(segments.length).toBeGreaterThanOrEqual(4);
    // (segment header 16 bytes, record header 8) a byte of the first record's body flipped in the first segment (the CRC would catch it);
    // nothing else of the store is touched (no clean-shutdown: this is a kill)
    const fd = openSync(join(dir, segments[0]!), "r+");
    writeSync(fd, Buffer.from([0xff]), 0, 1, 16 + 8 + 10);
    closeSync(fd);

    const verified = new DiskMessageStore({ dir, commit: new GroupCommit(), segmentSize: 4096, checksumsVerified: true });
    const back = verified.recovered();
    // not re-verified: every record is there
    expect(back.length).toBe(60);
    // the mark counts as after a crash: the two deliveries (no ack-file entry yet) come back flagged
    expect(back.filter((x) => x.delivered).map((x) => x.position)).toEqual(ps.slice(0, 2));
    await verified.close();

    // without it the whole log is verified and the first segment is cut at the damaged record
    const full = new DiskMessageStore({ dir, commit: new GroupCommit(), segmentSize: 4096, cleanShutdown: false });
    expect(full.recovered().length).toBeLessThan(60);
    await full.close();
  });
});
