import { afterEach, describe, expect, it } from "vitest";
import { connect, createServer, type Server, type Socket } from "node:net";
import { PassThrough } from "node:stream";
import { once } from "node:events";
import { readSocket, readsThroughSharedBuffer, type SocketReads } from "../../src/transport/socket-reads.js";

const servers: Server[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A listener whose accepted sockets are handed to `accepted` as they are (not read yet). */
async function listen(accepted: (socket: Socket) => void): Promise<number> {
  const server = createServer(accepted);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as { port: number }).port;
}

async function client(port: number): Promise<Socket> {
  const c = connect(port, "127.0.0.1");
  clients.push(c);
  await once(c, "connect");
  return c;
}

/** What arrives, chunk by chunk, on the server side of one connection read with readSocket. */
interface Received {
  chunks: Buffer[];
  reads: SocketReads;
  socket: Socket;
  text(): string;
  /** Resolves once `n` bytes have arrived in all. */
  bytes(n: number): Promise<void>;
}

function receive(socket: Socket, onChunk?: (r: Received, chunk: Buffer) => void): Received {
  let waiting: { n: number; resolve: () => void } | null = null;
  let total = 0;
  const r: Received = {
    chunks: [],
    reads: null as unknown as SocketReads,
    socket,
    text: () => Buffer.concat(r.chunks).toString("latin1"),
    bytes: (n) =>
      total >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiting = { n, resolve };
          }),
  };
  r.reads = readSocket(socket, function (this: Socket, chunk) {
    expect(this).toBe(socket);
    r.chunks.push(chunk);
    total += chunk.length;
    onChunk?.(r, chunk);
    if (waiting !== null && total >= waiting.n) {
      waiting.resolve();
      waiting = null;
    }
  });
  return r;
}

function serverOn(port: number): Server {
  return servers.find((s) => (s.address() as { port: number }).port === port)!;
}

/**
 * Resolves after the event loop has polled for I/O at least once since a byte sent on a second
 * connection arrived. On loopback a write is in the peer's receive queue when write() returns,
 * so anything a client wrote before that second connection's byte was readable in that poll:
 * a socket still being read would have had it handed over by now.
 */
async function afterAPollSeeing(port: number): Promise<void> {
  const seen = new Promise<void>((resolve) => {
    serverOn(port).once("connection", (s: Socket) => s.once("data", () => setImmediate(resolve)));
  });
  const probe = await client(port);
  probe.write("p");
  await seen;
}

describe("readSocket on an accepted TCP socket", () => {
  it("reads through the shared buffer on this Node, and hands over every byte in order, each chunk kept intact", async () => {
    const received: Received[] = [];
    const port = await listen((s) => received.push(receive(s)));
    const a = await client(port);
    const b = await client(port);
    // two connections interleaved, many reads each: one shared read buffer must not mix them up,
    // and chunks already handed over must not change when the next read reuses it
    const pattern = (tag: string, i: number) => `${tag}${String(i).padStart(6, "0")};`.repeat(50);
    let sentA = "";
    let sentB = "";
    for (let i = 0; i < 200; i++) {
      const pa = pattern("a", i);
      const pb = pattern("b", i);
      a.write(pa);
      b.write(pb);
      sentA += pa;
      sentB += pb;
    }
    a.write(Buffer.alloc(300_000, "x"));
    sentA += "x".repeat(300_000);
    await Promise.all([received[0]!.bytes(sentA.length), received[1]!.bytes(sentB.length)]);
    expect(readsThroughSharedBuffer(received[0]!.reads)).toBe(true);
    expect(received[0]!.text()).toBe(sentA);
    expect(received[1]!.text()).toBe(sentB);
    expect(received[0]!.chunks.length).toBeGreaterThan(1);
  });

  it("hands over first what the socket had read before, e.g. a protocol header put back", async () => {
    let handedOver!: (r: Received) => void;
    const got = new Promise<Received>((resolve) => (handedOver = resolve));
    const port = await listen((s) => {
      // as src/transport/protocol-sniff.ts does: read the head, pause, put it back
      s.once("data", (head: Buffer) => {
        s.pause();
        s.unshift(head);
        handedOver(receive(s));
      });
    });
    const c = await client(port);
    c.write("HEAD");
    const r = await got;
    c.write("-then-the-rest");
    await r.bytes("HEAD-then-the-rest".length);
    expect(r.text()).toBe("HEAD-then-the-rest");
    expect(readsThroughSharedBuffer(r.reads)).toBe(true);
  });

  it("stops handing over data when paused, even from inside a handler, and goes on in order after resume", async () => {
    let first: Received | null = null;
    const port = await listen((s) => {
      // the probe connection of afterAPollSeeing is read the plain way
      if (first === null) first = receive(s, (r, chunk) => chunk.includes("STOP") && r.reads.pause());
    });
    const c = await client(port);
    c.write("one STOP");
    await first!.bytes("one STOP".length);
    c.write("two");
    await afterAPollSeeing(port);
    expect(first!.text()).toBe("one STOP");

    first!.reads.resume();
    await first!.bytes("one STOPtwo".length);
    expect(first!.text()).toBe("one STOPtwo");
  });

  it("still ends and closes the socket when the client goes", async () => {
    const port = await listen((s) => receive(s));
    const accepted = once(serverOn(port), "connection") as Promise<[Socket]>;
    const c = await client(port);
    const [s] = await accepted;
    const ended = once(s, "end");
    const closed = once(s, "close");
    c.end("bye");
    await ended;
    await closed;
  });
});

describe("readSocket on other streams", () => {
  it("uses the stream's data events, pause and resume (a WebSocket's or TLS stream)", async () => {
    const stream = new PassThrough();
    let arrived!: (chunk: string) => void;
    const next = () => new Promise<string>((resolve) => (arrived = resolve));
    let chunk = next();
    const reads = readSocket(stream, (c) => arrived(c.toString()));
    expect(readsThroughSharedBuffer(reads)).toBe(false);
    stream.write("a");
    expect(await chunk).toBe("a");
    reads.pause();
    expect(stream.isPaused()).toBe(true);
    reads.resume();
    expect(stream.isPaused()).toBe(false);
    chunk = next();
    stream.write("b");
    expect(await chunk).toBe("b");
  });
});
