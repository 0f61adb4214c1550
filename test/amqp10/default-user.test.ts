// amqp10DefaultUser: null (rabbitmq.conf amqp1_0.default_user = none) offers no ANONYMOUS login,
// so a client without credentials cannot get in; PLAIN still works.
import rhea, { type EventContext } from "rhea";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, amqp10DefaultUser: null, logLevel: "silent" });
});
afterAll(() => broker.close());

function attempt(credentials: { username?: string; password?: string }): Promise<"open" | "refused"> {
  const c = rhea
    .create_container({ id: "default-user" })
    .connect({ host: "127.0.0.1", port: broker.ports.amqp!, reconnect: false, ...credentials });
  return new Promise((resolve) => {
    c.once("connection_open", () => {
      c.close();
      resolve("open");
    });
    c.once("disconnected", () => resolve("refused"));
    c.once("connection_error", (_ctx: EventContext) => resolve("refused"));
  });
}

describe("AMQP 1.0 without a default user", () => {
  it("refuses a client without credentials and lets PLAIN in", async () => {
    expect(await attempt({})).toBe("refused");
    expect(await attempt({ username: "guest", password: "guest" })).toBe("open");
  });
});
