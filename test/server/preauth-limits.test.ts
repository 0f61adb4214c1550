import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mqttPacket from "mqtt-packet";
import WebSocket from "ws";
import { startBroker, type RunningBroker } from "warren";
import { RawClient } from "../mqtt/helpers.js";
import { RawStomp } from "../../conformance/stomp/raw-client.js";

/** Before login a client may make the broker hold at most 64 KiB of a frame, on every transport. */
const LIMIT = 65536;
const BIG = 1024 * 1024;

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ mqtt: { port: 0 }, stomp: { port: 0 }, webMqtt: { port: 0 }, webStomp: { port: 0 }, logLevel: "silent" });
});
afterAll(() => broker.close());

function openWs(port: number, protocol: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, [protocol]);
  return new Promise((resolve, reject) => ws.once("open", () => resolve(ws)).once("error", reject));
}

function closeCode(ws: WebSocket): Promise<number> {
  ws.on("error", () => undefined);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("still open")), 5000);
    ws.once("close", (code: number) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** Resolves with the first WebSocket message (as text) that matches. */
function message(ws: WebSocket, match: (data: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve) => {
    const on = (data: Buffer) => {
      if (!match(data)) return;
      ws.off("message", on);
      resolve(data);
    };
    ws.on("message", on);
  });
}

describe("pre-authentication limits", () => {
  it("STOMP: a CONNECT that never ends is refused once it passes 64 KiB (not buffered up to 128 MiB)", async () => {
    const c = await RawStomp.open(broker.ports.stomp!);
    c.write("CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n");
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    // 256 KiB of body without its NUL: four times the limit
    for (let i = 0; i < 16 && !c.closed; i++) c.write(chunk);
    const error = await c.next();
    expect(error.command).toBe("ERROR");
    expect(error.headers["message"]).toBe("Invalid frame");
    expect(error.body.toString()).toContain(`larger than ${LIMIT} bytes before login`);
    if (!c.closed) await new Promise((resolve) => c.socket.once("close", resolve));
  });

  it("STOMP: a long passcode fits, and a logged-in client sends frames far over the limit", async () => {
    const { c, connected } = await RawStomp.connected(broker.ports.stomp!, { passcode: "guest", "x-token": "t".repeat(8 * 1024) });
    expect(connected.command).toBe("CONNECTED");
    c.send("SEND", { destination: "/queue/preauth-big", receipt: "big" }, Buffer.alloc(BIG, 0x62));
    expect(await c.next()).toMatchObject({ command: "RECEIPT", headers: { "receipt-id": "big" } });
    c.socket.destroy();
  });

  it("Web STOMP: a WebSocket message over the limit before CONNECT closes with 1009; after CONNECT 1 MiB goes", async () => {
    const early = await openWs(broker.ports.webStomp!, "v12.stomp");
    const closed = closeCode(early);
    early.send(
      Buffer.concat([Buffer.from("CONNECT\nlogin:guest\npasscode:guest\n\n"), Buffer.alloc(LIMIT + 1024, 0x61), Buffer.from([0])]),
    );
    expect(await closed).toBe(1009);

    const ws = await openWs(broker.ports.webStomp!, "v12.stomp");
    const connected = message(ws, (d) => d.toString().startsWith("CONNECTED"));
    ws.send("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\x00");
    await connected;
    const receipt = message(ws, (d) => d.toString().startsWith("RECEIPT"));
    ws.send(Buffer.concat([Buffer.from("SEND\ndestination:/queue/preauth-ws\nreceipt:r\n\n"), Buffer.alloc(BIG, 0x62), Buffer.from([0])]));
    expect((await receipt).toString()).toContain("receipt-id:r");
    ws.terminate();
  });

  it("Web MQTT: a WebSocket message over the limit before CONNECT closes with 1009; after CONNECT a 1 MiB PUBLISH goes", async () => {
    const early = await openWs(broker.ports.webMqtt!, "mqtt");
    const closed = closeCode(early);
    early.send(Buffer.alloc(BIG, 0x10));
    expect(await closed).toBe(1009);

    const ws = await openWs(broker.ports.webMqtt!, "mqtt");
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const packets: string[] = [];
    let wake: (() => void) | null = null;
    parser.on("packet", (p) => {
      packets.push(p.cmd);
      wake?.();
    });
    ws.on("message", (d: Buffer) => parser.parse(d));
    const next = async (cmd: string) => {
      while (!packets.includes(cmd)) await new Promise<void>((r) => (wake = r));
    };
    ws.send(
      mqttPacket.generate({ cmd: "connect", clientId: "preauth-ws", protocolVersion: 4, protocolId: "MQTT", clean: true, keepalive: 0 }),
    );
    await next("connack");
    ws.send(
      mqttPacket.generate({ cmd: "publish", topic: "big", payload: Buffer.alloc(BIG, 1), qos: 1, messageId: 5, retain: false, dup: false }),
    );
    await next("puback");
    ws.terminate();
  });

  it("MQTT: a CONNECT announcing more than 64 KiB is refused from its fixed header", async () => {
    const c = await RawClient.open(broker.ports.mqtt!);
    // CONNECT, remaining length 1 MiB: nothing of it needs to arrive for the refusal
    c.write(Buffer.from([0x10, 0x80, 0x80, 0x40]));
    await c.closed;
  });
});
