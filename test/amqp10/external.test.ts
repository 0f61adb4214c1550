// SASL EXTERNAL on the AMQP TLS listener: a client whose certificate verified against the
// listener's CA (verify_peer) logs in as the user its certificate names — the subject in RFC 4514
// order by default ("CN=cert-user,O=Warren" for a subject O=Warren, CN=cert-user), or the CN with ssl_cert_login_from = common_name, as RabbitMQ's
// rabbitmq_auth_mechanism_ssl. EXTERNAL is offered only to such a client.

import { connect as tlsConnect, type TLSSocket } from "node:tls";
import rhea, { type Connection, type EventContext } from "rhea";
import { generate } from "selfsigned";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { Cursor } from "../../protocols/amqp10/codec/primitives.js";
import { decodeSaslFrame } from "../../protocols/amqp10/codec/types.generated.js";

interface Pems {
  cert: string;
  key: string;
}

/** A throwaway CA, a server certificate for 127.0.0.1 and client certificates, made per run. */
async function makePki() {
  const ca = await generate([{ name: "commonName", value: "Warren AMQP 1.0 Test CA" }], {
    algorithm: "sha256",
    keySize: 2048,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = async (cn: string, usage: "server" | "client"): Promise<Pems> => {
    const r = await generate(
      [
        { name: "organizationName", value: "Warren" },
        { name: "commonName", value: cn },
      ],
      {
        algorithm: "sha256",
        keySize: 2048,
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
          { name: "extKeyUsage", serverAuth: usage === "server", clientAuth: usage === "client" },
          { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
        ],
      },
    );
    return { cert: r.cert, key: r.private };
  };
  return {
    ca: ca.cert,
    server: await leaf("localhost", "server"),
    client: await leaf("cert-user", "client"),
    stranger: await leaf("nobody-here", "client"),
  };
}

let pki: Awaited<ReturnType<typeof makePki>>;
beforeAll(async () => {
  pki = await makePki();
}, 60_000);

async function tlsBroker(extra: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  const broker = await startBroker({
    amqp: false,
    amqpTls: { port: 0, tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca, verify: "verify_peer" } },
    stomp: false,
    webStomp: false,
    mqtt: false,
    webMqtt: false,
    logLevel: "silent",
    ...extra,
  });
  broker.core.users.add("cert-user", "unused-password");
  broker.core.users.setPermission("cert-user", "/", { configure: ".*", write: ".*", read: ".*" });
  broker.core.users.add("CN=cert-user,O=Warren", "unused-password");
  broker.core.users.setPermission("CN=cert-user,O=Warren", "/", { configure: ".*", write: ".*", read: ".*" });
  return broker;
}

const open: Connection[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

/** rhea over TLS with a client certificate and EXTERNAL enabled; resolves with the open or the error. */
function connectExternal(port: number, client: Pems | null): Promise<{ opened: true } | { error: string }> {
  const c = rhea.create_container({ id: "external-test" });
  const conn = c.connect({
    transport: "tls",
    host: "127.0.0.1",
    port,
    ca: pki.ca,
    ...(client !== null && { cert: client.cert, key: client.key }),
    enable_sasl_external: true,
    reconnect: false,
  } as rhea.ConnectionOptions);
  open.push(conn);
  return new Promise((resolve) => {
    conn.once("connection_open", () => resolve({ opened: true }));
    conn.once("connection_error", (ctx: EventContext) => resolve({ error: String(ctx.connection.error) }));
    conn.once("disconnected", (ctx: EventContext) => resolve({ error: String(ctx.error ?? "disconnected") }));
  });
}

/** The mechanisms a TLS client (with or without a certificate) is offered. */
async function offeredMechanisms(port: number, client: Pems | null): Promise<string[]> {
  const s: TLSSocket = tlsConnect({ host: "127.0.0.1", port, ca: pki.ca, ...(client !== null && { cert: client.cert, key: client.key }) });
  await new Promise<void>((resolve, reject) => {
    s.once("secureConnect", () => resolve());
    s.once("error", reject);
  });
  s.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]));
  let data = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    s.on("data", (d: Buffer) => {
      data = Buffer.concat([data, d]);
      if (data.length >= 12 && data.length >= 8 + data.readUInt32BE(8)) resolve();
    });
    s.once("close", () => reject(new Error("closed before sasl-mechanisms")));
  });
  s.destroy();
  const size = data.readUInt32BE(8);
  const frame = decodeSaslFrame(new Cursor(data, 8 + data[12]! * 4, 8 + size));
  if (frame.kind !== "sasl-mechanisms") throw new Error(`expected sasl-mechanisms, got ${frame.kind}`);
  return frame.saslServerMechanisms;
}

describe("AMQP 1.0 SASL EXTERNAL", () => {
  let broker: RunningBroker;
  let port: number;
  beforeAll(async () => {
    broker = await tlsBroker();
    port = broker.ports.amqpTls!;
  });
  afterAll(() => broker.close());

  it("is offered to a client whose certificate verified, and not to one without", async () => {
    expect(await offeredMechanisms(port, pki.client)).toEqual(["EXTERNAL", "ANONYMOUS", "PLAIN"]);
    expect(await offeredMechanisms(port, null)).toEqual(["ANONYMOUS", "PLAIN"]);
  });

  it("logs in as the certificate's subject (ssl_cert_login_from's default, distinguished_name)", async () => {
    expect(await connectExternal(port, pki.client)).toEqual({ opened: true });
    const listed = broker.core.connections.list().map((c) => c.details);
    expect(listed.some((d) => d.user === "CN=cert-user,O=Warren" && d.authMechanism === "EXTERNAL")).toBe(true);
  });

  it("a certificate naming no user is refused with sasl-outcome auth", async () => {
    const r = await connectExternal(port, pki.stranger);
    expect(r).toHaveProperty("error");
  });
});

describe("AMQP 1.0 SASL EXTERNAL with ssl_cert_login_from = common_name", () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await tlsBroker({ sslCertLoginFrom: "common_name" });
  });
  afterAll(() => broker.close());

  it("logs in as the certificate's CN", async () => {
    expect(await connectExternal(broker.ports.amqpTls!, pki.client)).toEqual({ opened: true });
    const listed = broker.core.connections.list().map((c) => c.details);
    expect(listed.some((d) => d.user === "cert-user" && d.authMechanism === "EXTERNAL")).toBe(true);
  });
});
