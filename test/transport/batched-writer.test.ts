import { EventEmitter, once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from "node:tls";
import { generate } from "selfsigned";
import { describe, expect, it } from "vitest";
import { type MarkReplication, type MarkWaiter, replicateDeliveryMarks } from "../../src/core/index.js";
import { BatchedWriter, releasesTakenWrites } from "../../src/transport/batched-writer.js";

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

/** A connected pair on loopback: `out` the accepted side (the broker's), `peer` the client's. */
async function tcpPair(): Promise<{ server: Server; out: Socket; peer: Socket }> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection");
  const { port } = server.address() as { port: number };
  const peer = connect(port, "127.0.0.1");
  const [[out]] = (await Promise.all([accepted, once(peer, "connect")])) as [[Socket], unknown];
  return { server, out, peer };
}

async function tlsPair(): Promise<{ server: Server; out: TLSSocket; peer: TLSSocket }> {
  const pems = await generate([{ name: "commonName", value: "localhost" }], { algorithm: "sha256", keySize: 2048 });
  const server = createTlsServer({ cert: pems.cert, key: pems.private });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "secureConnection");
  const { port } = server.address() as { port: number };
  const peer = tlsConnect({ port, host: "127.0.0.1", ca: pems.cert, servername: "localhost" });
  const [[out]] = (await Promise.all([accepted, once(peer, "secureConnect")])) as [[TLSSocket], unknown];
  return { server, out, peer };
}

/** The next `n` bytes the peer reads. */
function readBytes(peer: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    let have = 0;
    const onData = (b: Buffer) => {
      got.push(b);
      have += b.length;
      if (have >= n) {
        peer.off("data", onData);
        resolve(Buffer.concat(got).subarray(0, n));
      }
    };
    peer.on("data", onData);
    peer.resume();
  });
}

/** One turn's packet of `text`, encoded into the writer's slab; where in the slab it went. */
function encode(w: BatchedWriter, text: string): number {
  const at = w.reserve(text.length);
  w.slab.write(text, at, "latin1");
  return at;
}

describe("BatchedWriter's slab on a socket", () => {
  it("on a plain TCP socket, encodes the next turn from the slab's start once the kernel took a turn in the call", async () => {
    const { server, out, peer } = await tcpPair();
    try {
      expect(releasesTakenWrites(out)).toBe(true);
      const w = new BatchedWriter(out, { streamDrained: () => undefined });
      const received = readBytes(peer, 10);
      expect(encode(w, "hello")).toBe(0);
      const slab = w.slab;
      await turn();
      expect(out.writableLength).toBe(0);
      expect(encode(w, "world")).toBe(0);
      expect(w.slab).toBe(slab);
      await turn();
      expect((await received).toString()).toBe("helloworld");
    } finally {
      peer.destroy();
      out.destroy();
      server.close();
    }
  });

  it("on a plain TCP socket, leaves what the kernel did not take yet alone, and the peer gets every byte as written", async () => {
    const { server, out, peer } = await tcpPair();
    try {
      peer.pause();
      const w = new BatchedWriter(out, { streamDrained: () => undefined });
      // turns below the socket's high-water mark, so write() says true, until the kernel (its
      // buffers full, the peer reading nothing) takes one only in part; then two more turns
      const size = 8 * 1024;
      let turns = 0;
      const oneTurn = async () => {
        const at = w.reserve(size);
        w.slab.fill(turns++ & 0xff, at, at + size);
        await turn();
      };
      while (out.writableLength === 0) await oneTurn();
      expect(out.writableLength).toBeLessThan(out.writableHighWaterMark);
      await oneTurn();
      await oneTurn();
      const all = await readBytes(peer, turns * size);
      for (let t = 0; t < turns; t++) {
        expect(all.subarray(t * size, (t + 1) * size).every((x) => x === (t & 0xff))).toBe(true);
      }
    } finally {
      peer.destroy();
      out.destroy();
      server.close();
    }
  });

  it("on a TLS socket, never writes into a part of the slab it handed over", async () => {
    const { server, out, peer } = await tlsPair();
    try {
      expect(releasesTakenWrites(out)).toBe(false);
      const w = new BatchedWriter(out, { streamDrained: () => undefined });
      const received = readBytes(peer, 10);
      expect(encode(w, "hello")).toBe(0);
      const slab = w.slab;
      await turn();
      expect(encode(w, "world")).toBe(5);
      expect(w.slab).toBe(slab);
      await turn();
      expect((await received).toString()).toBe("helloworld");
    } finally {
      peer.destroy();
      out.destroy();
      server.close();
    }
  });

  it("never reuses the slab of a stream that is not a socket", () => {
    expect(releasesTakenWrites(new RecordingStream())).toBe(false);
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
