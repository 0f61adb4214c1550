// Bad input on the OpenWire port: garbage, an unknown command type, an absurd frame size, a
// command before WireFormatInfo and random bytes after a good one (loose, or tight with the cache) each
// close that connection with one log line, and the broker goes on serving the next client.
import { connect, type Socket } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { encodeBody, makeConnectionInfo, makeConnectionId, type DataStructure } from "../../protocols/openwire/codec/commands.generated.js";
import { MarshalCache, TightWriter, Writer } from "../../protocols/openwire/codec/primitives.js";
import { clientWireFormat, tightFrameOf } from "./raw.js";

interface Line {
  msg: string;
  protocol?: string;
  [k: string]: unknown;
}
const lines: Line[] = [];
const log = { write: (s: string) => void lines.push(JSON.parse(s) as Line) };
let broker: RunningBroker;

beforeAll(async () => {
  // offering tight encoding and the cache, so that bad tight and cached input reaches their decoders
  broker = await startBroker({
    openwire: { port: 0 },
    logLevel: "info",
    logDestination: log,
    openwireTightEncoding: true,
    openwireCache: true,
  });
});
afterAll(() => broker?.close());

function frame(d: DataStructure): Buffer {
  const w = new Writer(64);
  w.version = 12;
  w.int(0);
  w.byte(d.dataType);
  encodeBody(w, d);
  w.buf.writeInt32BE(w.pos - 4, 0);
  return w.take(0);
}

const WIRE_FORMAT = frame(clientWireFormat({ TightEncodingEnabled: false }));
// tight with the marshal cache: the Java client's defaults
const TIGHT_WIRE_FORMAT = frame(clientWireFormat({ TightEncodingEnabled: true, CacheEnabled: true }));
const login = makeConnectionInfo({
  commandId: 1,
  responseRequired: true,
  connectionId: makeConnectionId({ value: "ID:fuzz" }),
  userName: "guest",
  password: "guest",
});
const CONNECTION_INFO = frame(login);
const TIGHT_CONNECTION_INFO = tightFrameOf(login, 12, new MarshalCache(1024));

/** A tight ConnectionInfo whose connection id is a reference to cache index `i`, and nothing more. */
function cacheReference(i: number): Buffer {
  const w = new TightWriter(16);
  w.resetBits();
  w.int(1); // commandId
  w.bit(true); // responseRequired
  w.bit(false); // connectionId: not a new entry
  w.short(i);
  const out = Buffer.alloc(5 + w.booleanStreamSize() + w.pos);
  out.writeInt32BE(out.length - 4, 0);
  out[4] = 3;
  w.buf.copy(out, w.writeBooleanStream(out, 5), 0, w.pos);
  return out;
}

/** Sends `bytes` on a fresh connection and resolves once the broker has closed it. */
function closedAfter(bytes: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(broker.ports.openwire!, "127.0.0.1", () => {
      for (const b of bytes) s.write(b);
    });
    const t = setTimeout(() => (s.destroy(), reject(new Error("the broker did not close the connection"))), 5000);
    s.on("data", () => undefined);
    s.on("error", () => undefined);
    s.on("close", () => (clearTimeout(t), resolve()));
  });
}

/** A good client still gets a Response to its ConnectionInfo. */
function stillServes(): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(broker.ports.openwire!, "127.0.0.1", () => s.write(Buffer.concat([WIRE_FORMAT, CONNECTION_INFO])));
    let got = Buffer.alloc(0);
    const t = setTimeout(() => (s.destroy(), reject(new Error("no Response to ConnectionInfo"))), 5000);
    s.on("data", (c: Buffer) => {
      got = Buffer.concat([got, c]);
      // frames: WireFormatInfo, BrokerInfo, then the Response (type 30)
      for (let p = 0; p + 5 <= got.length; p += 4 + got.readInt32BE(p)) {
        if (got[p + 4] === 30) {
          clearTimeout(t);
          s.destroy();
          return resolve();
        }
      }
    });
  });
}

const closes = () => lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("OpenWire connection closed")).length;

describe("OpenWire bad input", () => {
  const cases: [string, Buffer[], RegExp][] = [
    ["garbage (an HTTP request)", [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")], /frame size of \d+ bytes is larger than the limit/],
    ["an absurd frame size", [Buffer.from([0x7f, 0xff, 0xff, 0xff, 1])], /frame size of 2147483647 bytes/],
    ["a negative frame size", [Buffer.from([0xff, 0xff, 0xff, 0xf0, 1])], /frame size of -16 bytes is invalid/],
    ["a command before WireFormatInfo", [CONNECTION_INFO], /command of type 3 before WireFormatInfo/],
    ["an unknown command type", [WIRE_FORMAT, Buffer.from([0, 0, 0, 5, 0x7f, 0, 0, 0, 0])], /unknown data structure type 127/],
    ["a data structure that is not a command", [WIRE_FORMAT, frame(makeConnectionId({ value: "x" }))], /sent as a command/],
    ["a command before ConnectionInfo", [WIRE_FORMAT, Buffer.from([0, 0, 0, 7, 4, 0, 0, 0, 1, 0, 0])], /before ConnectionInfo/],
    // tight: a SessionInfo whose boolean stream is empty, a ConnectionInfo cut short, a reference out of the cache
    ["a tight command without its booleans", [TIGHT_WIRE_FORMAT, Buffer.from([0, 0, 0, 6, 4, 0, 0, 0, 0, 1])], /boolean stream exhausted/],
    [
      "a tight command cut short",
      [
        TIGHT_WIRE_FORMAT,
        (() => {
          const f = TIGHT_CONNECTION_INFO.subarray(0, TIGHT_CONNECTION_INFO.length - 6);
          const out = Buffer.from(f);
          out.writeInt32BE(out.length - 4, 0);
          return out;
        })(),
      ],
      /command truncated/,
    ],
    ["a cache reference out of range", [TIGHT_WIRE_FORMAT, cacheReference(5000)], /marshal cache index 5000 out of range/],
  ];
  for (const [what, bytes, reason] of cases) {
    it(`${what}: closed, logged once, the broker serves on`, async () => {
      const before = closes();
      await closedAfter(bytes);
      await expect.poll(closes).toBe(before + 1);
      expect(lines.filter((l) => reason.test(String(l.msg)))).toHaveLength(1);
      await stillServes();
    });
  }

  it("random bytes after a good handshake, loose or tight, never crash the broker", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean(), async (junk, tight) => {
        const before = closes();
        const s = connect(broker.ports.openwire!, "127.0.0.1");
        await new Promise<void>((r) => s.on("connect", () => r()));
        s.on("error", () => undefined);
        // read what the broker sends, or its close never arrives
        s.resume();
        const handshake = tight ? [TIGHT_WIRE_FORMAT, TIGHT_CONNECTION_INFO] : [WIRE_FORMAT, CONNECTION_INFO];
        s.write(Buffer.concat([...handshake, Buffer.from(junk)]));
        s.end();
        await new Promise<void>((r) => s.on("close", () => r()));
        // at most one log line per connection, whatever the input
        await new Promise((r) => setImmediate(r));
        expect(closes() - before).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
    await stillServes();
  });
});
