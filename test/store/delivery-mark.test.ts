/**
 * A delivery whose ack-file entry never reached the file (the process was killed before the next
 * commit) still comes back redelivered: the queue's delivery mark is written before deliveries leave.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { settleDeliveryMarks } from "../../src/core/index.js";
import { GroupCommit } from "../../src/store/group-commit.js";
import { DiskMessageStore } from "../../src/store/message-store.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A second store on the same directory, opened before the first one's commit could run: a kill -9. */
const afterKill = () => new DiskMessageStore({ dir, commit: new GroupCommit(), cleanShutdown: false });

describe("delivery mark", () => {
  it("records handed out (acked or not) before a kill come back redelivered; later ones do not", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-mark-"));
    // once "killed", the first store's commits write nothing more
    let killed = false;
    const commit = new GroupCommit(
      () => {},
      () => {
        if (killed) throw new Error("killed");
      },
    );
    const s = new DiskMessageStore({ dir, commit });
    const ps = Array.from({ length: 30 }, (_, i) => s.append(Buffer.alloc(300, i)));
    await commit.drain();
    // delivered and acked in the same turn, and one no-ack delivery: no ack-file entry is written yet
    for (const p of ps.slice(0, 12)) {
      s.markDelivered(p);
      s.ack(p);
    }
    s.markDelivered(ps[12]!, true);
    s.ack(ps[12]!);
    // what a socket write does before it sends the deliveries
    settleDeliveryMarks();
    killed = true;
    const r = afterKill();
    const back = r.recovered();
    expect(back.length).toBe(30);
    expect(back.filter((x) => x.delivered).map((x) => x.position)).toEqual(ps.slice(0, 13));
    // recorded in the ack files too: the flag survives a later clean restart
    await r.close();
    const again = new DiskMessageStore({ dir, commit: new GroupCommit(), cleanShutdown: true });
    expect(
      again
        .recovered()
        .filter((x) => x.delivered)
        .map((x) => x.position),
    ).toEqual(ps.slice(0, 13));
    await again.close();
  });

  it("after a clean shutdown only what the ack files say counts (the mark is not needed)", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-mark-"));
    const commit = new GroupCommit();
    const s = new DiskMessageStore({ dir, commit });
    const ps = Array.from({ length: 5 }, (_, i) => s.append(Buffer.from(`m${i}`)));
    await commit.drain();
    s.markDelivered(ps[3]!); // delivered out of order (a priority queue): 0..2 never went out
    settleDeliveryMarks();
    await s.close();
    const r = new DiskMessageStore({ dir, commit: new GroupCommit(), cleanShutdown: true });
    expect(r.recovered().map((x) => x.delivered)).toEqual([false, false, false, true, false]);
    await r.close();
  });
});
