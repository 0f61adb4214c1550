import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AmqpMap,
  type AmqpValue,
  Cursor,
  DecodeError,
  Described,
  readAny,
  Sym,
  Typed,
  Writer,
  writeAny,
} from "../../protocols/amqp10/codec/primitives.js";
import {
  Descriptor,
  decodePerformative,
  type Performative,
  readAnyDeliveryState,
  writeAttach,
  writeFlow,
  writeOpen,
  writeTransfer,
} from "../../protocols/amqp10/codec/types.generated.js";

// rhea's own codec is an independent implementation of the same spec: frames it writes must
// decode here, and frames written here must decode there.
const require = createRequire(import.meta.url);
const rheaFrames = require("rhea/lib/frames.js") as {
  write_frame(f: unknown): Buffer;
  read_frame(b: Buffer): { performative: { constructor: { name: string } } & Record<string, unknown> };
  amqp_frame(channel: number, performative: unknown, payload?: Buffer): unknown;
  open(fields: Record<string, unknown>): unknown;
  attach(fields: Record<string, unknown>): unknown;
  flow(fields: Record<string, unknown>): unknown;
  transfer(fields: Record<string, unknown>): unknown;
  disposition(fields: Record<string, unknown>): unknown;
};
const rheaTerminus = require("rhea/lib/terminus.js") as Record<
  "source" | "target",
  (fields: Record<string, unknown>) => { described(): unknown }
>;
const rheaTypes = require("rhea/lib/types.js") as Record<string, (...args: unknown[]) => unknown>;

/** The performative of a whole rhea frame (8-byte header, doff 2). */
function decodeFrame(frame: Buffer): Performative {
  const c = new Cursor(frame, 8, frame.length);
  const p = decodePerformative(c);
  expect(c.pos).toBe(frame.length);
  return p;
}

describe("AMQP 1.0 codec against rhea's", () => {
  it("decodes rhea's open, attach, flow and transfer", () => {
    const open = decodeFrame(
      rheaFrames.write_frame(
        rheaFrames.amqp_frame(0, rheaFrames.open({ container_id: "c1", hostname: "vhost:/", max_frame_size: 65536, idle_time_out: 5000 })),
      ),
    );
    expect(open).toMatchObject({
      kind: "open",
      containerId: "c1",
      hostname: "vhost:/",
      maxFrameSize: 65536,
      idleTimeOut: 5000,
      channelMax: 65535,
    });

    const attach = decodeFrame(
      rheaFrames.write_frame(
        rheaFrames.amqp_frame(
          1,
          rheaFrames.attach({
            name: "l1",
            handle: 3,
            role: true,
            source: rheaTerminus.source({ address: "/queue/q" }).described(),
            target: rheaTerminus.target({}).described(),
            initial_delivery_count: 0,
          }),
        ),
      ),
    );
    expect(attach.kind).toBe("attach");
    if (attach.kind !== "attach") return;
    expect(attach).toMatchObject({ name: "l1", handle: 3, role: true, sndSettleMode: 2, rcvSettleMode: 0, initialDeliveryCount: 0 });
    expect(attach.source).toMatchObject({ kind: "source", address: "/queue/q", durable: 0, expiryPolicy: "session-end" });

    const flow = decodeFrame(
      rheaFrames.write_frame(
        rheaFrames.amqp_frame(
          1,
          rheaFrames.flow({
            next_incoming_id: 0,
            incoming_window: 2048,
            next_outgoing_id: 1,
            outgoing_window: 4096,
            handle: 3,
            delivery_count: 0,
            link_credit: 500,
            drain: true,
          }),
        ),
      ),
    );
    expect(flow).toMatchObject({ kind: "flow", incomingWindow: 2048, linkCredit: 500, drain: true, echo: false });

    const payload = Buffer.from([0x00, 0x53, 0x75, 0xa0, 0x03, 1, 2, 3]);
    const frame = rheaFrames.write_frame(
      rheaFrames.amqp_frame(
        1,
        rheaFrames.transfer({ handle: 3, delivery_id: 7, delivery_tag: Buffer.from("t"), message_format: 0, more: false }),
        payload,
      ),
    );
    const c = new Cursor(frame, 8, frame.length);
    const transfer = decodePerformative(c);
    expect(transfer).toMatchObject({ kind: "transfer", handle: 3, deliveryId: 7, more: false, aborted: false });
    // the payload follows where the performative ends, untouched
    expect(frame.subarray(c.pos)).toEqual(payload);
  });

  it("writes performatives rhea reads", () => {
    const frameOf = (write: (w: Writer) => void): Buffer => {
      const w = new Writer();
      w.u32(0);
      w.byte(2);
      w.byte(0);
      w.byte(0);
      w.byte(0);
      write(w);
      const b = w.take();
      b.writeUInt32BE(b.length, 0);
      return b;
    };
    const open = rheaFrames.read_frame(
      frameOf((w) => writeOpen(w, { containerId: "warren", maxFrameSize: 131072, channelMax: 255, idleTimeOut: 30000 })),
    );
    expect(open.performative).toMatchObject({ container_id: "warren", max_frame_size: 131072, channel_max: 255, idle_time_out: 30000 });
    const attach = rheaFrames.read_frame(
      frameOf((w) =>
        writeAttach(w, {
          name: "x",
          handle: 0,
          role: false,
          source: {
            kind: "source",
            address: "/queue/q",
            defaultOutcome: { kind: "released" },
            outcomes: ["amqp:accepted:list", "amqp:released:list"],
          },
          target: { kind: "target" },
          initialDeliveryCount: 0,
        }),
      ),
    );
    expect(attach.performative).toMatchObject({ name: "x", handle: 0, role: false, initial_delivery_count: 0 });
    const flow = rheaFrames.read_frame(
      frameOf((w) => writeFlow(w, { incomingWindow: 100, nextOutgoingId: 5, outgoingWindow: 9, handle: 1, linkCredit: 1000, echo: true })),
    );
    expect(flow.performative).toMatchObject({ incoming_window: 100, next_outgoing_id: 5, handle: 1, link_credit: 1000, echo: true });
    const transfer = rheaFrames.read_frame(
      frameOf((w) =>
        writeTransfer(w, { handle: 1, deliveryId: 70000, deliveryTag: Buffer.from([0, 0, 0, 1]), messageFormat: 0, settled: true }),
      ),
    );
    expect(transfer.performative).toMatchObject({ handle: 1, delivery_id: 70000, settled: true });
  });

  it("reads a delivery state of every outcome by its descriptor (ulong or symbol)", () => {
    for (const [descriptor, kind] of [
      [Descriptor.accepted, "accepted"],
      [Descriptor.released, "released"],
      [Descriptor.rejected, "rejected"],
      [Descriptor.modified, "modified"],
    ] as const) {
      const w = new Writer();
      writeAny(w, new Described(new Typed("ulong", BigInt(descriptor)), []));
      writeAny(w, new Described(new Sym(`amqp:${kind}:list`), []));
      const c = new Cursor(w.buf, 0, w.pos);
      expect(readAnyDeliveryState(c)?.kind).toBe(kind);
      expect(readAnyDeliveryState(c)?.kind).toBe(kind);
      expect(c.pos).toBe(w.pos);
    }
  });
});

describe("AMQP 1.0 primitive codec", () => {
  const value: fc.Arbitrary<AmqpValue> = fc.letrec<{ v: AmqpValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
      fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
      fc.string(),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.stringMatching(/^[a-z:-]{0,20}$/).map((s) => new Sym(s)),
      fc.integer({ min: 0, max: 0xffff_ffff }).map((n) => new Typed("uint", n)),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => new Typed("ulong", n)),
      fc.integer({ min: 0, max: 255 }).map((n) => new Typed("ubyte", n)),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((n) => new Typed("timestamp", n)),
      fc.double({ noNaN: true }).map((n) => new Typed("double", n)),
      fc.array(tie("v"), { maxLength: 5 }),
      fc.array(fc.tuple(fc.string(), tie("v")), { maxLength: 5 }).map((e) => new AmqpMap(e)),
      fc.tuple(fc.stringMatching(/^[a-z:]{1,10}$/), tie("v")).map(([d, v]) => new Described(new Sym(d), v)),
    ),
  })).v;

  it("reads back whatever it writes", () => {
    fc.assert(
      fc.property(value, (v) => {
        const w = new Writer(8);
        writeAny(w, v);
        const c = new Cursor(w.buf, 0, w.pos);
        expect(readAny(c)).toEqual(v);
        expect(c.pos).toBe(w.pos);
      }),
    );
  });

  /** rhea folds a described value's described value into one; leave those out of the comparison. */
  const nestsDescribed = (v: AmqpValue, inDescribed = false): boolean => {
    if (v instanceof Described) return inDescribed || nestsDescribed(v.value, true);
    if (Array.isArray(v)) return v.some((x) => nestsDescribed(x));
    if (v instanceof AmqpMap) return v.entries.some(([, x]) => nestsDescribed(x));
    return false;
  };

  it("agrees with rhea on the bytes of any value", () => {
    fc.assert(
      fc.property(
        value.filter((v) => !nestsDescribed(v)),
        (v) => {
          const w = new Writer(8);
          writeAny(w, v);
          const bytes = w.take();
          // rhea decodes our bytes and re-encodes them; the result decodes to the same value here
          const reader = new (rheaTypes.Reader as unknown as new (b: Buffer) => { read(): unknown })(bytes);
          const writer = new (rheaTypes.Writer as unknown as new () => { write(v: unknown): void; toBuffer(): Buffer })();
          writer.write(reader.read());
          const again = writer.toBuffer();
          expect(readAny(new Cursor(again, 0, again.length))).toEqual(v);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses truncated and lying input with a DecodeError, whatever the bytes", () => {
    fc.assert(
      fc.property(value, fc.nat(), (v, cut) => {
        const w = new Writer(8);
        writeAny(w, v);
        const end = w.pos === 0 ? 0 : cut % w.pos;
        try {
          readAny(new Cursor(w.buf, 0, end));
          return end === w.pos;
        } catch (err) {
          return err instanceof DecodeError;
        }
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b = Buffer.from(bytes);
        try {
          decodePerformative(new Cursor(b, 0, b.length));
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });

  it("refuses a list whose count cannot fit its size, before allocating for it", () => {
    const b = Buffer.from([0x00, 0x53, 0x10, 0xd0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodePerformative(new Cursor(b, 0, b.length))).toThrow(DecodeError);
  });
});

describe("AMQP 1.0 spec table", () => {
  it("amqp-1.0.json and types.generated.ts are what the generator makes from the spec's XML today", () => {
    const generator = fileURLToPath(new URL("../../protocols/amqp10/spec/generate.mjs", import.meta.url));
    expect(() => execFileSync(process.execPath, [generator, "--check"], { stdio: "pipe" })).not.toThrow();
  });
});
