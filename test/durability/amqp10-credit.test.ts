// AMQP 1.0 publisher flow control and the disk: a sender's link credit comes back only as the disk
// keeps up. Credit given plus transfers waiting for their group commit never exceed the link's
// credit (65536), so a fast sender facing a slow disk is stopped instead of piling messages up in
// the broker's memory; once the commit lands, the transfers are accepted and the credit returns.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { INCOMING_CREDIT } from "../../protocols/amqp10/incoming-link.js";
import type { Performative } from "../../protocols/amqp10/codec/types.generated.js";
import { writeAttach, writeBegin, writeOpen, writeTransfer } from "../../protocols/amqp10/codec/types.generated.js";
import { frameBytes, RawPeer } from "../amqp10/raw.js";

let dir: string;
let broker: RunningBroker | null = null;
let peer: RawPeer | null = null;
let releaseHeld: (() => void) | null = null;

afterEach(async () => {
  releaseHeld?.();
  releaseHeld = null;
  peer?.destroy();
  peer = null;
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

/** A durable message: header (durable) and one data section. */
const DURABLE = Buffer.from([0x00, 0x53, 0x70, 0xc0, 0x02, 0x01, 0x41, 0x00, 0x53, 0x75, 0xa0, 0x01, 0x78]);

function transfer(handle: number, deliveryId: number): Buffer {
  const tag = Buffer.allocUnsafe(4);
  tag.writeUInt32BE(deliveryId);
  return frameBytes(0, (w) => writeTransfer(w, { handle, deliveryId, deliveryTag: tag, messageFormat: 0 }), DURABLE);
}

async function attachSender(p: RawPeer, handle: number, address: string): Promise<void> {
  p.frame(0, (w) =>
    writeAttach(w, {
      name: `s${handle}`,
      handle,
      role: false,
      sndSettleMode: 0,
      target: { kind: "target", address },
      initialDeliveryCount: 0,
    }),
  );
  expect((await p.next())?.kind).toBe("attach");
  expect(await p.next()).toMatchObject({ kind: "flow", handle, linkCredit: INCOMING_CREDIT });
}

it("a sender whose transfers wait for a stalled disk gets no more credit until the disk catches up", async () => {
  dir = mkdtempSync(join(tmpdir(), "warren-a10-credit-"));
  const b = await startBroker({
    amqp: { port: 0 },
    stomp: false,
    webStomp: false,
    mqtt: false,
    webMqtt: false,
    dataDir: dir,
    logLevel: "silent",
  });
  broker = b;
  const v = b.core.vhost("/");
  if (!("declareQueue" in v)) throw v;
  v.declareQueue("slow-disk-q", { durable: true }, null);
  v.declareQueue("quick-q", { durable: false }, null);
  const p = await RawPeer.opened(b.ports.amqp!, (w) => writeOpen(w, { containerId: "credit-test" }));
  peer = p;
  p.frame(0, (w) => writeBegin(w, { nextOutgoingId: 0, incomingWindow: 0x7fffffff, outgoingWindow: 0x7fffffff }));
  expect((await p.next())?.kind).toBe("begin");
  await attachSender(p, 0, "/amq/queue/slow-disk-q");
  await attachSender(p, 1, "/amq/queue/quick-q");

  // the disk stalls: a commit in flight that finishes only when the test says so
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  b.persistence.commit.markDirty({ flush: () => gate });
  releaseHeld = release;

  // all the credit, used up as fast as the socket takes it
  const chunk = 4096;
  for (let at = 0; at < INCOMING_CREDIT; at += chunk) {
    const frames: Buffer[] = [];
    for (let id = at; id < at + chunk; id++) frames.push(transfer(0, id));
    p.write(Buffer.concat(frames));
  }
  // a transfer to a transient queue after them: its answer means the broker has taken them all
  p.write(transfer(1, INCOMING_CREDIT));
  const before: Performative[] = [];
  for (;;) {
    const f = await p.next();
    if (f === null) throw new Error("the broker closed the connection");
    if (f.kind === "disposition" && f.first === INCOMING_CREDIT) break;
    before.push(f);
  }
  // nothing accepted (the disk has none of it) and no new credit for the stalled link
  expect(before.filter((f) => f.kind === "disposition")).toEqual([]);
  expect(before.filter((f) => f.kind === "flow" && f.handle === 0)).toEqual([]);
  const q = v.queue("slow-disk-q", null);
  if (!("messageCount" in q)) throw q;
  expect(q.messageCount).toBe(INCOMING_CREDIT);

  // the disk catches up: every transfer accepted, and the credit comes back whole
  release();
  let accepted = 0;
  let credit: Performative | null = null;
  while (credit === null) {
    const f = await p.next();
    if (f === null) throw new Error("the broker closed the connection");
    if (f.kind === "disposition" && f.state?.kind === "accepted") accepted += (f.last ?? f.first) - f.first + 1;
    if (f.kind === "flow" && f.handle === 0) credit = f;
  }
  expect(accepted).toBe(INCOMING_CREDIT);
  expect(credit).toMatchObject({ linkCredit: INCOMING_CREDIT, deliveryCount: INCOMING_CREDIT });
}, 60_000);
