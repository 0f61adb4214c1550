import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { BatchedWriter } from "../../src/transport/batched-writer.js";

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

const turn = () => new Promise<void>((resolve) => process.nextTick(resolve));

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
