// OpenWire over TLS (ActiveMQ's ssl:// transport, 61617): the broker's TLS settings, one server
// with the plain listener (clientIDs shared), the connection listed as TLS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as tlsConnect } from "node:tls";
import { generate } from "selfsigned";
import { type RunningBroker, startBroker } from "warren";
import {
  DataType,
  type ExceptionResponse,
  makeConnectionId,
  makeConnectionInfo,
} from "../../protocols/openwire/codec/commands.generated.js";
import { clientWireFormat, openSession, RawPeer } from "./raw.js";

let broker: RunningBroker;
let ca: string;

beforeAll(async () => {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    algorithm: "sha256",
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }] }],
  });
  ca = pems.cert;
  broker = await startBroker({
    openwire: { port: 0 },
    openwireTls: { port: 0 },
    tls: { cert: pems.cert, key: pems.private },
    logLevel: "silent",
  });
});
afterAll(() => broker?.close());

describe("OpenWire over TLS", () => {
  it("binds its own port, reported in broker.ports.openwireTls", () => {
    expect(broker.ports.openwireTls).toBeGreaterThan(0);
    expect(broker.ports.openwireTls).not.toBe(broker.ports.openwire);
  });

  it("negotiates, logs in and opens a session over TLS; the connection is listed with its TLS session", async () => {
    const p = await openSession(0, "ID:tls-1", await RawPeer.openTls(broker.ports.openwireTls!, ca));
    try {
      expect(p.received.some((d) => d.dataType === DataType.WireFormatInfo)).toBe(true);
      const listed = broker.core.connections.list().map((c) => c.details);
      const openwire = listed.filter((d) => d.protocol === "OpenWire");
      expect(openwire).toHaveLength(1);
      expect(openwire[0]!.tls?.protocol).toMatch(/^tlsv1\.[23]$/);
    } finally {
      p.close();
    }
  });

  it("shares clientIDs with the plain listener: a duplicate is refused, naming the ssl:// peer", async () => {
    const first = await RawPeer.openTls(broker.ports.openwireTls!, ca);
    first.send(
      clientWireFormat({}),
      makeConnectionInfo({
        commandId: 1,
        responseRequired: true,
        connectionId: makeConnectionId({ value: "ID:a" }),
        clientId: "shared",
        userName: "guest",
        password: "guest",
      }),
    );
    expect((await first.answerTo(1)).dataType).toBe(DataType.Response);
    const second = await RawPeer.open(broker.ports.openwire!);
    second.send(
      clientWireFormat({}),
      makeConnectionInfo({
        commandId: 1,
        responseRequired: true,
        connectionId: makeConnectionId({ value: "ID:b" }),
        clientId: "shared",
        userName: "guest",
        password: "guest",
      }),
    );
    const r = (await second.answerTo(1)) as ExceptionResponse;
    expect(r.dataType).toBe(DataType.ExceptionResponse);
    expect(r.exception?.message).toMatch(/already connected from ssl:\/\/\S+:\d+$/);
    first.close();
    second.close();
  });

  it("a plain OpenWire client on the TLS port gets no answer but a closed socket", async () => {
    const p = await RawPeer.open(broker.ports.openwireTls!);
    p.send(clientWireFormat({}));
    await p.closedWithin(10_000);
    expect(p.received).toEqual([]);
  });

  it("the TLS port speaks TLS", async () => {
    const s = tlsConnect({ port: broker.ports.openwireTls!, host: "127.0.0.1", ca, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      s.once("secureConnect", resolve);
      s.once("error", reject);
    });
    expect(s.authorized).toBe(true);
    s.destroy();
  });
});
