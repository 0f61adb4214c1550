// @stomp/stompjs scenarios, written once and run over any transport: stompjs talks to an
// IStompSocket, normally a WebSocket; TcpStompSocket adapts a plain TCP socket to it, as Node
// services using stompjs against port 61613 do.
import { describe, expect, it } from "vitest";
import { Client, type IMessage, type IStompSocket, StompSocketState } from "@stomp/stompjs";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/** A TCP connection behind stompjs's WebSocket-shaped socket interface. */
export class TcpStompSocket implements IStompSocket {
  readonly url: string;
  binaryType = "arraybuffer";
  readyState: number = StompSocketState.CONNECTING;
  onclose: ((ev?: unknown) => unknown) | null = null;
  onerror: ((ev: unknown) => unknown) | null = null;
  onmessage: ((ev: { data: ArrayBuffer }) => unknown) | null = null;
  onopen: ((ev?: unknown) => unknown) | null = null;
  private readonly socket: Socket;

  constructor(host: string, port: number) {
    this.url = `tcp://${host}:${port}`;
    this.socket = connect(port, host, () => {
      this.readyState = StompSocketState.OPEN;
      this.onopen?.();
    });
    // TCP has no message boundaries: stompjs's parser is incremental, so chunks go in as they come
    this.socket.on("data", (b: Buffer) => {
      this.onmessage?.({ data: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer });
    });
    this.socket.on("error", (e) => this.onerror?.(e));
    this.socket.on("close", () => {
      this.readyState = StompSocketState.CLOSED;
      this.onclose?.({ code: 1000, reason: "", wasClean: true });
    });
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (typeof data === "string") this.socket.write(data);
    else if (ArrayBuffer.isView(data)) this.socket.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else if (data instanceof ArrayBuffer) this.socket.write(Buffer.from(data));
    else throw new Error("TcpStompSocket: Blob bodies are not supported");
  }

  close(): void {
    this.readyState = StompSocketState.CLOSING;
    this.socket.end();
  }
}

export type StompSocketFactory = () => IStompSocket;

/** A connected stompjs client; resolves with the CONNECTED frame's headers. */
export function connectStompJs(factory: StompSocketFactory): Promise<{ client: Client; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const client = new Client({
      webSocketFactory: factory,
      connectHeaders: { login: "guest", passcode: "guest", host: "/" },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
    });
    client.onConnect = (frame) => resolve({ client, headers: frame.headers });
    client.onStompError = (frame) => reject(new Error(frame.headers["message"]));
    client.onWebSocketError = () => reject(new Error("socket error"));
    client.activate();
  });
}

/** Messages as they arrive, taken in order with a bounded wait. */
export function inbox() {
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
        if (Date.now() > deadline) throw new Error(`timed out: ${got.length}/${n} messages`);
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
export function receipt(client: Client, send: (receipt: string) => void): Promise<void> {
  const id = `r-${randomBytes(4).toString("hex")}`;
  const p = new Promise<void>((resolve) => client.watchForReceipt(id, () => resolve()));
  send(id);
  return p;
}

/**
 * The stompjs scenarios over one transport; they hold on RabbitMQ 3.10's STOMP plugin and on
 * Warren. `unique` makes names per run, so a shared broker starts clean.
 */
export function stompJsScenarios(transport: string, factory: () => StompSocketFactory): void {
  const unique = (s: string) => `sjs-${s}-${randomBytes(4).toString("hex")}`;

  describe(`@stomp/stompjs over ${transport}`, () => {
    it("negotiates STOMP 1.2 and names the server and session", async () => {
      const { client, headers } = await connectStompJs(factory());
      expect(headers["version"]).toBe("1.2");
      expect(headers["server"]).toBeTruthy();
      expect(headers["session"]).toBeTruthy();
      await client.deactivate();
    });

    it("a /queue/ round trip with client-individual ack: binary body with NULs and headers intact, acked for good", async () => {
      const q = `/queue/${unique("q")}`;
      const { client } = await connectStompJs(factory());
      const box = inbox();
      await receipt(client, (r) => client.subscribe(q, box.on, { ack: "client-individual", receipt: r }));
      const bytes = new Uint8Array([0, 255, 0, 10, 13, 0]);
      client.publish({ destination: q, binaryBody: bytes, headers: { "content-type": "application/octet-stream", "x-trace": "t1" } });
      const [m] = await box.take(1);
      expect([...m!.binaryBody]).toEqual([...bytes]);
      expect(m!.headers["content-type"]).toBe("application/octet-stream");
      expect(m!.headers["x-trace"]).toBe("t1");
      expect(m!.headers["destination"]).toBe(q);
      m!.ack();
      await receipt(client, (r) => client.publish({ destination: `/queue/${unique("other")}`, body: "x", headers: { receipt: r } }));
      await client.deactivate();
      // acked: a new subscriber sees only what is sent after
      const { client: again } = await connectStompJs(factory());
      const box2 = inbox();
      await receipt(again, (r) => again.subscribe(q, box2.on, { receipt: r }));
      again.publish({ destination: q, body: "after" });
      expect((await box2.take(1))[0]!.body).toBe("after");
      await again.deactivate();
    });

    it("NACK puts the message back: it comes again, redelivered", async () => {
      const q = `/queue/${unique("nack")}`;
      const { client } = await connectStompJs(factory());
      const box = inbox();
      await receipt(client, (r) => client.subscribe(q, box.on, { ack: "client-individual", receipt: r }));
      client.publish({ destination: q, body: "again" });
      const [m] = await box.take(1);
      expect(m!.headers["redelivered"]).toBe("false");
      m!.nack();
      const [m2] = await box.take(1);
      expect(m2!.body).toBe("again");
      expect(m2!.headers["redelivered"]).toBe("true");
      m2!.ack();
      await client.deactivate();
    });

    it("/topic/ fans out to every subscriber, a `*` wildcard included", async () => {
      const k = unique("t").replace(/-/g, "");
      const { client: a } = await connectStompJs(factory());
      const { client: b } = await connectStompJs(factory());
      const ia = inbox();
      const ib = inbox();
      await receipt(a, (r) => a.subscribe(`/topic/${k}.eu`, ia.on, { receipt: r }));
      await receipt(b, (r) => b.subscribe(`/topic/${k}.*`, ib.on, { receipt: r }));
      a.publish({ destination: `/topic/${k}.eu`, body: "fan" });
      expect((await ia.take(1))[0]!.body).toBe("fan");
      const [mb] = await ib.take(1);
      expect(mb!.body).toBe("fan");
      expect(mb!.headers["destination"]).toBe(`/topic/${k}.eu`);
      await a.deactivate();
      await b.deactivate();
    });

    it("transactions: an aborted SEND never arrives, a committed one does", async () => {
      const q = `/queue/${unique("tx")}`;
      const { client } = await connectStompJs(factory());
      const box = inbox();
      await receipt(client, (r) => client.subscribe(q, box.on, { receipt: r }));
      const t1 = client.begin();
      client.publish({ destination: q, body: "dropped", headers: { transaction: t1.id } });
      t1.abort();
      const t2 = client.begin();
      client.publish({ destination: q, body: "kept", headers: { transaction: t2.id } });
      t2.commit();
      client.publish({ destination: q, body: "marker" });
      expect((await box.take(2)).map((m) => m.body)).toEqual(["kept", "marker"]);
      await client.deactivate();
    });
  });
}
