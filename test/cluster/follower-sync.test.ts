import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { type FollowerOptions, ReplicationFollower } from "../../src/cluster/follower.js";
import { type Frame, FrameDecoder, frames, FrameType, PROTOCOL_HEADER } from "../../src/cluster/protocol.js";
import { Trash, type TrashOps } from "../../src/store/trash.js";
import { eventually } from "./etcd.js";

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const SEG = `queues/${"ab".repeat(16)}/0000000001.seg`;
const MARK = `queues/${"ab".repeat(16)}/delivered.mark`;

/** A follower on a fresh data dir; `options` may hold its fsyncs or its trash's unlinks. */
async function follower(options: (dir: string) => Partial<FollowerOptions>): Promise<{ f: ReplicationFollower; dir: string }> {
  const dir = mkdtempSync("/tmp/cluster-follower-sync-");
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const f = await ReplicationFollower.listen({
    dataDir: dir,
    nodeName: "n2",
    clusterId: "c1",
    port: 0,
    host: "127.0.0.1",
    log: quiet,
    ...options(dir),
  });
  cleanup.push(() => f.close());
  return { f, dir };
}

/** A follower whose fdatasyncs wait until the test lets them complete (or fail). */
async function heldFollower(): Promise<{
  f: ReplicationFollower;
  dir: string;
  held: ((err: NodeJS.ErrnoException | null) => void)[];
}> {
  const held: ((err: NodeJS.ErrnoException | null) => void)[] = [];
  const { f, dir } = await follower(() => ({ fdatasync: (_fd, done) => void held.push(done) }));
  return { f, dir, held };
}

/** A raw leader connection: HELLO sent, the follower's manifest read. */
async function leaderSocket(port: number): Promise<{ s: net.Socket; got: Frame[]; closed: () => boolean }> {
  const s = net.connect(port, "127.0.0.1");
  cleanup.push(() => void s.destroy());
  const decoder = new FrameDecoder(false);
  const got: Frame[] = [];
  let closed = false;
  s.on("data", (d: Buffer) => {
    const fs = decoder.push(d);
    if (Array.isArray(fs)) got.push(...fs);
  });
  s.on("close", () => {
    closed = true;
  });
  await new Promise<void>((resolve) => s.on("connect", () => resolve()));
  s.write(PROTOCOL_HEADER);
  for (const b of frames.hello(7, "c1", "n1")) s.write(b);
  await eventually(() => got.some((f) => f.type === FrameType.HaveEnd), "the follower's manifest");
  return { s, got, closed: () => closed };
}

const acks = (got: Frame[]) => got.flatMap((f) => (f.type === FrameType.Ack ? [f.batch] : []));

function send(s: net.Socket, ...fs: Buffer[][]): void {
  for (const f of fs) for (const b of f) s.write(b);
}

describe("a follower's acknowledgements", () => {
  it("a COMMIT is acknowledged only once its writes are fsynced; COMMITs that arrive during a sync get one ACK", async () => {
    const { f, dir, held } = await heldFollower();
    const { s, got } = await leaderSocket(f.port);
    const framesBefore = f.stats.frames;

    send(s, frames.write(7, SEG, 0, Buffer.from("aaa")), frames.commit(7, 1));
    await eventually(() => held.length === 1, "the first sync round");
    // applied, but not acknowledged while its fsync is under way
    expect(readFileSync(join(dir, SEG), "utf8")).toBe("aaa");
    expect(f.stats.ackedBatch).toBe(0);

    // two more batches arrive during the round: applied at once, synced by the next round
    send(s, frames.write(7, SEG, 3, Buffer.from("bbb")), frames.commit(7, 2));
    send(s, frames.write(7, SEG, 6, Buffer.from("ccc")), frames.commit(7, 3));
    await eventually(() => f.stats.frames === framesBefore + 6, "the follower applying batches 2 and 3");
    expect(readFileSync(join(dir, SEG), "utf8")).toBe("aaabbbccc");
    expect(held.length).toBe(1); // one round at a time
    expect(f.stats.ackedBatch).toBe(0);

    held[0]!(null);
    await eventually(() => acks(got).length === 1, "ACK 1");
    expect(acks(got)).toEqual([1]);
    // the next round covers both COMMITs that came meanwhile, and is acknowledged only when done
    await eventually(() => held.length === 2, "the second sync round");
    expect(f.stats.ackedBatch).toBe(1);
    held[1]!(null);
    await eventually(() => acks(got).length === 2, "ACK 3");
    expect(acks(got)).toEqual([1, 3]);

    // a COMMIT of delivery marks alone costs no fsync
    send(s, frames.write(7, MARK, 0, Buffer.alloc(8)), frames.commit(7, 4));
    await eventually(() => acks(got).length === 3, "ACK 4");
    expect(acks(got)).toEqual([1, 3, 4]);
    expect(held.length).toBe(2);
  });

  it("a failed fsync is never acknowledged: the follower refuses the connection", async () => {
    const { f, held } = await heldFollower();
    const { s, got, closed } = await leaderSocket(f.port);
    send(s, frames.write(7, SEG, 0, Buffer.from("aaa")), frames.commit(7, 1));
    await eventually(() => held.length === 1, "the sync round");
    held[0]!(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
    await eventually(() => closed(), "the connection closed");
    expect(acks(got)).toEqual([]);
    const refuse = got.find((x) => x.type === FrameType.Refuse);
    expect(refuse?.type === FrameType.Refuse && refuse.reason).toMatch(/fsync failed: EIO/);
    expect(f.stats.ackedBatch).toBe(0);
  });

  it("a removed segment does not hold back the ACK: its name goes at once, its data is unlinked later", async () => {
    // the trash's unlinks wait until the test lets them run
    const unlinks: (() => void)[] = [];
    const ops: TrashOps = {
      unlink: (path, done) =>
        void unlinks.push(() => {
          rmSync(path, { force: true });
          done(null);
        }),
      rmdir: (path, done) => done(null),
      readdir: (path, done) => done(null, []),
    };
    const { f, dir } = await follower((d) => ({ trash: new Trash(d, ops) }));
    const { s, got } = await leaderSocket(f.port);

    send(s, frames.write(7, SEG, 0, Buffer.alloc(64 * 1024, 1)), frames.commit(7, 1));
    await eventually(() => acks(got).length === 1, "ACK 1");
    send(s, frames.remove(7, SEG), frames.write(7, MARK, 0, Buffer.alloc(8)), frames.commit(7, 2));
    await eventually(() => acks(got).length === 2, "ACK 2");
    expect(existsSync(join(dir, SEG))).toBe(false);
    expect(unlinks.length).toBe(1); // acknowledged while the unlink still waits

    // the path is free: a file written under the same name is a new one
    send(s, frames.write(7, SEG, 0, Buffer.from("new")), frames.commit(7, 3));
    await eventually(() => acks(got).length === 3, "ACK 3");
    unlinks[0]!();
    expect(readFileSync(join(dir, SEG), "utf8")).toBe("new");
  });
});
