// A front-end's connection code is imported when its first client connects, not at start
// (src/transport/lazy-module.ts, lazy-websocket.ts): a broker with every listener on but clients of
// one protocol pays neither the start-up CPU nor the idle memory of the others (bench/README.md,
// "Start-up"). What a client sees must not change: every port accepts from the start, and the
// first client, arriving while the code loads, is served like any later one.
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startBroker, type RunningBroker } from "warren";

const loaded = vi.hoisted(() => ({ ws: 0, mqttPacket: 0, amqp: 0, amqp10: 0, stomp: 0, openwire: 0 }));

// each factory runs when the broker's code first imports the module
vi.mock("ws", async (importOriginal) => {
  loaded.ws++;
  return importOriginal();
});
vi.mock("mqtt-packet", async (importOriginal) => {
  loaded.mqttPacket++;
  return importOriginal();
});
vi.mock("../../protocols/amqp/connection.js", async (importOriginal) => {
  loaded.amqp++;
  return importOriginal();
});
vi.mock("../../protocols/stomp/connection.js", async (importOriginal) => {
  loaded.stomp++;
  return importOriginal();
});
vi.mock("../../protocols/amqp10/connection.js", async (importOriginal) => {
  loaded.amqp10++;
  return importOriginal();
});
vi.mock("../../protocols/openwire/connection.js", async (importOriginal) => {
  loaded.openwire++;
  return importOriginal();
});

let broker: RunningBroker | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await broker?.close();
  broker = undefined;
});

const start = () =>
  startBroker({
    amqp: { port: 0 },
    mqtt: { port: 0 },
    webMqtt: { port: 0 },
    stomp: { port: 0 },
    webStomp: { port: 0 },
    openwire: { port: 0 },
  });

/** Connects, writes `hello`, and resolves with the first `n` bytes the broker sends back. */
function exchange(port: number, hello: Buffer | null, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    sockets.push(s);
    let got = Buffer.alloc(0);
    s.on("error", reject);
    s.on("connect", () => {
      if (hello !== null) s.write(hello);
    });
    s.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= n) resolve(got.subarray(0, n));
    });
    s.on("close", () => reject(new Error(`closed after ${got.length} bytes`)));
  });
}

/** A WebSocket upgrade request: resolves with the status and the subprotocol the server picked. */
function upgrade(port: number, path: string, protocol: string): Promise<{ status: number; protocol: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({
      port,
      host: "127.0.0.1",
      path,
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
        "sec-websocket-protocol": protocol,
      },
    });
    req.on("upgrade", (res, socket) => {
      sockets.push(socket as Socket);
      resolve({ status: res.statusCode ?? 0, protocol: res.headers["sec-websocket-protocol"] as string | undefined });
    });
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, protocol: undefined });
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * A Web-STOMP client in a hurry: the upgrade request and a masked WebSocket frame carrying CONNECT in
 * one write, so the frame reaches the broker as soon as the upgrade completes. Resolves with what
 * came back once a CONNECTED frame is in it.
 */
function webStompConnect(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    sockets.push(s);
    const frame = Buffer.from("CONNECT\naccept-version:1.2\nhost:/\n\n\0");
    const request =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n";
    // FIN + text, masked with a zero key (the payload stays as it is)
    const ws = Buffer.concat([Buffer.from([0x81, 0x80 | frame.length, 0, 0, 0, 0]), frame]);
    let got = "";
    s.on("error", reject);
    s.on("connect", () => s.write(Buffer.concat([Buffer.from(request), ws])));
    s.on("data", (chunk: Buffer) => {
      got += chunk.toString("latin1");
      if (got.includes("CONNECTED\n")) resolve(got);
    });
    s.on("close", () => reject(new Error(`closed after: ${JSON.stringify(got)}`)));
  });
}

// MQTT 3.1.1 CONNECT, clean session, keep-alive 60, client id "lazy", no credentials
const MQTT_CONNECT = Buffer.from([0x10, 16, 0, 4, ...Buffer.from("MQTT"), 4, 0x02, 0, 60, 0, 4, ...Buffer.from("lazy")]);
const AMQP10_SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
const AMQP091_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
const STOMP_CONNECT = Buffer.from("CONNECT\naccept-version:1.2\nhost:/\n\n\0");

describe("front-ends loaded at their first client", () => {
  it("start every listener without importing ws, mqtt-packet, or any protocol's connection code", async () => {
    broker = await start();
    for (const port of Object.values(broker.ports)) expect(port).toBeGreaterThan(0);
    expect(loaded).toEqual({ ws: 0, mqttPacket: 0, amqp: 0, amqp10: 0, stomp: 0, openwire: 0 });
  });

  it("serve the first client of each protocol while its code loads, and load only that protocol's", async () => {
    broker = await start();
    const ports = broker.ports as Required<typeof broker.ports>;

    // AMQP 1.0 on the AMQP port: the SASL header is answered with the broker's own
    expect(await exchange(ports.amqp, AMQP10_SASL_HEADER, 8)).toEqual(AMQP10_SASL_HEADER);
    expect(loaded).toEqual({ ws: 0, mqttPacket: 0, amqp: 0, amqp10: 1, stomp: 0, openwire: 0 });

    // AMQP 0-9-1 on the same port: its header is answered with connection.start (class 10, method 10)
    const start091 = await exchange(ports.amqp, AMQP091_HEADER, 11);
    expect([start091[0], start091.readUInt16BE(1), start091.readUInt16BE(7), start091.readUInt16BE(9)]).toEqual([1, 0, 10, 10]);
    expect(loaded).toEqual({ ws: 0, mqttPacket: 0, amqp: 1, amqp10: 1, stomp: 0, openwire: 0 });

    // MQTT: CONNECT → CONNACK accepted
    expect([...(await exchange(ports.mqtt, MQTT_CONNECT, 4))]).toEqual([0x20, 2, 0, 0]);
    expect(loaded).toEqual({ ws: 0, mqttPacket: 1, amqp: 1, amqp10: 1, stomp: 0, openwire: 0 });

    // Web-STOMP first: a CONNECT sent with the upgrade, while both ws and the STOMP code load, is answered
    const answer = await webStompConnect(ports.webStomp);
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
    expect(loaded).toEqual({ ws: 1, mqttPacket: 1, amqp: 1, amqp10: 1, stomp: 1, openwire: 0 });
    // STOMP over TCP then has its code already
    expect((await exchange(ports.stomp, STOMP_CONNECT, 10)).toString()).toBe("CONNECTED\n");

    // WebSockets: two upgrades racing the load of ws both get 101 and their subprotocol
    const [stomp, mqtt] = await Promise.all([upgrade(ports.webStomp, "/ws", "v12.stomp"), upgrade(ports.webMqtt, "/ws", "mqtt")]);
    expect(stomp).toEqual({ status: 101, protocol: "v12.stomp" });
    expect(mqtt).toEqual({ status: 101, protocol: "mqtt" });
    // a wrong path is still ws's 400
    expect((await upgrade(ports.webStomp, "/other", "v12.stomp")).status).toBe(400);
    expect(loaded).toEqual({ ws: 1, mqttPacket: 1, amqp: 1, amqp10: 1, stomp: 1, openwire: 0 });
  });

  // OpenWire is left for last: the first client of the file loads it
  it("close while a first client's code is loading, then serve a first client", async () => {
    broker = await start();
    const first = exchange((broker.ports as Required<typeof broker.ports>).openwire, null, 13).catch((err: unknown) => err);
    await broker.close();
    expect(await first).toBeInstanceOf(Error);

    broker = await start();
    // the broker speaks first, with its WireFormatInfo (magic "ActiveMQ" after size and type)
    const info = await exchange((broker.ports as Required<typeof broker.ports>).openwire, null, 13);
    expect(info.subarray(5).toString("latin1")).toBe("ActiveMQ");
    expect(loaded.openwire).toBe(1);
  });
});
