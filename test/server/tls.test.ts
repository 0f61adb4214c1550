import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { request } from "node:https";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqplib from "amqplib";
import mqtt from "mqtt";
import { generate } from "selfsigned";
import { startBroker, type RunningBroker } from "warren";

interface Pems {
  cert: string;
  key: string;
}

/** A throwaway CA, a server certificate for localhost/127.0.0.1 and client certificates, made per run. */
async function makePki() {
  const ca = await generate([{ name: "commonName", value: "Warren Test CA" }], {
    algorithm: "sha256",
    keySize: 2048,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = async (cn: string, signer: { private: string; cert: string }, usage: "server" | "client"): Promise<Pems> => {
    const r = await generate([{ name: "commonName", value: cn }], {
      algorithm: "sha256",
      keySize: 2048,
      ca: { key: signer.private, cert: signer.cert },
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
        { name: "extKeyUsage", serverAuth: usage === "server", clientAuth: usage === "client" },
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
          ],
        },
      ],
    });
    return { cert: r.cert, key: r.private };
  };
  const rogueCa = await generate([{ name: "commonName", value: "Rogue CA" }], {
    algorithm: "sha256",
    keySize: 2048,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, digitalSignature: true },
    ],
  });
  return {
    ca: ca.cert,
    server: await leaf("localhost", ca, "server"),
    client: await leaf("app-client", ca, "client"),
    rogue: await leaf("intruder", rogueCa, "client"),
  };
}

let pki: Awaited<ReturnType<typeof makePki>>;
let dir: string;
beforeAll(async () => {
  pki = await makePki();
  dir = await mkdtemp(join(tmpdir(), "warren-tls-"));
  await writeFile(join(dir, "ca.pem"), pki.ca);
  await writeFile(join(dir, "server.pem"), pki.server.cert);
  await writeFile(join(dir, "server.key"), pki.server.key);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** ssl_options as rabbitmq.conf gives them: file paths. */
const sslOptions = (extra: object = {}) => ({
  cacertfile: join(dir, "ca.pem"),
  certfile: join(dir, "server.pem"),
  keyfile: join(dir, "server.key"),
  ...extra,
});

function stompOverTls(port: number, extra: ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: "127.0.0.1", ca: pki.ca, servername: "localhost", ...extra }, () => {
      s.write("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
    });
    let text = "";
    s.on("data", (d) => {
      text += d.toString();
      if (text.includes("\0")) {
        s.destroy();
        resolve(text);
      }
    });
    s.on("error", reject);
    s.on("close", () => resolve(text));
  });
}

function httpsGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, ca: pki.ca, servername: "localhost", auth: "guest:guest" }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("TLS listeners", () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({
      tls: sslOptions(),
      amqpTls: { port: 0 },
      mqttTls: { port: 0 },
      stompTls: { port: 0 },
      managementTls: { port: 0 },
    });
  });
  afterAll(() => broker.close());

  it("binds only the TLS listeners asked for", () => {
    expect(Object.keys(broker.ports).sort()).toEqual(["amqpTls", "managementTls", "mqttTls", "stompTls"]);
  });

  it("amqplib talks AMQP over amqps://, messages flow", async () => {
    const conn = await amqplib.connect(`amqps://guest:guest@localhost:${broker.ports.amqpTls}`, { ca: [pki.ca] });
    const ch = await conn.createChannel();
    const q = await ch.assertQueue("", { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from("over tls"));
    await ch.checkQueue(q.queue);
    const m = await ch.get(q.queue, { noAck: true });
    expect(m && m.content.toString()).toBe("over tls");
    await conn.close();
  });

  it("mqtt.js connects over mqtts:// and gets its own publish back", async () => {
    const c = await mqtt.connectAsync(`mqtts://localhost:${broker.ports.mqttTls}`, { ca: pki.ca, username: "guest", password: "guest" });
    await c.subscribeAsync("tls/t", { qos: 1 });
    const got = new Promise<string>((resolve) => c.on("message", (_t, p) => resolve(p.toString())));
    await c.publishAsync("tls/t", "secure", { qos: 1 });
    expect(await got).toBe("secure");
    await c.endAsync();
  });

  it("STOMP over a TLS socket gets CONNECTED", async () => {
    expect(await stompOverTls(broker.ports.stompTls!)).toMatch(/^CONNECTED\n/);
  });

  it("the management API answers over HTTPS", async () => {
    const r = await httpsGet(broker.ports.managementTls!, "/api/health/checks/alarms");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: "ok" });
  });

  it("a client that does not trust the CA is refused by its own TLS check", async () => {
    await expect(amqplib.connect(`amqps://guest:guest@localhost:${broker.ports.amqpTls}`)).rejects.toThrow(
      /self.signed|unable to verify|certificate/i,
    );
  });
});

describe("client certificate verification", () => {
  it("verify_peer + fail_if_no_peer_cert: a client needs a certificate signed by the CA", async () => {
    const broker = await startBroker({
      tls: sslOptions({ verify: "verify_peer", failIfNoPeerCert: true }),
      amqpTls: { port: 0 },
      stompTls: { port: 0 },
      mqttTls: { port: 0 },
    });
    try {
      const url = `amqps://guest:guest@localhost:${broker.ports.amqpTls}`;
      await expect(amqplib.connect(url, { ca: [pki.ca] })).rejects.toThrow();
      await expect(amqplib.connect(url, { ca: [pki.ca], cert: pki.rogue.cert, key: pki.rogue.key })).rejects.toThrow();
      const ok = await amqplib.connect(url, { ca: [pki.ca], cert: pki.client.cert, key: pki.client.key });
      await ok.close();
      await expect(stompOverTls(broker.ports.stompTls!)).rejects.toThrow(/certificate required/);
      expect(await stompOverTls(broker.ports.stompTls!, { cert: pki.client.cert, key: pki.client.key })).toMatch(/^CONNECTED\n/);
      const m = await mqtt.connectAsync(`mqtts://localhost:${broker.ports.mqttTls}`, {
        ca: pki.ca,
        cert: pki.client.cert,
        key: pki.client.key,
        username: "guest",
        password: "guest",
      });
      await m.endAsync();
      await expect(
        mqtt.connectAsync(`mqtts://localhost:${broker.ports.mqttTls}`, {
          ca: pki.ca,
          username: "guest",
          password: "guest",
          reconnectPeriod: 0,
          connectTimeout: 3000,
        }),
      ).rejects.toThrow();
    } finally {
      await broker.close();
    }
  });

  it("verify_peer alone: no certificate is fine, an unverifiable one is not", async () => {
    const broker = await startBroker({ tls: sslOptions({ verify: "verify_peer" }), amqpTls: { port: 0 } });
    try {
      const url = `amqps://guest:guest@localhost:${broker.ports.amqpTls}`;
      await (await amqplib.connect(url, { ca: [pki.ca] })).close();
      await (await amqplib.connect(url, { ca: [pki.ca], cert: pki.client.cert, key: pki.client.key })).close();
      await expect(amqplib.connect(url, { ca: [pki.ca], cert: pki.rogue.cert, key: pki.rogue.key })).rejects.toThrow();
    } finally {
      await broker.close();
    }
  });

  it("ssl_options versions and ciphers bound the handshake", async () => {
    const broker = await startBroker({ tls: sslOptions({ versions: ["tlsv1.3"] }), stompTls: { port: 0 } });
    try {
      expect(await stompOverTls(broker.ports.stompTls!)).toMatch(/^CONNECTED\n/);
      await expect(stompOverTls(broker.ports.stompTls!, { maxVersion: "TLSv1.2" })).rejects.toThrow(/protocol version|alert/i);
    } finally {
      await broker.close();
    }
    const tls12 = await startBroker({
      tls: sslOptions({ versions: ["tlsv1.2"], ciphers: ["ECDHE-RSA-AES128-GCM-SHA256"] }),
      stompTls: { port: 0 },
    });
    try {
      expect(await stompOverTls(tls12.ports.stompTls!, { ciphers: "ECDHE-RSA-AES128-GCM-SHA256" })).toMatch(/^CONNECTED\n/);
      await expect(stompOverTls(tls12.ports.stompTls!, { ciphers: "ECDHE-RSA-AES256-GCM-SHA384" })).rejects.toThrow(
        /handshake failure|alert/i,
      );
    } finally {
      await tls12.close();
    }
  });

  it("a TLS listener without a certificate is a startup error naming what is missing", async () => {
    await expect(startBroker({ amqpTls: { port: 0 } })).rejects.toThrow(
      "listeners.ssl.default is set but no certificate is: set ssl_options.certfile and ssl_options.keyfile",
    );
    await expect(
      startBroker({ tls: { certfile: join(dir, "nope.pem"), keyfile: join(dir, "server.key") }, amqpTls: { port: 0 } }),
    ).rejects.toThrow(/ssl_options.certfile: cannot read the certificate .*nope.pem/);
  });
});

describe("TLS connections in the management API", () => {
  /** A STOMP session over TLS kept open (with a client certificate when given). */
  function openStomp(port: number, extra: ConnectionOptions = {}): Promise<{ end(): void }> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ port, host: "127.0.0.1", ca: pki.ca, servername: "localhost", ...extra }, () => {
        s.write("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
      });
      s.once("data", (d) => (d.toString().startsWith("CONNECTED") ? resolve({ end: () => s.destroy() }) : reject(new Error(d.toString()))));
      s.on("error", reject);
    });
  }

  it("/api/connections shows ssl, protocol, cipher and the peer certificate as RabbitMQ 3.10 does; plain TCP shows ssl false", async () => {
    const broker = await startBroker({
      tls: sslOptions({ verify: "verify_peer" }),
      amqp: { port: 0 },
      amqpTls: { port: 0 },
      mqttTls: { port: 0 },
      stompTls: { port: 0 },
      management: { port: 0 },
    });
    const closers: (() => Promise<unknown> | void)[] = [];
    try {
      const withCert = await amqplib.connect(`amqps://guest:guest@localhost:${broker.ports.amqpTls}`, {
        ca: [pki.ca],
        cert: pki.client.cert,
        key: pki.client.key,
      });
      closers.push(() => withCert.close());
      const plain = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
      closers.push(() => plain.close());
      const m = await mqtt.connectAsync(`mqtts://localhost:${broker.ports.mqttTls}`, { ca: pki.ca, username: "guest", password: "guest" });
      closers.push(() => m.endAsync());
      const st = await openStomp(broker.ports.stompTls!, {
        cert: pki.client.cert,
        key: pki.client.key,
        maxVersion: "TLSv1.2",
        ciphers: "ECDHE-RSA-AES128-SHA256",
      });
      closers.push(() => st.end());

      type Listed = Record<string, unknown> & { port: number };
      let list: Listed[] = [];
      for (const deadline = Date.now() + 5000; list.length < 4 && Date.now() < deadline; ) {
        const res = await fetch(`http://127.0.0.1:${broker.ports.management}/api/connections`, {
          headers: { authorization: "Basic " + Buffer.from("guest:guest").toString("base64") },
        });
        list = (await res.json()) as Listed[];
      }
      const byPort = (port: number | undefined) => list.find((c) => c.port === port)!;
      const tls13 = { ssl: true, ssl_protocol: "tlsv1.3", ssl_cipher: "aes_256_gcm", ssl_hash: "aead", ssl_key_exchange: "any" };
      const validity = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ - \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
      expect(byPort(broker.ports.amqpTls)).toMatchObject({
        protocol: "AMQP 0-9-1",
        ...tls13,
        peer_cert_subject: "CN=app-client",
        peer_cert_issuer: "CN=Warren Test CA",
        peer_cert_validity: expect.stringMatching(validity),
      });
      expect(byPort(broker.ports.mqttTls)).toMatchObject({
        protocol: "MQTT 3.1.1",
        ...tls13,
        peer_cert_subject: null,
        peer_cert_issuer: null,
        peer_cert_validity: null,
      });
      // TLS 1.2 with a CBC suite: the key exchange and the MAC hash are named (3.10.8: ecdhe_rsa, aes_128_cbc, sha256)
      expect(byPort(broker.ports.stompTls)).toMatchObject({
        protocol: "STOMP 1.2",
        ssl: true,
        ssl_protocol: "tlsv1.2",
        ssl_cipher: "aes_128_cbc",
        ssl_hash: "sha256",
        ssl_key_exchange: "ecdhe_rsa",
        peer_cert_subject: "CN=app-client",
      });
      expect(byPort(broker.ports.amqp)).toMatchObject({
        ssl: false,
        ssl_protocol: null,
        ssl_cipher: null,
        ssl_hash: null,
        ssl_key_exchange: null,
        peer_cert_subject: null,
      });
    } finally {
      for (const close of closers) await close();
      await broker.close();
    }
  });
});
