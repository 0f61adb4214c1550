import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { DeferredHttpServer } from "../../src/transport/deferred-http.js";
import { LazyWebSocketServer } from "../../src/transport/lazy-websocket.js";
import { setMaxPayload, WS_MAX_PAYLOAD } from "../../src/transport/ws-payload.js";
import { MAX_PACKET_UNAUTHENTICATED } from "./options.js";
import { listenOn } from "../../src/transport/listen.js";
import type { MqttServer } from "./server.js";

/** RabbitMQ Web MQTT's defaults: path /ws, subprotocol "mqtt" (MQTT 3.1.1 §6, MQTT 5 §6). */
export const WEB_MQTT_PATH = "/ws";
const SUBPROTOCOLS = ["mqtt", "mqttv3.1"];
/** A fixed header: one byte and a remaining length of up to four. */
const PACKET_HEADER_MAX = 5;

/**
 * MQTT over WebSocket: each upgraded socket becomes a byte stream handed to the same MqttServer
 * the TCP listener feeds, so sessions, retained messages and takeover span both transports.
 */
export class WebMqttServer {
  private readonly http: DeferredHttpServer;
  private readonly wss: LazyWebSocketServer;

  constructor(
    private readonly mqtt: MqttServer,
    path = WEB_MQTT_PATH,
  ) {
    // node:http is loaded at the first connection
    this.http = new DeferredHttpServer((http) =>
      http.on("request", (_req, res) => {
        res.writeHead(426, { "content-type": "text/plain" }).end("MQTT over WebSocket only\n");
      }),
    );
    // the login deadline runs from the TCP accept: a socket that never upgrades is closed too;
    // logged in, a client's WebSocket messages may be as large as ws allows
    const sockets = new WeakMap<Socket, WebSocket>();
    const handshake = mqtt.handshakeDeadlines("web-mqtt", (socket) => {
      const ws = sockets.get(socket);
      if (ws !== undefined) setMaxPayload(ws, WS_MAX_PAYLOAD);
    });
    this.http.listener.on("connection", (socket: Socket) => handshake.track(socket));
    this.wss = new LazyWebSocketServer(
      this.http,
      {
        path,
        // MQTT packets may span WebSocket frames and vice versa; the parser reassembles them
        perMessageDeflate: false,
        handleProtocols: (offered) => {
          for (const p of SUBPROTOCOLS) if (offered.has(p)) return p;
          return false;
        },
      },
      (ws, req, { createWebSocketStream }) => {
        // before CONNECT a WebSocket message is at most the largest unauthenticated packet
        sockets.set(req.socket, ws);
        setMaxPayload(ws, MAX_PACKET_UNAUTHENTICATED + PACKET_HEADER_MAX);
        const stream = createWebSocketStream(ws);
        stream.on("error", () => stream.destroy());
        mqtt.accept(stream, req.socket, true, handshake);
      },
      mqtt.log,
    );
  }

  listen(port: number, host?: string): Promise<number> {
    return listenOn(this.http.listener, port, host, this.mqtt.log);
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await this.wss.close();
    await this.http.close();
  }
}
