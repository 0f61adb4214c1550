// A raw OpenWire peer for wire-level tests: writes commands with Warren's codec and reads back
// every frame the broker sends, decoded at its version (12 unless opened with another).
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll } from "vitest";
import { type BrokerOptions, type RunningBroker, startBroker } from "warren";
import {
  DataType,
  type DataStructure,
  decodeBody,
  type ExceptionResponse,
  makeConnectionId,
  makeConnectionInfo,
  makeSessionId,
  makeSessionInfo,
  type Response,
  encodeBody,
  tightDecodeBody,
  tightEncodeBody,
  type WireFormatInfo,
  makeWireFormatInfo,
} from "../../protocols/openwire/codec/commands.generated.js";
import { MarshalCache, Reader, TightReader, TightWriter, Writer } from "../../protocols/openwire/codec/primitives.js";
import { type PrimitiveMap, type PrimitiveValue, writePrimitiveMap } from "../../protocols/openwire/primitive-map.js";

export function frameOf(d: DataStructure, version = 12, cache: MarshalCache | null = null): Buffer {
  const w = new Writer(64);
  w.version = version;
  w.cache = cache;
  w.stackTraces = true;
  w.int(0);
  w.byte(d.dataType);
  encodeBody(w, d);
  w.buf.writeInt32BE(w.pos - 4, 0);
  return w.take(0);
}

/** `d`'s frame in tight encoding, as ActiveMQ writes one: size, type, the boolean stream, the data. */
export function tightFrameOf(d: DataStructure, version = 12, cache: MarshalCache | null = null, stackTraces = true): Buffer {
  const w = new TightWriter(64);
  w.version = version;
  w.cache = cache;
  w.stackTraces = stackTraces;
  w.resetBits();
  tightEncodeBody(w, d);
  const size = 1 + w.booleanStreamSize() + w.pos;
  const out = Buffer.alloc(4 + size);
  out.writeInt32BE(size, 0);
  out[4] = d.dataType;
  const at = w.writeBooleanStream(out, 5);
  w.buf.copy(out, at, 0, w.pos);
  // the size written first must be what the boolean stream and the data then took
  if (at + w.pos !== out.length) throw new Error(`tight frame of ${out.length} octets filled to ${at + w.pos}`);
  return out;
}

/** One frame (type octet first) read as `tight` and `cache` say; a WireFormatInfo is always loose and uncached. */
export function decodeFrame(f: Buffer, version: number, tight: boolean, cache: MarshalCache | null = null): DataStructure {
  if (f[0] === DataType.WireFormatInfo) return decodeBody(f[0]!, new Reader(f, 1, f.length, version, true));
  if (!tight) {
    const r = new Reader(f, 1, f.length, version, true);
    r.cache = cache;
    return decodeBody(f[0]!, r);
  }
  const r = new TightReader(f, 1, f.length, version, true);
  r.cache = cache;
  r.booleanStream();
  return tightDecodeBody(f[0]!, r);
}

/** A client WireFormatInfo with these options (loose, uncached, as the Java client's keys). */
export function clientWireFormat(opts: Record<string, PrimitiveValue>, version = 12): WireFormatInfo {
  const m: PrimitiveMap = new Map(Object.entries({ StackTraceEnabled: true, TightEncodingEnabled: false, CacheEnabled: false, ...opts }));
  const w = new Writer(256);
  writePrimitiveMap(w, m);
  return makeWireFormatInfo({ magic: Buffer.from("ActiveMQ", "latin1"), version, marshalledProperties: w.take(0) });
}

export class RawPeer {
  readonly received: DataStructure[] = [];
  /** Each received frame's bytes (type octet first), in step with `received`. */
  readonly frames: Buffer[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private readonly cacheIn: MarshalCache | null;
  private readonly cacheOut: MarshalCache | null;

  private constructor(
    readonly socket: Socket,
    /** The OpenWire version it reads and writes (its WireFormatInfo must offer it). */
    readonly version: number,
    /** Whether it speaks tight encoding after the WireFormatInfo (its own must ask for it). */
    readonly tight = false,
    /** Whether it uses the marshal cache (1024 entries each way, as it offers). */
    readonly cached = false,
  ) {
    this.cacheIn = cached ? new MarshalCache(1024) : null;
    this.cacheOut = cached ? new MarshalCache(1024) : null;
    socket.on("data", (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const n = this.buf.readInt32BE(0);
        const f = this.buf.subarray(4, 4 + n);
        this.received.push(decodeFrame(f, this.version, this.tight, this.cacheIn));
        this.frames.push(f);
        this.buf = this.buf.subarray(4 + n);
      }
      this.wake();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number, version = 12, tight = false, cached = false): Promise<RawPeer> {
    return new Promise((resolve) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RawPeer(s, version, tight, cached)));
    });
  }

  /** Over TLS, trusting `ca`. */
  static openTls(port: number, ca: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ port, host: "127.0.0.1", ca, servername: "localhost" }, () => resolve(new RawPeer(s, 12)));
      s.once("error", reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(...ds: DataStructure[]): void {
    this.socket.write(
      Buffer.concat(
        ds.map((d) =>
          d.dataType === DataType.WireFormatInfo
            ? frameOf(d, this.version)
            : this.tight
              ? tightFrameOf(d, this.version, this.cacheOut)
              : frameOf(d, this.version, this.cacheOut),
        ),
      ),
    );
  }

  /** Resolves with the first received structure of `dataType` (after `from`), or rejects after `ms`. */
  async next<T extends DataStructure>(dataType: number, from = 0, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.slice(from).find((d) => d.dataType === dataType);
      if (found) return found as T;
      if (this.closed) throw new Error(`closed before a structure of type ${dataType} arrived`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no structure of type ${dataType} within ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  async closedWithin(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open after ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  /** The Response or ExceptionResponse to command `commandId`. */
  async answerTo(commandId: number, ms = 5000): Promise<Response | ExceptionResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.find(
        (d): d is Response | ExceptionResponse =>
          (d.dataType === DataType.Response || d.dataType === DataType.ExceptionResponse) && (d as Response).correlationId === commandId,
      );
      if (found) return found;
      if (this.closed) throw new Error(`closed before the answer to command ${commandId}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer to command ${commandId} within ${ms} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A logged-in connection `connection` (guest) with session 1 open; commands 1 and 2 are used. */
export async function openSession(port: number, connection: string, via: RawPeer | number = 12): Promise<RawPeer> {
  // a peer already connected (over TLS, say), or a new one speaking that OpenWire version
  const p = typeof via === "number" ? await RawPeer.open(port, via) : via;
  const version = p.version;
  p.send(
    clientWireFormat({ TightEncodingEnabled: p.tight, CacheEnabled: p.cached }, version),
    makeConnectionInfo({
      commandId: 1,
      responseRequired: true,
      connectionId: makeConnectionId({ value: connection }),
      userName: "guest",
      password: "guest",
    }),
    makeSessionInfo({ commandId: 2, responseRequired: true, sessionId: makeSessionId({ connectionId: connection, value: 1 }) }),
  );
  const r = await p.answerTo(2);
  if (r.dataType !== DataType.Response) throw new Error("session refused");
  return p;
}

/** What a test broker is started with besides its listeners. */
export type TestBrokerOptions = Pick<BrokerOptions, "openwireTightEncoding" | "openwireCache">;

/** Offering tight encoding and the marshal cache, as ActiveMQ's broker does (Warren's default offers neither). */
export const OFFERS_TIGHT_AND_CACHE: TestBrokerOptions = { openwireTightEncoding: true, openwireCache: true };

/** A broker for OpenWire tests: OpenWire and AMQP 0-9-1 (to publish and inspect) on free ports. */
export function startOpenWireBroker(options: TestBrokerOptions = {}): Promise<RunningBroker> {
  return startBroker({ openwire: { port: 0 }, amqp: { port: 0 }, logLevel: "silent", ...options });
}

/** The test file's broker, started before its tests and closed after them. */
export function useOpenWireBroker(options: TestBrokerOptions = {}): () => RunningBroker {
  let broker: RunningBroker | undefined;
  beforeAll(async () => {
    broker = await startOpenWireBroker(options);
  });
  afterAll(async () => {
    await broker?.close();
  });
  return () => broker!;
}
