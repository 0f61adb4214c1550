// What ActiveMQ's failover transport sends when it reconnects: ConnectionControl (faultTolerant)
// before it replays the connection's ConnectionInfo. conformance/openwire/failover.test.ts runs the
// real client across a broker restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import {
  DataType,
  makeConnectionControl,
  makeConnectionId,
  makeConnectionInfo,
  type Response,
} from "../../protocols/openwire/codec/commands.generated.js";
import { clientWireFormat, RawPeer } from "./raw.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ openwire: { port: 0 }, logLevel: "silent" });
});
afterAll(() => broker?.close());

describe("a failover client's reconnection", () => {
  it("ConnectionControl before ConnectionInfo is taken, and the ConnectionInfo answered", async () => {
    const p = await RawPeer.open(broker.ports.openwire!);
    try {
      p.send(
        clientWireFormat({}),
        makeConnectionControl({ commandId: 1, faultTolerant: true }),
        makeConnectionInfo({
          commandId: 2,
          responseRequired: true,
          connectionId: makeConnectionId({ value: "ID:failover-1" }),
          userName: "guest",
          password: "guest",
          faultTolerant: true,
        }),
      );
      const r = await p.next<Response>(DataType.Response);
      expect(r.correlationId).toBe(2);
      expect(p.closed).toBe(false);
    } finally {
      p.close();
    }
  });
});
