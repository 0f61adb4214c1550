// OpenWire over TLS with ActiveMQ's Java client (`ssl://host:port`): a message sent and received over
// the TLS transport. The scenario needs a broker with a certificate it makes, so it never uses a
// shared one: an embedded run starts Warren with `openwireTls` and the certificate; a run against
// ActiveMQ (`npm run conformance -- --openwire URL`, or WARREN_CONFORMANCE_OPENWIRE set) starts a
// private ActiveMQ 5.17 with conformance/activemq.sh on free ports, adds an ssl:// connector with a
// PKCS12 keystore of the certificate to its configuration and restarts it.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildJms, runJava } from "./java.js";
import { OPENWIRE_TARGET_ENV } from "./target.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PASSWORD = "conformance";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface TlsBroker {
  url: string;
  close(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), "warren-openwire-tls-"));
const truststore = join(dir, "trust.p12");

async function warren(cert: string, key: string): Promise<TlsBroker> {
  const { startBroker } = await import("warren");
  const broker = await startBroker({ openwireTls: { port: 0 }, tls: { cert, key }, logLevel: "silent" });
  return { url: `ssl://localhost:${broker.ports.openwireTls}`, close: () => broker.close() };
}

async function activemq(certFile: string, keyFile: string): Promise<TlsBroker> {
  const [openwire, stomp, mqtt, ssl] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const base = mkdtempSync(join(tmpdir(), "warren-tls-activemq-"));
  const env = {
    ...process.env,
    WARREN_ACTIVEMQ_OPENWIRE_PORT: String(openwire),
    WARREN_ACTIVEMQ_STOMP_PORT: String(stomp),
    WARREN_ACTIVEMQ_MQTT_PORT: String(mqtt),
    WARREN_ACTIVEMQ_DIR: base,
  };
  const sh = (cmd: string) => run("bash", [join(ROOT, "conformance/activemq.sh"), cmd], { env, timeout: 150_000 });
  await sh("start");
  const keystore = join(dir, "broker.p12");
  await run("openssl", [
    "pkcs12",
    "-export",
    "-in",
    certFile,
    "-inkey",
    keyFile,
    "-out",
    keystore,
    "-passout",
    `pass:${PASSWORD}`,
    "-name",
    "broker",
  ]);
  const conf = join(base, "conf/activemq.xml");
  const xml = readFileSync(conf, "utf8")
    .replace(
      "<transportConnectors>",
      `<sslContext><sslContext keyStore="file:${keystore}" keyStorePassword="${PASSWORD}" keyStoreType="pkcs12"/></sslContext>\n    <transportConnectors>`,
    )
    .replace("</transportConnectors>", `  <transportConnector name="ssl" uri="ssl://127.0.0.1:${ssl}"/>\n    </transportConnectors>`);
  writeFileSync(conf, xml);
  await sh("restart");
  return { url: `ssl://localhost:${ssl}`, close: () => sh("stop").then(() => undefined) };
}

let broker: TlsBroker;
beforeAll(async () => {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    algorithm: "sha256",
    keySize: 2048,
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  writeFileSync(certFile, pems.cert);
  writeFileSync(keyFile, pems.private);
  // the Java client trusts the certificate through a PKCS12 truststore
  await run("keytool", [
    "-importcert",
    "-noprompt",
    "-alias",
    "broker",
    "-file",
    certFile,
    "-keystore",
    truststore,
    "-storetype",
    "PKCS12",
    "-storepass",
    PASSWORD,
  ]);
  broker = process.env[OPENWIRE_TARGET_ENV]?.trim() ? await activemq(certFile, keyFile) : await warren(pems.cert, pems.private);
  await buildJms();
}, 240_000);
afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("OpenWire over TLS", () => {
  it("ActiveMQ's Java client on ssl:// sends and receives a message", async () => {
    const r = await runJava<unknown>("Tls", broker.url, truststore, PASSWORD, `conf.${randomUUID().slice(0, 8)}.tls`);
    expect(r).toEqual({ received: "over tls" });
  });
});
