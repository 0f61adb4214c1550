import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import amqp from "amqplib";
import { type RunningBroker, startBroker } from "warren";
import { RawConnection } from "../../conformance/amqp/raw/connection.js";
import { FrameReader } from "../../protocols/amqp/codec/frames.js";
import { decodeMethod } from "../../protocols/amqp/codec/methods.js";

// Codes a malformed stream may legitimately earn (AMQP 0-9-1 §1.2); 541 INTERNAL_ERROR never.
const ALLOWED_CLOSE_CODES = new Set([320, 402, 403, 404, 405, 406, 501, 502, 503, 504, 505, 506, 530, 540]);

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const u32 = (n: number) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/** A frame whose header may lie about its size, type, channel or frame-end. */
const frameArb = fc
  .record({
    type: fc.oneof(fc.constantFrom(1, 2, 3, 8), fc.integer({ min: 0, max: 255 })),
    channel: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 65535 })),
    payload: fc.oneof(
      // plausible method payloads: a real class/method id followed by random arguments
      fc
        .tuple(
          fc.constantFrom(
            [10, 50],
            [20, 10],
            [20, 40],
            [40, 10],
            [50, 10],
            [50, 20],
            [60, 10],
            [60, 20],
            [60, 40],
            [60, 70],
            [60, 80],
            [85, 10],
            [90, 10],
            [90, 20],
          ),
          fc.uint8Array({ maxLength: 64 }),
        )
        .map(([[c, m], rest]) => Buffer.concat([u16(c), u16(m), Buffer.from(rest)])),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    ),
    sizeDelta: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -8, max: 8 }), fc.constant(200_000)),
    end: fc.oneof(fc.constant(0xce), fc.constant(0xce), fc.integer({ min: 0, max: 255 })),
    truncateTo: fc.option(fc.nat(300), { nil: undefined }),
  })
  .map(({ type, channel, payload, sizeDelta, end, truncateTo }) => {
    const size = Math.max(0, payload.length + sizeDelta);
    const frame = Buffer.concat([Buffer.from([type]), u16(channel), u32(size), payload, Buffer.from([end])]);
    return truncateTo === undefined ? frame : frame.subarray(0, truncateTo);
  });

/** Every connection.close code the server sent in these bytes. */
function closeCodes(bytes: Buffer): number[] {
  const reader = new FrameReader(1 << 20);
  reader.push(bytes);
  const codes: number[] = [];
  try {
    for (let f = reader.next(); f !== null; f = reader.next()) {
      if (f.type !== 1) continue;
      const m = decodeMethod(f.payload, 0, f.payload.length);
      if (m.kind === "connection.close" || m.kind === "channel.close") codes.push(m.replyCode);
    }
  } catch {
    // the server's bytes are ours to trust; a partial tail at close is fine
  }
  return codes;
}

describe("AMQP front-end under malformed input", () => {
  let broker: RunningBroker;
  let url: string;

  beforeAll(async () => {
    broker = await startBroker({ amqp: { port: 0 }, stomp: false, webStomp: false, mqtt: false, webMqtt: false, logLevel: "silent" });
    url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
  });
  afterAll(() => broker.close());

  it("answers random, truncated, oversized and malformed frames with a protocol close, never an internal error, while another client keeps working", async () => {
    const bystander = await amqp.connect(url);
    const ch = await bystander.createConfirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const seen = new Set<number>();

    const roundTrip = async (i: number) => {
      ch.sendToQueue(q, Buffer.from(String(i)));
      await ch.waitForConfirms();
      const m = await ch.get(q, { noAck: true });
      expect(m && m.content.toString()).toBe(String(i));
    };

    const runCase = async (frames: Buffer[]) => {
      const raw = await RawConnection.connect(url);
      raw.write(Buffer.concat(frames));
      // our FIN makes the broker finish with whatever it has; everything it sent comes back
      raw.socket.end();
      const bytes = await raw.bytesUntilClose(5_000);
      for (const code of closeCodes(bytes)) {
        expect(ALLOWED_CLOSE_CODES).toContain(code);
        seen.add(code);
      }
    };

    let i = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 6 }), async (frames) => {
        await runCase(frames);
        await roundTrip(i++);
      }),
      { numRuns: 150 },
    );
    // the generator really reached the error paths
    expect([...seen].some((c) => c === 501 || c === 505 || c === 504)).toBe(true);
    await bystander.close();
  });

  it("releases what bad connections held: connection count and heap return to their level", async () => {
    const frames = fc.sample(fc.array(frameArb, { minLength: 1, maxLength: 6 }), { numRuns: 100, seed: 42 });
    const burst = async () => {
      for (const f of frames) {
        const raw = await RawConnection.connect(url);
        raw.write(Buffer.concat(f));
        raw.socket.end();
        await raw.bytesUntilClose(5_000);
      }
    };
    await burst(); // warm up code paths and pools
    await expect.poll(() => broker.connectionCount()).toBe(0);
    gc();
    const before = process.memoryUsage().heapUsed;
    await burst();
    await expect.poll(() => broker.connectionCount()).toBe(0);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // 100 connections that leaked even a 64 KiB read buffer each would be over 6 MB
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});
