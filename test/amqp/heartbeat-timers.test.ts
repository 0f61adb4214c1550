import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "warren";
import { RawConnection } from "../../conformance/amqp/raw/connection.js";
import { liveTimeouts } from "../helpers/live-timeouts.js";
import { bodyFrame, FrameType, headerFrame, M, Writer } from "../../conformance/amqp/raw/codec.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, logLevel: "silent" });
});
afterAll(async () => {
  await broker.close();
});

it("holds no timer per connection: 1,000 idle AMQP connections with heartbeats share one", async () => {
  const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
  const timers = liveTimeouts();
  const conns: RawConnection[] = [];
  try {
    const before = timers.count();
    for (let i = 0; i < 1000; i += 100) {
      conns.push(...(await Promise.all(Array.from({ length: 100 }, () => RawConnection.connect(url, { heartbeat: 2 })))));
    }
    // destroy hooks run a turn after a timer is cleared
    await new Promise((r) => setImmediate(r));
    // the sweeper's one timer, and a little slack for the listener's own (a timer each would be 1,000)
    expect(timers.count() - before).toBeLessThan(10);
    // and the heartbeats are kept: every connection gets its heartbeat frame
    const first = await Promise.all(conns.map((c) => c.nextFrame(10_000)));
    expect(first.filter((f) => f.type !== FrameType.HEARTBEAT || f.channel !== 0)).toEqual([]);
  } finally {
    timers.stop();
    for (const c of conns) c.socket.destroy();
  }
}, 60_000);

const CONNECTION_BLOCKED = [10, 60] as const;
const CONNECTION_UNBLOCKED = [10, 61] as const;

it("does not close a connection blocked by an alarm for silence; once unblocked it has two full intervals again", async () => {
  const alarmed = await startBroker({
    amqp: { port: 0 },
    logLevel: "silent",
    resourceCheckInterval: 3_600_000,
    diskFreeLimit: Number.MAX_SAFE_INTEGER,
  });
  try {
    const url = `amqp://guest:guest@127.0.0.1:${alarmed.ports.amqp}`;
    // heartbeat 2: the client is gone after 4 s of silence
    const raw = await RawConnection.connect(url, { heartbeat: 2, capabilities: { "connection.blocked": { type: "t", value: true } } });
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicPublish, new Writer().short(0).shortstr("").shortstr("nowhere").bits(false, false).done());
    raw.write(headerFrame(1, 1));
    raw.write(bodyFrame(1, Buffer.from("x")));
    await raw.expectMethod(CONNECTION_BLOCKED);
    // the scenario is silence: 6 s without a byte from the client, its socket not read meanwhile
    await delay(6_000);
    expect(raw.isEnded).toBe(false);
    alarmed.resources.limits.diskFreeLimit = 0;
    await alarmed.resources.check();
    await raw.expectMethod(CONNECTION_UNBLOCKED);
    const unblockedAt = Date.now();
    // silence counts from the unblocking, not from when the blocked connection last timed out
    await delay(3_000);
    expect(raw.isEnded).toBe(false);
    const bytes = await raw.bytesUntilClose(5_000);
    expect(Date.now() - unblockedAt).toBeGreaterThanOrEqual(4_000);
    expect(bytes.length % 8).toBe(0);
  } finally {
    await alarmed.close();
  }
}, 30_000);
