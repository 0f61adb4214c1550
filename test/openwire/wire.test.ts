// OpenWire at the wire: negotiation, keep-alive both ways, login and the refusals the Java
// client maps to JMS exceptions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import {
  type BrokerInfo,
  type ConnectionError,
  DataType,
  type ExceptionResponse,
  type KeepAliveInfo,
  makeActiveMQQueue,
  makeConnectionId,
  makeConnectionInfo,
  makeConsumerId,
  makeConsumerInfo,
  makeKeepAliveInfo,
  makeSessionId,
  makeSessionInfo,
  type Response,
  type WireFormatInfo,
} from "../../protocols/openwire/codec/commands.generated.js";
import { Reader } from "../../protocols/openwire/codec/primitives.js";
import { readPrimitiveMap } from "../../protocols/openwire/primitive-map.js";
import { OpenWireServer } from "../../protocols/openwire/server.js";
import { clientWireFormat, RawPeer } from "./raw.js";

let broker: RunningBroker;
let fast: OpenWireServer;
let fastPort: number;
let offering: OpenWireServer;
let offeringPort: number;
beforeAll(async () => {
  broker = await startBroker({ openwire: { port: 0 }, logLevel: "silent" });
  // a second listener on the same core with a 300 ms inactivity limit, for the keep-alive tests
  fast = new OpenWireServer(broker.core, broker.log, { maxInactivityMs: 300 });
  fastPort = await fast.listen(0, "127.0.0.1");
  // and one offering tight encoding and the marshal cache, as ActiveMQ's broker does
  offering = new OpenWireServer(broker.core, broker.log, { tightEncoding: true, cache: true });
  offeringPort = await offering.listen(0, "127.0.0.1");
});
afterAll(async () => {
  await fast?.close();
  await offering?.close();
  await broker?.close();
});

const connectionId = makeConnectionId({ value: "ID:raw-1" });
const login = (password = "guest", clientId: string | null = null) =>
  makeConnectionInfo({ commandId: 1, responseRequired: true, connectionId, userName: "guest", password, clientId });

describe("OpenWire negotiation and keep-alive", () => {
  it("by default the broker offers version 12, loose encoding without the marshal cache, size prefix on, then sends BrokerInfo", async () => {
    const p = await RawPeer.open(broker.ports.openwire!);
    try {
      const wf = await p.next<WireFormatInfo>(DataType.WireFormatInfo);
      expect(wf.version).toBe(12);
      const props = readPrimitiveMap(new Reader(wf.marshalledProperties!, 0, wf.marshalledProperties!.length, 12, false));
      expect(props.get("TightEncodingEnabled")).toBe(false);
      expect(props.get("CacheEnabled")).toBe(false);
      expect(props.get("CacheSize")).toEqual({ int: 1024 });
      expect(props.get("SizePrefixDisabled")).toBe(false);
      expect(props.get("MaxInactivityDuration")).toEqual({ long: 30000 });
      p.send(clientWireFormat({ MaxInactivityDuration: { long: 30000 } }));
      const info = await p.next<BrokerInfo>(DataType.BrokerInfo);
      expect(info.brokerName).toBe("warren");
    } finally {
      p.close();
    }
  });

  it("offers tight encoding and the marshal cache when configured to, as ActiveMQ's broker does", async () => {
    const p = await RawPeer.open(offeringPort);
    try {
      const wf = await p.next<WireFormatInfo>(DataType.WireFormatInfo);
      const props = readPrimitiveMap(new Reader(wf.marshalledProperties!, 0, wf.marshalledProperties!.length, 12, false));
      expect(props.get("TightEncodingEnabled")).toBe(true);
      expect(props.get("CacheEnabled")).toBe(true);
      expect(props.get("CacheSize")).toEqual({ int: 1024 });
    } finally {
      p.close();
    }
  });

  it("sends KeepAliveInfo while idle, answers one that asks, and closes a peer silent past the limit", async () => {
    const p = await RawPeer.open(fastPort);
    p.send(clientWireFormat({ MaxInactivityDuration: { long: 300 } }), login());
    await p.next<Response>(DataType.Response);
    const n = p.received.length;
    await p.next<KeepAliveInfo>(DataType.KeepAliveInfo, n, 2000);
    p.send(makeKeepAliveInfo({ commandId: 2, responseRequired: true }));
    const m = p.received.length;
    await p.next<KeepAliveInfo>(DataType.KeepAliveInfo, m, 2000);
    // then nothing from us: closed after two periods of silence
    await p.closedWithin(3000);
  });

  it("a peer that keeps sending KeepAliveInfo stays connected", async () => {
    const p = await RawPeer.open(fastPort);
    try {
      p.send(clientWireFormat({ MaxInactivityDuration: { long: 300 } }), login());
      await p.next<Response>(DataType.Response);
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        p.send(makeKeepAliveInfo());
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(p.closed).toBe(false);
    } finally {
      p.close();
    }
  });
});

describe("OpenWire refusals as Java exceptions", () => {
  it("wrong credentials: ExceptionResponse with java.lang.SecurityException (JMSSecurityException to the client), then closed", async () => {
    const p = await RawPeer.open(broker.ports.openwire!);
    p.send(clientWireFormat({}), login("wrong"));
    const r = await p.next<ExceptionResponse>(DataType.ExceptionResponse);
    expect(r.correlationId).toBe(1);
    expect(r.exception).toMatchObject({ className: "java.lang.SecurityException", message: "User name [guest] or password is invalid." });
    await p.closedWithin(3000);
  });

  it("a consumer with an invalid selector is refused with InvalidSelectorException, the connection kept", async () => {
    const p = await RawPeer.open(broker.ports.openwire!);
    try {
      const sessionId = makeSessionId({ connectionId: "ID:raw-1", value: 1 });
      p.send(
        clientWireFormat({}),
        login(),
        makeSessionInfo({ commandId: 2, responseRequired: true, sessionId }),
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:raw-1", sessionId: 1, value: 1 }),
          destination: makeActiveMQQueue({ physicalName: "wire.selector" }),
          prefetchSize: 10,
          selector: "color = ",
        }),
      );
      const r = await p.next<ExceptionResponse>(DataType.ExceptionResponse);
      expect(r.correlationId).toBe(3);
      expect(r.exception?.className).toBe("javax.jms.InvalidSelectorException");
      expect(r.exception?.message).toContain("Invalid selector 'color = '");
      expect(p.closed).toBe(false);
    } finally {
      p.close();
    }
  });

  it("an operator's close reaches the client as a ConnectionError", async () => {
    const p = await RawPeer.open(broker.ports.openwire!);
    p.send(clientWireFormat({}), login("guest", "closing-client"));
    await p.next<Response>(DataType.Response);
    const before = p.received.length;
    await fast.close();
    await broker.close();
    const e = await p.next<ConnectionError>(DataType.ConnectionError, before, 3000);
    expect(e.exception?.message).toBe("broker shutting down");
  });
});
