import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { type MarkReplication, type MarkWaiter, replicateDeliveryMarks } from "../../src/core/index.js";
import { BatchedWriter, readArrived } from "../../src/transport/batched-writer.js";

/** A stream that records what it was given and takes or refuses writes as told. */
class RecordingStream extends EventEmitter {
  readonly writes: Buffer[] = [];
  writableLength = 0;
  destroyed = false;
  takes = true;

  write(chunk: Buffer): boolean {
    this.writes.push(Buffer.from(chunk));
    if (!this.takes) this.writableLength += chunk.length;
    return this.takes;
  }

  end(): void {}
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("BatchedWriter", () => {
  it("gathers one turn's packets into one write to the stream", async () => {
    const stream = new RecordingStream();
    const w = new BatchedWriter(stream, { streamDrained: () => undefined });
    w.write(Buffer.from("ab"));
    const at = w.reserve(2);
    w.slab.write("cd", at);
    w.write(Buffer.from("ef"));
    expect(stream.writes).toEqual([]);
    await turn();
    expect(stream.writes.map(String)).toEqual(["abcdef"]);
  });

  it("writes what several callbacks of one turn gathered as one write, once the turn's I/O has run", async () => {
    const stream = new RecordingStream();
    const w = new BatchedWriter(stream, { streamDrained: () => undefined });
    // two reads handled in the same turn, each followed by node's nextTick queue, as two sockets'
    // 'data' callbacks are: the second read's output joins the first's
    w.write(Buffer.from("deliveries "));
    await new Promise<void>((resolve) => process.nextTick(resolve));
    w.write(Buffer.from("released by an ack"));
    expect(stream.writes).toEqual([]);
    await turn();
    expect(stream.writes.map(String)).toEqual(["deliveries released by an ack"]);
  });

  it("writes what the turn gathered before a large read, or the 64th read, is handled", async () => {
    const stream = new RecordingStream();
    const w = new BatchedWriter(stream, { streamDrained: () => undefined });
    w.write(Buffer.from("released by an ack"));
    readArrived(100);
    expect(stream.writes).toEqual([]);
    // a fast publisher's 64 KiB read: the consumer's deliveries must not wait for it
    readArrived(64 * 1024);
    expect(stream.writes.map(String)).toEqual(["released by an ack"]);
    w.write(Buffer.from("after many small reads"));
    for (let i = 0; i < 63; i++) readArrived(10);
    expect(stream.writes.length).toBe(1);
    readArrived(10);
    expect(stream.writes.map(String).at(-1)).toBe("after many small reads");
    await turn();
    expect(stream.writes.length).toBe(2);
  });

  it("sizes its slab for turns like the last one, so a busy turn is written without joining slabs, and keeps none that grew", async () => {
    const writes: Buffer[] = [];
    const stream = Object.assign(new RecordingStream(), {
      write(chunk: Buffer): boolean {
        writes.push(chunk);
        return true;
      },
    });
    const w = new BatchedWriter(stream, { streamDrained: () => undefined });
    const busyTurn = () => {
      for (let i = 0; i < 400; i++) {
        const at = w.reserve(100);
        w.slab.fill(i & 0xff, at, at + 100);
      }
    };
    busyTurn(); // 40,000 bytes: more than one 16 KiB slab, joined
    await turn();
    busyTurn(); // the slab made for it holds the whole turn
    const slab = w.slab;
    await turn();
    expect(writes.map((b) => b.length)).toEqual([40_000, 40_000]);
    expect(writes[1]!.buffer === slab.buffer).toBe(true);
    // the grown slab is let go after its turn: an idle connection keeps none
    expect(w.slab.length).toBe(0);
  });

  it("writes a lone packet at once, and in turn behind what the turn already gathered", async () => {
    const stream = new RecordingStream();
    const w = new BatchedWriter(stream, { streamDrained: () => undefined });
    w.writeAlone(Buffer.from("ping"));
    expect(stream.writes.map(String)).toEqual(["ping"]);
    w.write(Buffer.from("a"));
    w.writeAlone(Buffer.from("b"));
    expect(stream.writes.map(String)).toEqual(["ping"]);
    await turn();
    expect(stream.writes.map(String)).toEqual(["ping", "ab"]);
  });

  it("listens for 'drain' once a write is refused, and tells its listener when the peer caught up", async () => {
    const stream = new RecordingStream();
    let drained = 0;
    const w = new BatchedWriter(stream, { streamDrained: () => drained++ });
    w.write(Buffer.from("x"));
    await turn();
    expect(stream.listenerCount("drain")).toBe(0);
    stream.takes = false;
    w.write(Buffer.alloc(2 << 20));
    await turn();
    expect(w.backedUp).toBe(true);
    expect(stream.listenerCount("drain")).toBe(1);
    stream.writableLength = 0;
    stream.emit("drain");
    expect(drained).toBe(1);
    expect(w.backedUp).toBe(false);
  });
});

/** A cluster leader's mark replication as the writer sees it: marks sealed and released by hand. */
class FakeMarks implements MarkReplication {
  seq = 0;
  held = 0;
  over = false;
  waiters: { seq: number; w: MarkWaiter }[] = [];
  sealMarks(): number {
    if (this.seq <= this.held) return 0;
    return this.over ? -1 : this.seq;
  }
  whenMarksReplicated(seq: number, w: MarkWaiter): void {
    if (seq <= this.held) w.marksReplicated(this.held);
    else this.waiters.push({ seq, w });
  }
  release(upTo: number): void {
    this.held = upTo;
    const ready = this.waiters.filter((x) => x.seq <= upTo);
    this.waiters = this.waiters.filter((x) => x.seq > upTo);
    for (const x of ready) x.w.marksReplicated(upTo);
  }
  end(): void {
    this.over = true;
    for (const x of this.waiters.splice(0)) x.w.marksReplicated(-1);
  }
}

describe("BatchedWriter on a cluster's leader", () => {
  const withMarks = async (f: (marks: FakeMarks) => Promise<void>): Promise<void> => {
    const marks = new FakeMarks();
    replicateDeliveryMarks(marks);
    try {
      await f(marks);
    } finally {
      replicateDeliveryMarks(null, marks);
    }
  };

  it("holds a turn's output until its marks are replicated; later output queues behind it, in order", () =>
    withMarks(async (marks) => {
      const stream = new EndingStream();
      const w = new BatchedWriter(stream, { streamDrained: () => undefined });
      marks.seq = 1;
      w.write(Buffer.from("deliver-1 "));
      await turn();
      expect(stream.writes).toEqual([]);
      expect(w.backedUp).toBe(false);
      // later output of the same connection waits behind it, whatever it carries
      w.write(Buffer.from("ack "));
      await turn();
      marks.seq = 2;
      w.write(Buffer.from("deliver-2 "));
      await turn();
      expect(stream.writes).toEqual([]);
      marks.release(1);
      expect(stream.writes.map(String)).toEqual(["deliver-1 ack "]);
      w.end();
      expect(stream.ended).toBe(false);
      marks.release(2);
      expect(stream.writes.map(String)).toEqual(["deliver-1 ack ", "deliver-2 "]);
      expect(stream.ended).toBe(true);
    }));

  it("writes at once when the marks are already replicated", () =>
    withMarks(async (marks) => {
      const stream = new EndingStream();
      const w = new BatchedWriter(stream, { streamDrained: () => undefined });
      marks.seq = 3;
      marks.held = 3;
      w.write(Buffer.from("x"));
      await turn();
      expect(stream.writes.map(String)).toEqual(["x"]);
    }));

  it("never writes held output once the term is over, and ends the stream", () =>
    withMarks(async (marks) => {
      const stream = new EndingStream();
      const w = new BatchedWriter(stream, { streamDrained: () => undefined });
      marks.seq = 1;
      w.write(Buffer.from("deliver"));
      await turn();
      marks.end();
      expect(stream.writes).toEqual([]);
      expect(stream.ended).toBe(true);
      w.write(Buffer.from("more"));
      await turn();
      expect(stream.writes).toEqual([]);
    }));
});

class EndingStream extends RecordingStream {
  ended = false;
  override end(): void {
    this.ended = true;
  }
}
