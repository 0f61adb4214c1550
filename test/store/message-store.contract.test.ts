import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupCommit } from "../../src/store/group-commit.js";
import { DiskMessageStore, MemoryMessageStore, type MessageStore } from "../../src/store/message-store.js";
import type { RecordWriter } from "../../src/store/segment-log.js";

interface Harness {
  name: string;
  /** Whether reopening gives back what a previous instance held. */
  durable: boolean;
  open(segmentSize?: number): MessageStore;
  cleanup(): void;
}

function memory(): Harness {
  return { name: "MemoryMessageStore", durable: false, open: () => new MemoryMessageStore(), cleanup() {} };
}

function disk(): Harness {
  const dir = mkdtempSync(join(tmpdir(), "warren-store-"));
  return {
    name: "DiskMessageStore",
    durable: true,
    open: (segmentSize = 4096) => new DiskMessageStore({ dir, commit: new GroupCommit(), segmentSize }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const body = (i: number) => Buffer.from(`message ${i} `.repeat((i % 7) + 1));

describe("DiskMessageStore files", () => {
  it("an ack file goes with its segment, so acks never outgrow the data they describe", async () => {
    const h = disk();
    try {
      const s = h.open(1024) as DiskMessageStore;
      const ps = Array.from({ length: 60 }, () => s.append(Buffer.alloc(100)));
      await s.sync();
      for (const p of ps.slice(0, 40)) {
        s.markDelivered(p);
        s.ack(p);
      }
      await s.sync();
      const dir = (s as unknown as { options: { dir: string } }).options.dir;
      const files = readdirSync(dir);
      const segs = files.filter((f) => f.endsWith(".seg")).map((f) => f.slice(0, 10));
      const acks = files.filter((f) => f.endsWith(".acks")).map((f) => f.slice(0, 10));
      expect(segs.length).toBeLessThan(4);
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) expect(segs).toContain(a);
      await s.close();
      const r = h.open(1024);
      expect(r.recovered().length).toBe(20);
      await r.close();
    } finally {
      h.cleanup();
    }
  });
});

for (const make of [memory, disk]) {
  describe(`MessageStore contract: ${make().name}`, () => {
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("returns increasing positions and reads each record back by position", async () => {
      h = make();
      const s = h.open();
      const ps = Array.from({ length: 200 }, (_, i) => s.append(body(i)));
      for (let i = 1; i < ps.length; i++) expect(ps[i]!).toBeGreaterThan(ps[i - 1]!);
      ps.forEach((p, i) => expect(s.read(p)).toEqual(body(i)));
      await s.sync();
      ps.forEach((p, i) => expect(s.read(p)).toEqual(body(i)));
      await s.close();
    });

    it("appendWith writes a record in place that reads back (and recovers) as append's would", async () => {
      h = make();
      const s = h.open();
      // a writer that frames a string with its length, across segment boundaries (4 KiB segments)
      const framed: RecordWriter<string> = {
        size: (t) => 2 + Buffer.byteLength(t),
        write: (t, into, at) => void into.writeUInt16BE(into.write(t, at + 2), at),
      };
      const texts = Array.from({ length: 300 }, (_, i) => `record ${i} `.repeat(1 + (i % 7)));
      const ps = texts.map((t, i) => (i % 2 === 0 ? s.appendWith(framed, t) : s.append(Buffer.from(t))));
      const expected = (i: number) => (i % 2 === 0 ? Buffer.concat([Buffer.from([0, 0]), Buffer.from(texts[i]!)]) : Buffer.from(texts[i]!));
      const check = (got: Buffer | undefined, i: number) => {
        const want = expected(i);
        if (i % 2 === 0) want.writeUInt16BE(Buffer.byteLength(texts[i]!), 0);
        expect(got).toEqual(want);
      };
      ps.forEach((p, i) => check(s.read(p), i));
      await s.sync();
      await s.close();
      const reopened = h.open();
      const recovered = reopened.recovered();
      expect(recovered.length).toBe(h.durable ? texts.length : 0);
      recovered.forEach((r, i) => check(r.payload, i));
      await reopened.close();
    });

    it("reads non-destructively from an offset, acked records included while their segment lives", async () => {
      h = make();
      const s = h.open();
      const ps = Array.from({ length: 10 }, (_, i) => s.append(body(i)));
      s.ack(ps[7]!);
      const from5 = [...s.readFrom(ps[5]!)].map((r) => r.position);
      expect(from5.slice(0, 2)).toEqual([ps[5], ps[6]]);
      expect(from5.at(-1)).toBe(ps[9]);
      expect([...s.readFrom(ps[5]!)].length).toBe(from5.length);
      await s.close();
    });

    it("after reopening recovers unacked records in order, delivered ones flagged, acked ones gone", async () => {
      h = make();
      const s = h.open();
      const ps = Array.from({ length: 300 }, (_, i) => s.append(body(i)));
      for (let i = 0; i < 300; i += 3) s.ack(ps[i]!);
      s.markDelivered(ps[1]!);
      await s.close();
      const r = h.open();
      const got = r.recovered();
      if (!h.durable) {
        expect(got).toEqual([]);
      } else {
        const want = ps.map((p, i) => ({ p, i })).filter(({ i }) => i % 3 !== 0);
        expect(got.map((x) => x.position)).toEqual(want.map((w) => w.p));
        got.forEach((x, k) => expect(x.payload).toEqual(body(want[k]!.i)));
        expect(got.filter((x) => x.delivered).map((x) => x.position)).toEqual([ps[1]]);
      }
      await r.close();
    });

    it("acks and delivered marks survive a second reopen", async () => {
      h = make();
      const s = h.open();
      const ps = Array.from({ length: 5 }, (_, i) => s.append(body(i)));
      s.ack(ps[0]!);
      s.markDelivered(ps[1]!);
      await s.close();
      await h.open().close();
      const r = h.open();
      if (h.durable) {
        expect(r.recovered().map((x) => [x.position, x.delivered])).toEqual([
          [ps[1], true],
          [ps[2], false],
          [ps[3], false],
          [ps[4], false],
        ]);
      } else expect(r.recovered()).toEqual([]);
      await r.close();
    });

    it("once every record is acked, recovers nothing and appends continue", async () => {
      h = make();
      const s = h.open();
      const ps = Array.from({ length: 50 }, (_, i) => s.append(body(i)));
      for (const p of ps) s.ack(p);
      await s.close();
      const r = h.open();
      expect(r.recovered()).toEqual([]);
      const p = r.append(Buffer.from("after"));
      expect(r.read(p)).toEqual(Buffer.from("after"));
      await r.close();
    });
  });
}
