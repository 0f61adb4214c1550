import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { networkInterfaces } from "node:os";
import type { RunningBroker } from "warren";
import { isLoopback } from "../../src/transport/listen.js";
import { RawClient, startMqttBroker } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqttBroker({ amqp: false, webMqtt: false });
});
afterAll(() => broker.close());

/** This machine's first non-loopback IPv4 address, if it has one. */
function externalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

describe("anonymous MQTT logins and loopback-only users", () => {
  it("tells loopback addresses from others, IPv4-mapped ones included", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) expect(isLoopback(a)).toBe(true);
    for (const a of ["10.0.0.1", "::ffff:10.0.0.1", "fd00::2", undefined]) expect(isLoopback(a)).toBe(false);
  });

  it("logs an anonymous client in as guest from loopback and refuses it from another address", async () => {
    const [local, ok] = await RawClient.connected(broker.ports.mqtt!, { clientId: "anon-local" });
    expect(ok.returnCode).toBe(0);
    local.close();
    const ip = externalIPv4();
    // a machine without another interface can only show the loopback half
    if (ip === undefined) return;
    const [remote, refused] = await RawClient.connected(broker.ports.mqtt!, { clientId: "anon-remote" }, ip);
    expect(refused.returnCode).toBe(4);
    await remote.closed;
  });
});
