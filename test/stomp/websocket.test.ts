import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, type IMessage } from "@stomp/stompjs";
import WebSocket from "ws";
import { type RunningBroker, startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { stompJsScenarios, TcpStompSocket } from "../../conformance/stomp/stompjs.js";

let broker: RunningBroker;
let url: string;

beforeAll(async () => {
  broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: { port: 0 }, logLevel: "silent" });
  url = `ws://127.0.0.1:${broker.ports.webStomp}/ws`;
});
afterAll(() => broker.close());

/** A connected stompjs client over WebSocket, as a web page would use it. */
function connectStompJs(protocols = ["v12.stomp", "v11.stomp", "v10.stomp"]): Promise<{ client: Client; version: string }> {
  return new Promise((resolve, reject) => {
    const client = new Client({
      webSocketFactory: () => new WebSocket(url, protocols),
      connectHeaders: { login: "guest", passcode: "guest" },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
    });
    client.onConnect = (frame) => resolve({ client, version: frame.headers["version"] ?? "" });
    client.onStompError = (frame) => reject(new Error(frame.headers["message"]));
    client.onWebSocketError = () => reject(new Error("websocket error"));
    client.activate();
  });
}

function inbox() {
  const got: IMessage[] = [];
  let wake: (() => void) | null = null;
  return {
    on: (m: IMessage) => {
      got.push(m);
      wake?.();
    },
    async take(n: number): Promise<IMessage[]> {
      const deadline = Date.now() + 5000;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out: ${got.length}/${n}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
      return got.splice(0, n);
    },
  };
}

/** Resolves once the broker has processed everything this client sent before (its receipt). */
function receipt(client: Client, send: (receipt: string) => void): Promise<void> {
  const id = `r-${Math.random()}`;
  const p = new Promise<void>((resolve) => client.watchForReceipt(id, () => resolve()));
  send(id);
  return p;
}

async function countReaches(n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (broker.connectionCount() !== n) {
    if (Date.now() > deadline) throw new Error(`connection count stuck at ${broker.connectionCount()}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("STOMP over WebSocket with @stomp/stompjs", () => {
  it("accepts each web-stomp subprotocol on /ws and speaks STOMP over it", async () => {
    for (const proto of ["v12.stomp", "v11.stomp", "v10.stomp"]) {
      const ws = new WebSocket(url, [proto]);
      await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
      expect(ws.protocol).toBe(proto);
      const reply = new Promise<string>((resolve) => ws.once("message", (d: Buffer) => resolve(d.toString())));
      ws.send("CONNECT\naccept-version:1.1\nlogin:guest\npasscode:guest\n\n\0");
      expect(await reply).toMatch(/^CONNECTED\n(.*\n)*version:1\.1\n/);
      ws.close();
    }
  });

  it("answers a bad frame over WebSocket with ERROR and closes the WebSocket", async () => {
    const ws = new WebSocket(url, ["v12.stomp"]);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const messages: string[] = [];
    ws.on("message", (d: Buffer) => messages.push(d.toString()));
    const closed = new Promise<number>((resolve) => ws.once("close", (code: number) => resolve(code)));
    ws.send("CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n\0");
    ws.send("SEND\ndestination:/queue/x\nbad:\\t\n\nbody\0");
    expect(await closed).toBe(1000);
    expect(messages[0]).toMatch(/^CONNECTED\n/);
    expect(messages[1]).toMatch(/^ERROR\nmessage:Invalid frame\n/);
  });

  it("sends heart-beats over WebSocket", async () => {
    const ws = new WebSocket(url, ["v12.stomp"]);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const beats = new Promise<void>((resolve) => {
      let n = 0;
      ws.on("message", (d: Buffer) => {
        if (d.toString() === "\n" && ++n === 2) resolve();
      });
    });
    ws.send("CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\nheart-beat:0,1000\n\n\0");
    await beats;
    ws.close();
  }, 10_000);

  it("negotiates STOMP 1.2 with stompjs", async () => {
    const { client, version } = await connectStompJs();
    expect(version).toBe("1.2");
    await client.deactivate();
  });

  it("topic fan-out with wildcards reaches WebSocket and TCP subscribers alike", async () => {
    const { client: a } = await connectStompJs();
    const { client: b } = await connectStompJs();
    const ia = inbox();
    const ib = inbox();
    await receipt(a, (r) => a.subscribe("/topic/ws.*.x", ia.on, { receipt: r }));
    await receipt(b, (r) => b.subscribe("/topic/ws.#", ib.on, { receipt: r }));
    const { c: tcp } = await RawStomp.connected(broker.ports.stomp!);
    tcp.send("SUBSCRIBE", { destination: "/topic/ws.>", id: "t", receipt: "r" });
    await tcp.next();
    a.publish({ destination: "/topic/ws.y.x", body: "hello web" });
    expect((await ia.take(1))[0]!.body).toBe("hello web");
    expect((await ib.take(1))[0]!.body).toBe("hello web");
    expect((await tcp.next()).body.toString()).toBe("hello web");
    tcp.close();
    await a.deactivate();
    await b.deactivate();
  });

  it("queue with client ack over WebSocket, binary body intact", async () => {
    const { client } = await connectStompJs();
    const box = inbox();
    await receipt(client, (r) => client.subscribe("/queue/ws-q", box.on, { ack: "client-individual", receipt: r }));
    const bytes = new Uint8Array([0, 255, 0, 1, 2]);
    client.publish({ destination: "/queue/ws-q", binaryBody: bytes, headers: { "content-type": "application/octet-stream" } });
    const [m] = await box.take(1);
    expect([...m!.binaryBody]).toEqual([...bytes]);
    m!.ack();
    await receipt(client, (r) => client.publish({ destination: "/queue/ws-other", body: "x", headers: { receipt: r } }));
    const v = broker.core.vhost("/") as { queues: Map<string, { unackedMessageCount: number }> };
    expect(v.queues.get("ws-q")!.unackedMessageCount).toBe(0);
    await client.deactivate();
  });

  it("counts WebSocket connections and releases them on close", async () => {
    // earlier tests' clients are gone once the broker has seen their sockets close
    await countReaches(0);
    const { client } = await connectStompJs();
    expect(broker.connectionCount()).toBe(1);
    await client.deactivate();
    await countReaches(0);
  });
});

// The stompjs conformance scenarios, over both transports a Warren serves them on.
stompJsScenarios("WebSocket", () => () => new WebSocket(url, ["v12.stomp", "v11.stomp", "v10.stomp"]));
stompJsScenarios("TCP (embedded Warren)", () => () => new TcpStompSocket("127.0.0.1", broker.ports.stomp!));
