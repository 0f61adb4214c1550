import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import amqplib from "amqplib";
import { generate } from "selfsigned";
import WebSocket from "ws";
import { startBroker, type RunningBroker } from "warren";
import { RawClient } from "../mqtt/helpers.js";
import { RawStomp } from "../../conformance/stomp/raw-client.js";

// A timed test because the behaviour is a timeout: short ones keep it quick, and every wait is
// bounded well above them.
const TIMEOUT = 300;
const TLS_TIMEOUT = 400;
const BOUND = 5000;

let broker: RunningBroker;
beforeAll(async () => {
  const pems = await generate([{ name: "commonName", value: "localhost" }], { algorithm: "sha256", keySize: 2048 });
  const tls = { tls: { cert: pems.cert, key: pems.private } };
  broker = await startBroker({
    amqp: { port: 0 },
    mqtt: { port: 0 },
    stomp: { port: 0 },
    webMqtt: { port: 0 },
    webStomp: { port: 0 },
    prometheus: { port: 0 },
    amqpTls: { port: 0, ...tls },
    stompTls: { port: 0, ...tls },
    mqttTls: { port: 0, ...tls },
    handshakeTimeout: TIMEOUT,
    mqttLoginTimeout: TIMEOUT,
    stompLoginTimeout: TIMEOUT,
    sslHandshakeTimeout: TLS_TIMEOUT,
    logLevel: "silent",
  });
}, 60_000);
afterAll(() => broker.close());

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

/** How long until the broker closes `socket` (ms), failing past BOUND. */
function closedAfter(socket: Socket, since = Date.now()): Promise<number> {
  socket.on("error", () => undefined);
  socket.resume();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("still open")), BOUND);
    socket.once("close", () => {
      clearTimeout(t);
      resolve(Date.now() - since);
    });
  });
}

const timeouts = (protocol: string) => broker.core.connections.handshakeTimeouts.get(protocol) ?? 0;

describe("handshake timeouts (handshake_timeout, mqtt.login_timeout, stomp.login_timeout)", () => {
  it.each([
    ["amqp", () => broker.ports.amqp!],
    ["mqtt", () => broker.ports.mqtt!],
    ["stomp", () => broker.ports.stomp!],
    ["web-mqtt", () => broker.ports.webMqtt!],
    ["web-stomp", () => broker.ports.webStomp!],
  ])("%s: a socket that sends nothing is closed after the timeout and counted", async (protocol, port) => {
    const before = timeouts(protocol);
    const s = await open(port());
    const ms = await closedAfter(s);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 20);
    expect(timeouts(protocol)).toBe(before + 1);
  });

  it("amqp: a client that stops after the protocol header is closed too (RabbitMQ: after connection.start)", async () => {
    const s = await open(broker.ports.amqp!);
    const since = Date.now();
    s.write(Buffer.from("AMQP\x00\x00\x09\x01", "latin1"));
    expect(await closedAfter(s, since)).toBeGreaterThanOrEqual(TIMEOUT - 20);
  });

  it("stomp: a refused CONNECT leaves the socket open only until the timeout, as RabbitMQ", async () => {
    const c = await RawStomp.open(broker.ports.stomp!);
    const since = Date.now();
    c.send("CONNECT", { "accept-version": "1.2", login: "guest", passcode: "wrong" });
    expect((await c.next()).command).toBe("ERROR");
    expect(await closedAfter(c.socket, since)).toBeGreaterThanOrEqual(TIMEOUT - 20);
  });

  it.each([
    ["amqp/ssl", () => broker.ports.amqpTls!],
    ["mqtt/ssl", () => broker.ports.mqttTls!],
    ["stomp/ssl", () => broker.ports.stompTls!],
  ])("%s: no TLS handshake is closed after ssl_handshake_timeout; TLS without login after the login timeout", async (protocol, port) => {
    const before = timeouts(protocol);
    expect(await closedAfter(await open(port()))).toBeGreaterThanOrEqual(TLS_TIMEOUT - 20);
    expect(timeouts(protocol)).toBe(before + 1);
    const since = Date.now();
    const tls = tlsConnect({ port: port(), host: "127.0.0.1", rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => tls.once("secureConnect", resolve).once("error", reject));
    expect(await closedAfter(tls as unknown as Socket, since)).toBeGreaterThanOrEqual(TIMEOUT - 20);
    expect(timeouts(protocol)).toBe(before + 2);
  });

  it("Prometheus shows the count per listener", async () => {
    const s = await open(broker.ports.mqtt!);
    await closedAfter(s);
    const text = await (await fetch(`http://127.0.0.1:${broker.ports.prometheus}/metrics`)).text();
    expect(text).toContain(`warren_connections_handshake_timeout_total{protocol="mqtt"} ${timeouts("mqtt")}`);
    expect(text).toMatch(/warren_connections_handshake_timeout_total\{protocol="amqp\/ssl"\} \d+/);
  });

  it("connections that logged in are not closed, on every protocol", async () => {
    const amqp = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const [mqtt] = await RawClient.connected(broker.ports.mqtt!, { clientId: "stays" });
    const { c: stomp } = await RawStomp.connected(broker.ports.stomp!);
    const ws = new WebSocket(`ws://127.0.0.1:${broker.ports.webStomp}/ws`, ["v12.stomp"]);
    await new Promise<void>((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const connected = new Promise<string>((resolve) => ws.once("message", (d: Buffer) => resolve(d.toString())));
    ws.send("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\x00");
    expect(await connected).toMatch(/^CONNECTED/);
    const before = ["amqp", "mqtt", "stomp", "web-stomp"].map(timeouts);
    // three timeouts, then each still answers
    await new Promise((r) => setTimeout(r, 3 * TIMEOUT));
    const ch = await amqp.createChannel();
    await ch.checkExchange("amq.direct");
    mqtt.send({ cmd: "pingreq" });
    expect((await mqtt.next()).cmd).toBe("pingresp");
    stomp.send("SUBSCRIBE", { id: "1", destination: "/queue/stays", receipt: "r" });
    expect((await stomp.next()).command).toBe("RECEIPT");
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(["amqp", "mqtt", "stomp", "web-stomp"].map(timeouts)).toEqual(before);
    await amqp.close();
    mqtt.close();
    stomp.socket.destroy();
    ws.terminate();
  });
});
