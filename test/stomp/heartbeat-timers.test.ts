import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { liveTimeouts } from "../helpers/live-timeouts.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: false, logLevel: "silent" });
});
afterAll(() => broker.close());

it("holds no timer per connection: 300 idle STOMP connections with heart-beats share one", async () => {
  const timers = liveTimeouts();
  const clients: RawStomp[] = [];
  try {
    const before = timers.count();
    for (let i = 0; i < 300; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, () => RawStomp.connected(broker.ports.stomp!, { "heart-beat": "0,1000" })),
      );
      for (const { c, connected } of batch) {
        expect(connected.headers["heart-beat"]).toBe("1000,0");
        clients.push(c);
      }
    }
    await new Promise((r) => setImmediate(r));
    // the sweeper's one timer and a little slack (a timer each would be 300)
    expect(timers.count() - before).toBeLessThan(10);
    // and the heart-beats are kept: each connection hears an EOL
    await Promise.all(clients.map((c) => c.waitBytes(1, 10_000)));
  } finally {
    timers.stop();
    for (const c of clients) c.close();
  }
}, 60_000);
