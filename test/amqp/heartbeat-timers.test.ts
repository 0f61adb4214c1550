import { createHook } from "node:async_hooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "warren";
import { RawConnection } from "../../conformance/amqp/raw/connection.js";
import { FrameType } from "../../conformance/amqp/raw/codec.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 } });
});
afterAll(async () => {
  await broker.close();
});

/**
 * Timeout objects alive now, unref'd ones included: process.getActiveResourcesInfo() lists only
 * ref'd timers, and the broker's are all unref'd, so it would not see a timer per connection.
 */
function liveTimeouts(): { count(): number; stop(): void } {
  const live = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === "Timeout") live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return { count: () => live.size, stop: () => hook.disable() };
}

it("holds no timer per connection: 1,000 idle AMQP connections with heartbeats share one", async () => {
  const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
  const timers = liveTimeouts();
  const conns: RawConnection[] = [];
  try {
    const before = timers.count();
    for (let i = 0; i < 1000; i += 100) {
      conns.push(...await Promise.all(Array.from({ length: 100 }, () => RawConnection.connect(url, { heartbeat: 2 }))));
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
