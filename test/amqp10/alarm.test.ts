// A resource alarm closes every AMQP 1.0 session's incoming window (RabbitMQ 4's way of stopping
// publishers): a flow with incoming-window 0 goes out, sessions begun meanwhile start closed,
// transfers already in flight are still taken, and the window re-opens when the alarm clears.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { writeAttach, writeBegin, writeOpen, writeTransfer } from "../../protocols/amqp10/codec/types.generated.js";
import { frameBytes, RawPeer } from "./raw.js";

let broker: RunningBroker;
let port: number;
beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, logLevel: "silent" });
  port = broker.ports.amqp!;
});
afterAll(() => broker.close());
afterEach(() => broker.core.alarms.set("memory", false));

const begin = (w: Parameters<typeof writeBegin>[0]) => writeBegin(w, { nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 });

describe("AMQP 1.0 under a resource alarm", () => {
  it("closes the session window while a memory alarm is on and re-opens it after", async () => {
    const vhost = broker.core.vhost("/");
    if (!("declareQueue" in vhost)) throw vhost;
    vhost.declareQueue("raw-alarm", { durable: false }, null);
    const p = await RawPeer.opened(port, (w) => writeOpen(w, { containerId: "raw" }));
    p.frame(0, begin);
    expect(await p.next()).toMatchObject({ kind: "begin", incomingWindow: 65536 });
    p.frame(0, (w) =>
      writeAttach(w, {
        name: "s",
        handle: 0,
        role: false,
        sndSettleMode: 1,
        target: { kind: "target", address: "/amq/queue/raw-alarm" },
        initialDeliveryCount: 0,
      }),
    );
    expect((await p.next())?.kind).toBe("attach");
    expect(await p.next()).toMatchObject({ kind: "flow", handle: 0, linkCredit: 65536 });

    broker.core.alarms.set("memory", true);
    const closed = await p.next();
    expect(closed).toMatchObject({ kind: "flow", incomingWindow: 0 });
    expect(closed).not.toHaveProperty("handle", 0);
    // a session begun during the alarm starts closed
    p.frame(1, begin);
    expect(await p.next()).toMatchObject({ kind: "begin", remoteChannel: 1, incomingWindow: 0 });
    // a transfer sent before the client saw the flow is taken, not a window violation
    const data = Buffer.from([0x00, 0x53, 0x75, 0xa0, 0x02, 0x68, 0x69]);
    p.write(frameBytes(0, (w) => writeTransfer(w, { handle: 0, deliveryId: 0, deliveryTag: Buffer.from([1]), settled: true }), data));
    const q = vhost.queue("raw-alarm", null);
    if (!("messageCount" in q)) throw q;
    const deadline = Date.now() + 3000;
    while (q.messageCount < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(q.messageCount).toBe(1);

    broker.core.alarms.set("memory", false);
    const frames = [await p.next(), await p.next()];
    expect(frames).toEqual(expect.arrayContaining([expect.objectContaining({ kind: "flow", incomingWindow: 65536 })]));
    p.destroy();
  });
});
