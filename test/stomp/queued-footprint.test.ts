/**
 * What the broker holds for each STOMP message waiting in a queue: with a client publishing faster
 * than its consumer acks, tens of thousands wait, every one of them outlives young-generation
 * collections, and each object and byte of them is copied and marked again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { heapAfterGc } from "../helpers/heap.js";

let broker: RunningBroker;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "warren-stomp-footprint-"));
  broker = await startBroker({ stomp: { port: 0 }, amqp: false, mqtt: false, logLevel: "silent", dataDir });
});
afterAll(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a queued STOMP message", () => {
  it("holds its message, its queue entry and its body's view, and no properties object of its own", async () => {
    const n = 20_000;
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    const frame = (i: number, receipt: string | null) =>
      `SEND\ndestination:/queue/footprint\ncontent-length:16\n${receipt === null ? "" : `receipt:${receipt}\n`}\n${String(i).padStart(16, "0")}\0`;
    c.write(frame(0, "first"));
    await c.take((f) => f.command === "RECEIPT", "the first receipt");
    const before = heapAfterGc();
    const frames: string[] = [];
    for (let i = 1; i <= n; i++) frames.push(frame(i, i === n ? "last" : null));
    c.write(frames.join(""));
    frames.length = 0;
    await c.take((f) => f.command === "RECEIPT" && f.headers["receipt-id"] === "last", "the last receipt");
    const perMessage = (heapAfterGc() - before) / n;
    // 460 B with an empty properties object per message (56 B) and a boxed "no expiry" (16 B);
    // now a Message (136 B), a QueueEntry (112 B), a Buffer view (96 B) and the queue's slot
    expect(perMessage).toBeLessThan(420);
    c.close();
  });
});
