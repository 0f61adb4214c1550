import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { DeferredHttpServer } from "../../src/transport/deferred-http.js";
import { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { LazyWebSocketServer } from "../../src/transport/lazy-websocket.js";
import { listenOn } from "../../src/transport/listen.js";
import { setMaxPayload, WS_MAX_PAYLOAD } from "../../src/transport/ws-payload.js";
import type { Amqp10Server } from "./server.js";

/**
 * Subprotocols taken, best first: `amqp` (the AMQP WebSocket binding, ActiveMQ's ws transport),
 * then the older names some clients still offer (`AMQPWSB10`, `binary`).
 */
const SUBPROTOCOLS = ["amqp", "AMQPWSB10", "binary"];
/** Before open a WebSocket message carries at most the headers and a few pre-open frames. */
const PRE_OPEN_PAYLOAD = 16 * 1024;

/**
 * AMQP 1.0 over WebSocket: each upgraded socket's binary messages are a byte stream (frames may
 * span messages and the other way round) handed to the same Amqp10Server, so a WebSocket
 * connection is an AMQP 1.0 connection like any other. Any path is taken, as ActiveMQ's ws
 * transport does.
 */
export class WebAmqp10Server {
  private readonly http: DeferredHttpServer;
  private readonly wss: LazyWebSocketServer;
  private readonly handshake: HandshakeDeadlines;

  constructor(private readonly amqp10: Amqp10Server) {
    // node:http is loaded at the first connection
    this.http = new DeferredHttpServer((http) =>
      http.on("request", (_req, res) => {
        res.writeHead(426, { "content-type": "text/plain" }).end("AMQP 1.0 over WebSocket only\n");
      }),
    );
    // the login deadline runs from the TCP accept; once open, messages may be as large as ws allows
    const sockets = new WeakMap<Socket, WebSocket>();
    this.handshake = new HandshakeDeadlines(
      amqp10.options.handshakeTimeoutMs,
      "web-amqp10",
      amqp10.broker.connections,
      amqp10.log,
      (socket) => {
        const ws = sockets.get(socket);
        if (ws !== undefined) setMaxPayload(ws, WS_MAX_PAYLOAD);
      },
    );
    this.http.listener.on("connection", (socket: Socket) => this.handshake.track(socket));
    this.wss = new LazyWebSocketServer(
      this.http,
      {
        perMessageDeflate: false,
        maxPayload: WS_MAX_PAYLOAD,
        handleProtocols: (offered) => {
          for (const p of SUBPROTOCOLS) if (offered.has(p)) return p;
          return false;
        },
      },
      (ws, req, { createWebSocketStream }) => {
        sockets.set(req.socket, ws);
        setMaxPayload(ws, PRE_OPEN_PAYLOAD);
        const stream = createWebSocketStream(ws);
        stream.on("error", () => stream.destroy());
        amqp10.acceptStream(stream, req.socket, this.handshake);
      },
      amqp10.log,
    );
  }

  listen(port: number, host?: string): Promise<number> {
    return listenOn(this.http.listener, port, host, this.amqp10.log);
  }

  async close(): Promise<void> {
    this.handshake.stop();
    for (const c of this.wss.clients) c.terminate();
    await this.wss.close();
    await this.http.close();
  }
}
