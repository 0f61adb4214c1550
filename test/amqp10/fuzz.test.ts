import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import rhea from "rhea";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { Cursor, type Writer } from "../../protocols/amqp10/codec/primitives.js";
import {
  decodePerformative,
  writeAttach,
  writeBegin,
  writeDetach,
  writeDisposition,
  writeEnd,
  writeFlow,
  writeOpen,
  writeTransfer,
} from "../../protocols/amqp10/codec/types.generated.js";
import { AMQP10_HEADER, frameBytes, RawPeer } from "./raw.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const u32 = (n: number) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/** Well-formed performatives with wrong or hostile fields: handles never attached, absurd windows, transfers without credit. */
const performativeArb: fc.Arbitrary<(w: Writer) => void> = fc.oneof(
  fc.record({ w: fc.nat(), o: fc.nat() }).map(
    ({ w, o }) =>
      (wr: Writer) =>
        writeBegin(wr, { nextOutgoingId: o, incomingWindow: w, outgoingWindow: w }),
  ),
  fc
    .record({
      h: fc.nat(9),
      role: fc.boolean(),
      addr: fc.constantFrom("/amq/queue/fuzz", "/queue/fuzz2", "/exchange/nope/x", "/bad/", "topic://t", ""),
    })
    .map(
      ({ h, role, addr }) =>
        (wr: Writer) =>
          writeAttach(wr, {
            name: `l${h}`,
            handle: h,
            role,
            source: { kind: "source", address: addr },
            target: { kind: "target", address: addr },
            initialDeliveryCount: 0,
          }),
    ),
  fc.record({ h: fc.option(fc.nat(9), { nil: undefined }), credit: fc.nat(), drain: fc.boolean(), echo: fc.boolean() }).map(
    ({ h, credit, drain, echo }) =>
      (wr: Writer) =>
        writeFlow(wr, { incomingWindow: credit, nextOutgoingId: 0, outgoingWindow: credit, handle: h, linkCredit: credit, drain, echo }),
  ),
  fc
    .record({ h: fc.nat(9), id: fc.option(fc.nat(), { nil: undefined }), more: fc.boolean(), aborted: fc.boolean(), settled: fc.boolean() })
    .map(
      ({ h, id, more, aborted, settled }) =>
        (wr: Writer) =>
          writeTransfer(wr, { handle: h, deliveryId: id, deliveryTag: Buffer.from([1]), more, aborted, settled }),
    ),
  fc.record({ first: fc.nat(), last: fc.nat(), role: fc.boolean(), settled: fc.boolean() }).map(
    ({ first, last, role, settled }) =>
      (wr: Writer) =>
        writeDisposition(wr, { role, first, last, settled, state: { kind: "accepted" } }),
  ),
  fc.nat(9).map((h) => (wr: Writer) => writeDetach(wr, { handle: h, closed: true })),
  fc.constant((wr: Writer) => writeEnd(wr, {})),
  fc.constant((wr: Writer) => writeOpen(wr, { containerId: "again" })),
);

/** A frame: a performative with random payload, random bytes behind a descriptor, garbage, a lying or absurd size, cut short. */
const frameArb: fc.Arbitrary<Buffer> = fc
  .record({
    channel: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 65535 })),
    kind: fc.oneof(
      fc.tuple(performativeArb, fc.uint8Array({ maxLength: 40 })).map(([p, payload]) => ({ p, payload: Buffer.from(payload) })),
      fc.tuple(fc.integer({ min: 0x10, max: 0x18 }), fc.uint8Array({ maxLength: 60 })).map(([code, rest]) => ({
        raw: Buffer.concat([Buffer.from([0x00, 0x53, code]), Buffer.from(rest)]),
      })),
      fc.uint8Array({ maxLength: 80 }).map((a) => ({ raw: Buffer.from(a) })),
    ),
    sizeDelta: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -8, max: 8 }), fc.constant(0x7fff_0000)),
    truncateTo: fc.option(fc.nat(120), { nil: undefined }),
  })
  .map(({ channel, kind, sizeDelta, truncateTo }) => {
    let frame: Buffer;
    if ("p" in kind) frame = frameBytes(channel, kind.p, kind.payload);
    else frame = Buffer.concat([u32(8 + kind.raw.length), Buffer.from([2, 0, channel >> 8, channel & 255]), kind.raw]);
    if (sizeDelta !== 0) frame.writeUInt32BE(Math.max(0, frame.length + sizeDelta) >>> 0, 0);
    return truncateTo === undefined ? frame : frame.subarray(0, truncateTo);
  });

/** The error conditions the broker sent in close, end and detach frames. */
function conditions(bytes: Buffer): string[] {
  const out: string[] = [];
  let at = 8; // after the protocol header
  try {
    while (at + 8 <= bytes.length) {
      const size = bytes.readUInt32BE(at);
      if (size < 8 || at + size > bytes.length) break;
      const doff = bytes[at + 4]!;
      if (size > doff * 4) {
        const p = decodePerformative(new Cursor(bytes, at + doff * 4, at + size));
        if ((p.kind === "close" || p.kind === "end" || p.kind === "detach") && p.error !== undefined) out.push(p.error.condition);
      }
      at += size;
    }
  } catch {
    // a transfer's payload or a partial tail: ours to trust, not to parse
  }
  return out;
}

describe("AMQP 1.0 front-end under malformed input", () => {
  let broker: RunningBroker;
  let port: number;

  beforeAll(async () => {
    broker = await startBroker({ amqp: { port: 0 }, stomp: false, webStomp: false, mqtt: false, webMqtt: false, logLevel: "silent" });
    port = broker.ports.amqp!;
    const v = broker.core.vhost("/");
    if (!("declareQueue" in v)) throw v;
    v.declareQueue("fuzz", { durable: false }, null);
  });
  afterAll(() => broker.close());

  /** One hostile connection: header, open, begin, then the frames; everything the broker answered. */
  async function runCase(frames: Buffer[]): Promise<Buffer> {
    const p = await RawPeer.open(port);
    p.write(
      Buffer.concat([
        AMQP10_HEADER,
        frameBytes(0, (w) => writeOpen(w, { containerId: "fuzz" })),
        frameBytes(0, (w) => writeBegin(w, { nextOutgoingId: 0, incomingWindow: 1000, outgoingWindow: 1000 })),
        ...frames,
      ]),
    );
    p.socket.end();
    await p.untilClosed(5000);
    return p.bytes(1 << 30);
  }

  it("answers wrong performatives, garbage, truncated frames and absurd sizes with a condition, never an internal error, while another client keeps working", async () => {
    const c = rhea.create_container();
    const bystander = c.connect({ host: "127.0.0.1", port, username: "guest", password: "guest", reconnect: false });
    await new Promise<void>((resolve) => bystander.once("connection_open", () => resolve()));
    const receiver = bystander.open_receiver({ source: { address: "/queue/bystander" }, credit_window: 100 });
    const got: string[] = [];
    receiver.on("message", (ctx) => got.push(String(ctx.message?.body)));
    const sender = bystander.open_sender({ target: { address: "/queue/bystander" } });
    await new Promise<void>((resolve) => sender.once("sendable", () => resolve()));
    const seen = new Set<string>();
    let i = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 6 }), async (frames) => {
        for (const condition of conditions(await runCase(frames))) {
          expect(condition).not.toBe("amqp:internal-error");
          seen.add(condition);
        }
        const body = `m${i++}`;
        sender.send({ body });
        await expect.poll(() => got.includes(body)).toBe(true);
      }),
      { numRuns: 150 },
    );
    // the generator reached the error paths
    expect(seen.has("amqp:decode-error") || seen.has("amqp:connection:framing-error")).toBe(true);
    expect(seen.size).toBeGreaterThan(2);
    bystander.close();
  });

  it("releases what bad connections held: connection count and heap return to their level", async () => {
    const cases = fc.sample(fc.array(frameArb, { minLength: 1, maxLength: 6 }), { numRuns: 100, seed: 42 });
    const burst = async () => {
      for (const f of cases) await runCase(f);
    };
    await burst();
    await expect.poll(() => broker.connectionCount()).toBe(0);
    gc();
    const before = process.memoryUsage().heapUsed;
    await burst();
    await expect.poll(() => broker.connectionCount()).toBe(0);
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4 * 1024 * 1024);
  });
});
