/**
 * The packet handlers (protocols/mqtt/handlers/) are module functions given the connection, not
 * closures or objects made per connection: what an idle connection holds (docs/architecture.md)
 * must not grow with them. A connection that has been through CONNECT, SUBSCRIBE, a QoS 1
 * publish both ways and PINGREQ holds no function of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mqtt from "mqtt";
import { Broker } from "../../src/core/index.js";
import { createLogger } from "../../src/server/logger.js";
import { MqttServer } from "../../protocols/mqtt/server.js";
import { nextMessages } from "./helpers.js";

let server: MqttServer;
let port: number;
beforeAll(async () => {
  server = new MqttServer(new Broker(), createLogger("silent"));
  port = await server.listen(0, "127.0.0.1");
});
afterAll(() => server.close());

describe("MQTT packet handlers", () => {
  it("leave no closure on the connection", async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clientId: "handlers-1", keepalive: 30 });
    await c.subscribeAsync("handlers/t", { qos: 1 });
    const got = nextMessages(c, 1);
    await c.publishAsync("handlers/t", "x", { qos: 1 });
    expect((await got)[0]?.payload).toBe("x");
    await c.unsubscribeAsync("handlers/t");
    // private, read for this check only: the server's live connections
    const connections = [...server["connections"]] as object[];
    expect(connections).toHaveLength(1);
    const own = Object.entries(connections[0]!)
      .filter(([, v]) => typeof v === "function")
      .map(([k]) => k);
    expect(own).toEqual([]);
    await c.endAsync();
  });
});
