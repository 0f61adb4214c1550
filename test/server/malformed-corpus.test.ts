/**
 * The malformed-input corpus (issue 21): hand-picked bad inputs for each of the six listeners
 * (AMQP, MQTT, STOMP, Web MQTT, Web STOMP, management HTTP), each with the answer a client can
 * observe — an AMQP close code, a CONNACK or a closed socket, a STOMP ERROR frame, an HTTP status, a
 * WebSocket close code. The fuzzers (test/amqp/fuzz, test/stomp/fuzz, test/mqtt/bad-input) throw
 * random bytes at the TCP listeners; this table keeps named cases, the WebSocket and HTTP ones
 * included, and after the whole corpus the broker must still serve and hold no connection.
 * Checked against RabbitMQ 3.10 where it answers at all; where Warren answers better, a comment says so.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import mqtt from "mqtt";
import { type RunningBroker, startBroker } from "warren";
import { RawConnection } from "../../conformance/amqp/raw/connection.js";
import { FrameReader } from "../../protocols/amqp/codec/frames.js";
import { decodeMethod } from "../../protocols/amqp/codec/methods.js";
import { RawStomp } from "../../conformance/stomp/raw-client.js";

const BOUND = 5000;

let broker: RunningBroker;
type Listener = "amqp" | "mqtt" | "stomp" | "webMqtt" | "webStomp" | "management";
let ports: Record<Listener, number>;

beforeAll(async () => {
  broker = await startBroker({
    amqp: { port: 0 },
    mqtt: { port: 0 },
    stomp: { port: 0 },
    webMqtt: { port: 0 },
    webStomp: { port: 0 },
    management: { port: 0 },
    logLevel: "silent",
  });
  const p = broker.ports;
  ports = { amqp: p.amqp!, mqtt: p.mqtt!, stomp: p.stomp!, webMqtt: p.webMqtt!, webStomp: p.webStomp!, management: p.management! };
}, 30_000);
afterAll(() => broker.close());

interface Answer {
  bytes: Buffer;
  closed: boolean;
}

/**
 * Writes `chunks` (then half-closes with `end`) and collects what comes back until the server
 * closes the socket, or until `enough` holds for what came so far; fails past BOUND.
 */
function exchange(port: number, chunks: Buffer[], opts: { end?: boolean; enough?: (bytes: Buffer) => boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(port, "127.0.0.1");
    let bytes = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${BOUND} ms; got ${JSON.stringify(bytes.toString("latin1").slice(0, 200))}`));
    }, BOUND);
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ bytes, closed });
    };
    s.on("error", () => undefined);
    s.on("data", (d: Buffer) => {
      bytes = Buffer.concat([bytes, d]);
      if (opts.enough?.(bytes)) done(false);
    });
    s.once("close", () => done(true));
    s.once("connect", () => {
      for (const c of chunks) s.write(c);
      if (opts.end) s.end();
    });
  });
}

// ---- AMQP ----

const AMQP_HEADER = Buffer.from("AMQP\x00\x00\x09\x01", "latin1");
const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const u32 = (n: number) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const amqpFrame = (type: number, channel: number, payload: Buffer, end = 0xce, size = payload.length) =>
  Buffer.concat([Buffer.from([type]), u16(channel), u32(size), payload, Buffer.from([end])]);

/** The connection.close / channel.close codes in what the server sent. */
function amqpCloses(bytes: Buffer): { connection: number[]; channel: number[] } {
  const out = { connection: [] as number[], channel: [] as number[] };
  const reader = new FrameReader(1 << 20);
  reader.push(bytes);
  try {
    for (let f = reader.next(); f !== null; f = reader.next()) {
      if (f.type !== 1) continue;
      const m = decodeMethod(f.payload, 0, f.payload.length);
      if (m.kind === "connection.close") out.connection.push(m.replyCode);
      if (m.kind === "channel.close") out.channel.push(m.replyCode);
    }
  } catch {
    // a partial tail at close is fine
  }
  return out;
}

/** After a full handshake (and channel 1 open), sends `bad`; answers with the connection.close code. */
async function amqpAfterLogin(bad: Buffer): Promise<number> {
  const raw = await RawConnection.connect(`amqp://guest:guest@127.0.0.1:${ports.amqp}/`);
  try {
    await raw.openChannel(1);
    raw.write(bad);
    // the server says connection.close and waits for close-ok, as RabbitMQ does
    return (await raw.expectConnectionClose(BOUND)).replyCode;
  } finally {
    raw.socket.destroy();
  }
}

// ---- MQTT ----

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
/** CONNECT 3.1.1, clean session, keep-alive 0, client id "x". */
const MQTT_CONNECT = hex("10 0d 0004 4d515454 04 02 0000 0001 78");
const CONNACK_OK = hex("20 02 00 00");

// ---- STOMP ----

const stomp = (s: string) => Buffer.from(s, "latin1");
const STOMP_CONNECT = stomp("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
/** The command and headers of every frame in `bytes`. */
const stompFrames = (bytes: Buffer) =>
  bytes
    .toString("latin1")
    .split("\0")
    .map((f) => f.replace(/^\n+/, ""))
    .filter((f) => f.length > 0)
    .map((f) => {
      const [head] = f.split("\n\n");
      const [command, ...headers] = head!.split("\n");
      return { command, headers: Object.fromEntries(headers.map((h) => [h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1)])) };
    });
const hasStompError = (bytes: Buffer) => stompFrames(bytes).some((f) => f.command === "ERROR");

// ---- WebSocket ----

function upgrade(path: string, protocol: string, extra: Record<string, string> = {}): Buffer {
  const headers = {
    Host: "127.0.0.1",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Protocol": protocol,
    ...extra,
  };
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}\r\n`,
  );
}

/** A client WebSocket frame (FIN set), masked unless told otherwise. */
function wsFrame(opcode: number, payload: Buffer, masked = true): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | len])
      : Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | 126, len >> 8, len & 255]);
  if (!masked) return Buffer.concat([head, payload]);
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!))]);
}

const httpStatus = (bytes: Buffer) => Number(/^HTTP\/1\.1 (\d{3})/.exec(bytes.toString("latin1"))?.[1] ?? NaN);
const afterHttpHead = (bytes: Buffer) => {
  const i = bytes.indexOf("\r\n\r\n");
  return i < 0 ? Buffer.alloc(0) : bytes.subarray(i + 4);
};

/** The server's WebSocket frames after the 101 answer: opcode and payload (server frames are unmasked). */
function wsFrames(bytes: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let b = afterHttpHead(bytes);
  while (b.length >= 2) {
    let len = b[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      len = b.readUInt16BE(2);
      off = 4;
    }
    if (b.length < off + len) break;
    out.push({ opcode: b[0]! & 0x0f, payload: b.subarray(off, off + len) });
    b = b.subarray(off + len);
  }
  return out;
}
const wsCloseCode = (bytes: Buffer) => {
  const close = wsFrames(bytes).find((f) => f.opcode === 8);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
};

// ---- management HTTP ----

const AUTH = `Basic ${Buffer.from("guest:guest").toString("base64")}`;
function httpRequest(method: string, path: string, body?: string, headers: Record<string, string> = {}): Buffer {
  const h = {
    Host: "127.0.0.1",
    Authorization: AUTH,
    Connection: "close",
    ...(body !== undefined ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) } : {}),
    ...headers,
  };
  return Buffer.from(
    `${method} ${path} HTTP/1.1\r\n${Object.entries(h)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}\r\n${body ?? ""}`,
  );
}

interface Case {
  listener: Listener;
  name: string;
  run: () => Promise<void>;
}

const corpus: Case[] = [
  // AMQP
  {
    listener: "amqp",
    name: "an AMQP 0-10 protocol header: the server's header, then close",
    run: async () => {
      const a = await exchange(ports.amqp, [Buffer.from("AMQP\x01\x01\x00\x0a", "latin1")]);
      expect(a).toEqual({ bytes: AMQP_HEADER, closed: true });
    },
  },
  {
    listener: "amqp",
    name: "an HTTP request on the AMQP port: the server's header, then close",
    run: async () => {
      const a = await exchange(ports.amqp, [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]);
      expect(a).toEqual({ bytes: AMQP_HEADER, closed: true });
    },
  },
  {
    listener: "amqp",
    name: "a truncated protocol header and a half-close: closed without an answer",
    run: async () => {
      expect(await exchange(ports.amqp, [Buffer.from("AMQP\x00\x00", "latin1")], { end: true })).toEqual({
        bytes: Buffer.alloc(0),
        closed: true,
      });
    },
  },
  {
    // as RabbitMQ 3.10: connection.start, then the socket closes without a connection.close
    listener: "amqp",
    name: "a frame announcing 2 GiB before login: closed without a close method",
    run: async () => {
      const a = await exchange(ports.amqp, [AMQP_HEADER, amqpFrame(1, 0, Buffer.alloc(4), 0xce, 0x7fffffff)]);
      expect(a.closed).toBe(true);
      expect(a.bytes.subarray(0, 11)).toEqual(Buffer.concat([Buffer.from([1, 0, 0]), a.bytes.subarray(3, 7), u16(10), u16(10)]));
      expect(amqpCloses(a.bytes).connection).toEqual([]);
    },
  },
  {
    listener: "amqp",
    name: "a bad frame-end octet after login: 501 FRAME_ERROR",
    run: async () => {
      expect(await amqpAfterLogin(amqpFrame(1, 0, Buffer.concat([u16(10), u16(50)]), 0x00))).toBe(501);
    },
  },
  {
    listener: "amqp",
    name: "a method on a channel never opened: 504 CHANNEL_ERROR",
    run: async () => {
      // queue.declare on channel 7
      expect(await amqpAfterLogin(amqpFrame(1, 7, Buffer.concat([u16(50), u16(10), u16(0), Buffer.from([1, 0x71, 0]), u32(0)])))).toBe(504);
    },
  },
  {
    listener: "amqp",
    name: "a content header with no method before it: 505 UNEXPECTED_FRAME",
    run: async () => {
      expect(await amqpAfterLogin(amqpFrame(2, 1, Buffer.concat([u16(60), u16(0), u32(0), u32(3), u16(0)])))).toBe(505);
    },
  },
  {
    listener: "amqp",
    name: "an unknown frame type after login: 501 FRAME_ERROR",
    run: async () => {
      expect(await amqpAfterLogin(amqpFrame(9, 0, Buffer.alloc(0)))).toBe(501);
    },
  },
  // RabbitMQ 3.10 drops the socket without a word here; the spec's answer is 540
  {
    listener: "amqp",
    name: "a method frame with an unknown class: 540 NOT_IMPLEMENTED or 503 COMMAND_INVALID",
    run: async () => {
      expect(await amqpAfterLogin(amqpFrame(1, 0, Buffer.concat([u16(999), u16(1)])))).toBe(540);
    },
  },

  // MQTT
  {
    listener: "mqtt",
    name: "PUBLISH before CONNECT: closed without an answer",
    run: async () => {
      expect(await exchange(ports.mqtt, [hex("30 05 0001 61 6869")])).toEqual({ bytes: Buffer.alloc(0), closed: true });
    },
  },
  {
    listener: "mqtt",
    name: "SUBSCRIBE before CONNECT: closed without an answer",
    run: async () => {
      expect(await exchange(ports.mqtt, [hex("82 06 0001 0001 61 00")])).toEqual({ bytes: Buffer.alloc(0), closed: true });
    },
  },
  // RabbitMQ 3.10 keeps this socket open without an answer; Warren refuses past its pre-login limit
  {
    listener: "mqtt",
    name: "a CONNECT announcing 256 MiB: closed without an answer, before the body",
    run: async () => {
      expect(await exchange(ports.mqtt, [hex("10 ff ff ff 7f 00")])).toEqual({ bytes: Buffer.alloc(0), closed: true });
    },
  },
  // RabbitMQ 3.10 neither answers nor closes this one (nor the reserved flag and packet type 0 below); the spec says close
  {
    listener: "mqtt",
    name: "a remaining length of five varint bytes: closed without an answer",
    run: async () => {
      expect(await exchange(ports.mqtt, [hex("10 ff ff ff ff 7f")])).toEqual({ bytes: Buffer.alloc(0), closed: true });
    },
  },
  {
    listener: "mqtt",
    name: "a truncated CONNECT and a half-close: closed without an answer",
    run: async () => {
      expect(await exchange(ports.mqtt, [MQTT_CONNECT.subarray(0, 8)], { end: true })).toEqual({ bytes: Buffer.alloc(0), closed: true });
    },
  },
  {
    listener: "mqtt",
    name: "a CONNECT with the reserved flag set: closed without an answer",
    run: async () => {
      expect(await exchange(ports.mqtt, [hex("10 0d 0004 4d515454 04 03 0000 0001 78")])).toEqual({ bytes: Buffer.alloc(0), closed: true });
    },
  },
  {
    // RabbitMQ 3.10 takes the bytes as they are (CONNACK 0); Warren's names are strings, so it
    // refuses the id as 3.1.1 allows (CONNACK 0x02) rather than map it to U+FFFD and collide
    listener: "mqtt",
    name: "a CONNECT whose client id is not UTF-8: CONNACK 0x02, then close",
    run: async () => {
      expect(await exchange(ports.mqtt, [hex("10 0e 0004 4d515454 04 02 0000 0002 c328")])).toEqual({
        bytes: hex("20 02 00 02"),
        closed: true,
      });
    },
  },
  {
    // RabbitMQ 3.10 closes without a CONNACK (docs/compatibility.md: differs, as [MQTT-3.1.2-2] asks)
    listener: "mqtt",
    name: "a CONNECT whose protocol name is unknown: CONNACK 0x01, then close",
    run: async () => {
      expect(await exchange(ports.mqtt, [hex("10 0d 0004 58585858 04 02 0000 0001 78")])).toEqual({
        bytes: hex("20 02 00 01"),
        closed: true,
      });
    },
  },
  {
    listener: "mqtt",
    name: "SUBSCRIBE asking QoS 3 after CONNECT: closed after the CONNACK",
    run: async () => {
      expect(await exchange(ports.mqtt, [MQTT_CONNECT, hex("82 06 0001 0001 61 03")])).toEqual({ bytes: CONNACK_OK, closed: true });
    },
  },
  {
    listener: "mqtt",
    name: "a reserved packet type 0 after CONNECT: closed after the CONNACK",
    run: async () => {
      expect(await exchange(ports.mqtt, [MQTT_CONNECT, hex("00 00")])).toEqual({ bytes: CONNACK_OK, closed: true });
    },
  },

  // STOMP
  {
    listener: "stomp",
    name: "a CONNECT without its NUL and a half-close: closed",
    run: async () => {
      const a = await exchange(ports.stomp, [stomp("CONNECT\naccept-version:1.2\nhost:/\n\n")], { end: true });
      expect(a.closed).toBe(true);
    },
  },
  // RabbitMQ 3.10 buffers it (issue 21, item 2); Warren refuses past its pre-login limit
  {
    listener: "stomp",
    name: "a NUL-less CONNECT past the pre-login frame limit: ERROR, then close",
    run: async () => {
      const a = await exchange(ports.stomp, [stomp("CONNECT\naccept-version:1.2\nhost:/\n\n"), Buffer.alloc(256 * 1024, "a")]);
      expect(a.closed).toBe(true);
      expect(hasStompError(a.bytes)).toBe(true);
    },
  },
  {
    // as RabbitMQ 3.10: "Illegal command" and the socket stays open until the login timeout
    listener: "stomp",
    name: 'an unknown command before CONNECT: ERROR "Illegal command"',
    run: async () => {
      const a = await exchange(ports.stomp, [stomp("HELLO\n\n\0")], { enough: hasStompError });
      expect(stompFrames(a.bytes)).toEqual([{ command: "ERROR", headers: expect.objectContaining({ message: "Illegal command" }) }]);
    },
  },
  {
    listener: "stomp",
    name: 'SEND before CONNECT: ERROR "Illegal command"',
    run: async () => {
      const a = await exchange(ports.stomp, [stomp("SEND\ndestination:/queue/x\n\nhi\0")], { enough: hasStompError });
      expect(stompFrames(a.bytes)).toEqual([{ command: "ERROR", headers: expect.objectContaining({ message: "Illegal command" }) }]);
    },
  },
  {
    listener: "stomp",
    name: "a header name that is not UTF-8: taken, RECEIPT (as RabbitMQ 3.10)",
    run: async () => {
      const a = await exchange(
        ports.stomp,
        [STOMP_CONNECT, stomp("SEND\ndestination:/queue/corpus-utf8\nreceipt:r1\n"), Buffer.from([0xff, 0xfe]), stomp(":v\n\nhi\0")],
        {
          enough: (b) => stompFrames(b).some((f) => f.command === "RECEIPT" || f.command === "ERROR"),
        },
      );
      expect(stompFrames(a.bytes)).toEqual([
        expect.objectContaining({ command: "CONNECTED" }),
        { command: "RECEIPT", headers: { "receipt-id": "r1" } },
      ]);
    },
  },
  // RabbitMQ 3.10 neither answers nor closes; Warren refuses from the header, before the body
  {
    listener: "stomp",
    name: "a content-length of 99,999,999,999: ERROR, then close",
    run: async () => {
      const a = await exchange(ports.stomp, [STOMP_CONNECT, stomp("SEND\ndestination:/queue/x\ncontent-length:99999999999\n\nhi\0")]);
      expect(a.closed).toBe(true);
      expect(stompFrames(a.bytes).map((f) => f.command)).toEqual(["CONNECTED", "ERROR"]);
    },
  },
  // RabbitMQ 3.10 closes these three without an ERROR frame; Warren tells the client why
  {
    listener: "stomp",
    name: "a header line without a colon: ERROR, then close",
    run: async () => {
      const a = await exchange(ports.stomp, [STOMP_CONNECT, stomp("SEND\ndestination:/queue/x\nnocolon\n\nhi\0")]);
      expect(a.closed).toBe(true);
      expect(stompFrames(a.bytes).map((f) => f.command)).toEqual(["CONNECTED", "ERROR"]);
    },
  },
  {
    listener: "stomp",
    name: "an undefined header escape in STOMP 1.2: ERROR, then close",
    run: async () => {
      const a = await exchange(ports.stomp, [STOMP_CONNECT, stomp("SEND\ndestination:/queue/x\nbad:a\\tb\n\nhi\0")]);
      expect(a.closed).toBe(true);
      expect(stompFrames(a.bytes).map((f) => f.command)).toEqual(["CONNECTED", "ERROR"]);
    },
  },
  {
    listener: "stomp",
    name: "a content-length past the frame's NUL: ERROR, then close",
    run: async () => {
      const a = await exchange(ports.stomp, [STOMP_CONNECT, stomp("SEND\ndestination:/queue/x\ncontent-length:2\n\nhello\0")]);
      expect(a.closed).toBe(true);
      expect(stompFrames(a.bytes).map((f) => f.command)).toEqual(["CONNECTED", "ERROR"]);
    },
  },

  // Web MQTT
  {
    listener: "webMqtt",
    name: "a plain GET with no upgrade: 426",
    run: async () => {
      const a = await exchange(ports.webMqtt, [httpRequest("GET", "/ws")]);
      expect(httpStatus(a.bytes)).toBe(426);
    },
  },
  {
    listener: "webMqtt",
    name: "bytes that are not HTTP: 400, then close",
    run: async () => {
      const a = await exchange(ports.webMqtt, [Buffer.from("\x10\x0d\x00\x04MQTT\x04\x02\x00\x00\x00\x01x\r\n\r\n", "latin1")]);
      expect(httpStatus(a.bytes)).toBe(400);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webMqtt",
    name: "an upgrade with an unsupported WebSocket version: 400",
    run: async () => {
      const a = await exchange(ports.webMqtt, [upgrade("/ws", "mqtt", { "Sec-WebSocket-Version": "99" })]);
      expect(httpStatus(a.bytes)).toBe(400);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webMqtt",
    name: "an upgrade on another path: 400",
    run: async () => {
      const a = await exchange(ports.webMqtt, [upgrade("/nope", "mqtt")]);
      expect(httpStatus(a.bytes)).toBe(400);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webMqtt",
    name: "an unmasked client frame: WebSocket close 1002",
    run: async () => {
      const a = await exchange(ports.webMqtt, [upgrade("/ws", "mqtt"), wsFrame(2, MQTT_CONNECT, false)]);
      expect(httpStatus(a.bytes)).toBe(101);
      expect(wsCloseCode(a.bytes)).toBe(1002);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webMqtt",
    name: "a WebSocket frame announcing 1 MiB before CONNECT: WebSocket close 1009",
    run: async () => {
      const head = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4]);
      const a = await exchange(ports.webMqtt, [upgrade("/ws", "mqtt"), head]);
      expect(httpStatus(a.bytes)).toBe(101);
      expect(wsCloseCode(a.bytes)).toBe(1009);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webMqtt",
    name: "PUBLISH before CONNECT in a WebSocket frame: closed without an MQTT answer",
    run: async () => {
      const a = await exchange(ports.webMqtt, [upgrade("/ws", "mqtt"), wsFrame(2, hex("30 05 0001 61 6869"))]);
      expect(httpStatus(a.bytes)).toBe(101);
      expect(wsFrames(a.bytes).filter((f) => f.opcode === 2)).toEqual([]);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webMqtt",
    name: "an invalid remaining length in a WebSocket frame: closed without an MQTT answer",
    run: async () => {
      const a = await exchange(ports.webMqtt, [upgrade("/ws", "mqtt"), wsFrame(2, hex("10 ff ff ff ff 7f"))]);
      expect(httpStatus(a.bytes)).toBe(101);
      expect(wsFrames(a.bytes).filter((f) => f.opcode === 2)).toEqual([]);
      expect(a.closed).toBe(true);
    },
  },

  // Web STOMP
  {
    listener: "webStomp",
    name: "bytes that are not HTTP: 400, then close",
    run: async () => {
      const a = await exchange(ports.webStomp, [stomp("CONNECT\naccept-version:1.2\n\n\0\r\n\r\n")]);
      expect(httpStatus(a.bytes)).toBe(400);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webStomp",
    name: "an upgrade without a Sec-WebSocket-Key: 400",
    run: async () => {
      const a = await exchange(ports.webStomp, [
        Buffer.from(
          upgrade("/ws", "v12.stomp")
            .toString()
            .replace(/Sec-WebSocket-Key: .*\r\n/, ""),
        ),
      ]);
      expect(httpStatus(a.bytes)).toBe(400);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webStomp",
    name: "a text frame that is not UTF-8: WebSocket close 1007",
    run: async () => {
      const a = await exchange(ports.webStomp, [
        upgrade("/ws", "v12.stomp"),
        wsFrame(1, Buffer.from([0x43, 0xff, 0xfe, 0x0a, 0x0a, 0x00])),
      ]);
      expect(httpStatus(a.bytes)).toBe(101);
      expect(wsCloseCode(a.bytes)).toBe(1007);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "webStomp",
    name: 'an unknown command before CONNECT in a WebSocket frame: ERROR "Illegal command"',
    run: async () => {
      const stompMessages = (bytes: Buffer) =>
        wsFrames(bytes)
          .filter((f) => f.opcode === 1 || f.opcode === 2)
          .map((f) => f.payload);
      const a = await exchange(ports.webStomp, [upgrade("/ws", "v12.stomp"), wsFrame(1, stomp("HELLO\n\n\0"))], {
        enough: (b) => stompMessages(b).some(hasStompError),
      });
      expect(httpStatus(a.bytes)).toBe(101);
      expect(stompMessages(a.bytes).flatMap(stompFrames)).toEqual([
        { command: "ERROR", headers: expect.objectContaining({ message: "Illegal command" }) },
      ]);
    },
  },

  // management HTTP
  {
    listener: "management",
    name: "a request line that is not HTTP: 400, then close",
    run: async () => {
      const a = await exchange(ports.management, [Buffer.from("HELLO THERE\r\n\r\n")]);
      expect(httpStatus(a.bytes)).toBe(400);
      expect(a.closed).toBe(true);
    },
  },
  {
    listener: "management",
    name: "a body that is not JSON: 400",
    run: async () => {
      const a = await exchange(ports.management, [httpRequest("PUT", "/api/queues/%2F/corpus-q", '{"durable": tru')]);
      expect(httpStatus(a.bytes)).toBe(400);
    },
  },
  // RabbitMQ 3.10 answers 500 to this one (issue 21, item 10)
  {
    listener: "management",
    name: "a body of the wrong types: 400",
    run: async () => {
      const a = await exchange(ports.management, [
        httpRequest("PUT", "/api/users/corpus-user", JSON.stringify({ password: 123, tags: {} })),
      ]);
      expect(httpStatus(a.bytes)).toBe(400);
    },
  },
  {
    listener: "management",
    name: "a body that is JSON but not an object: 400",
    run: async () => {
      const a = await exchange(ports.management, [httpRequest("PUT", "/api/vhosts/corpus-vhost", "[1,2,3]")]);
      expect(httpStatus(a.bytes)).toBe(400);
    },
  },
  {
    listener: "management",
    name: "a path with a broken percent-escape: 400",
    run: async () => {
      const a = await exchange(ports.management, [httpRequest("GET", "/api/queues/%E0%A4%A/q")]);
      expect(httpStatus(a.bytes)).toBe(400);
    },
  },
  {
    listener: "management",
    name: "a body shorter than its Content-Length, then a half-close: closed",
    run: async () => {
      const req = httpRequest("PUT", "/api/vhosts/corpus-short", "{}", { "Content-Length": "100" });
      const a = await exchange(ports.management, [req], { end: true });
      expect(a.closed).toBe(true);
    },
  },
];

describe("the malformed-input corpus", () => {
  for (const c of corpus) {
    it(`${c.listener}: ${c.name}`, c.run);
  }

  it("leaves the broker serving every protocol, with no connection left behind", async () => {
    for (let end = Date.now() + BOUND; broker.connectionCount() > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    expect(broker.connectionCount()).toBe(0);

    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${ports.amqp}`);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue("", { exclusive: true });
    ch.sendToQueue(queue, Buffer.from("after the corpus"));
    const got = await new Promise<string>((resolve) => void ch.consume(queue, (m) => resolve(m!.content.toString()), { noAck: true }));
    expect(got).toBe("after the corpus");
    await conn.close();

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 0 });
    const message = new Promise<string>((resolve) => client.on("message", (_t, p) => resolve(p.toString())));
    await client.subscribeAsync("corpus/t", { qos: 1 });
    await client.publishAsync("corpus/t", "mqtt after the corpus", { qos: 1 });
    expect(await message).toBe("mqtt after the corpus");
    await client.endAsync();

    const { c: s, connected } = await RawStomp.connected(ports.stomp);
    expect(connected.command).toBe("CONNECTED");
    s.socket.destroy();

    for (let end = Date.now() + BOUND; broker.connectionCount() > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    expect(broker.connectionCount()).toBe(0);
  });
});
