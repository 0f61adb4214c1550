import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { type RunningBroker, startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { encodeFrame } from "../../protocols/stomp/frame-encoder.js";

let broker: RunningBroker;
let port: number;

beforeAll(async () => {
  broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: false, logLevel: "silent" });
  port = broker.ports.stomp!;
});
afterAll(() => broker.close());

const COMMANDS = ["SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "FROB", "CONNECT"];
const HEADER_NAMES = [
  "destination",
  "id",
  "ack",
  "transaction",
  "receipt",
  "message-id",
  "persistent",
  "prefetch-count",
  "content-length",
  "reply-to",
  "x-queue-name",
  "x-max-length",
  "requeue",
  "auto-delete",
  "durable",
];
const HEADER_VALUES = [
  "/queue/fz",
  "/topic/fz.*",
  "/topic/fz.>",
  "/exchange/amq.topic/fz",
  "/temp-queue/fz",
  "/amq/queue/fz",
  "/reply-queue/fz",
  "/queue/",
  "/bogus",
  "client",
  "client-individual",
  "auto",
  "true",
  "false",
  "1",
  "-1",
  "x",
  "T_1@@s@@1",
  "",
];

const frame = fc.record({
  command: fc.constantFrom(...COMMANDS),
  headers: fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.constantFrom(...HEADER_VALUES)), { maxLength: 5 }),
  body: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
});
const chunk = fc.oneof(
  frame.map((f) => encodeFrame(f.command, f.headers, f.body === null ? null : Buffer.from(f.body), "1.2")),
  fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
);

describe("STOMP connection fuzz", () => {
  it("random frame sequences and garbage after CONNECT never crash the broker or leak connections", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 12 }), async (chunks) => {
        const { c } = await RawStomp.connected(port);
        for (const b of chunks) c.write(b);
        // end whatever partial frame the chunks left (a body, a header line), so that the
        // DISCONNECT is read as a frame: its receipt, or a close after a parse error, ends the exchange
        c.write(Buffer.from("\0\n\n\0"));
        c.send("DISCONNECT", { receipt: "end" });
        const deadline = Date.now() + 2000;
        while (!c.closed && Date.now() < deadline) {
          try {
            const f = await c.next(deadline - Date.now());
            if (f.command === "RECEIPT" && f.headers["receipt-id"] === "end") break;
          } catch {
            break;
          }
        }
        c.close();
      }),
      { numRuns: 50 },
    );
    const { c, connected } = await RawStomp.connected(port);
    expect(connected.command).toBe("CONNECTED");
    c.close();
    const start = Date.now();
    while (broker.connectionCount() > 0 && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(broker.connectionCount()).toBe(0);
    // exclusive and auto-delete queues of the fuzzed sessions are gone with them
    const v = broker.core.vhost("/") as { queues: Map<string, { autoDelete: boolean; exclusive: boolean; consumerCount: number }> };
    for (const q of v.queues.values()) expect(q.consumerCount).toBe(0);
    expect([...v.queues.keys()].filter((n) => n.startsWith("stomp-subscription-") && v.queues.get(n)!.autoDelete)).toEqual([]);
  }, 120_000);
});
