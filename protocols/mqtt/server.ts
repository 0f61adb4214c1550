/**
 * The MQTT front-end's listeners (TCP, TLS; websocket.ts adds WebSocket) and the wiring of what
 * their connections share: the session registry, retained messages, the keep-alive sweeper, the
 * state file. It is the connections' `MqttContext`; the packet handlers never see more of it.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { BrokerError, type Broker, type ClientRef } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { listenOn } from "../../src/transport/listen.js";
import { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { createTlsServer, type TlsServerOptions } from "../../src/transport/tls.js";
import { lazyModule, whenLoaded } from "../../src/transport/lazy-module.js";
import type { MqttContext, ServerConnection } from "./context.js";
import { DEFAULT_MQTT_OPTIONS, type MqttOptions } from "./options.js";
import { RetainedStore } from "./retained.js";
import { SessionRegistry } from "./session-registry.js";
import { type MqttState, MqttStateFile } from "./state-file.js";

export { DEFAULT_MQTT_OPTIONS, type MqttOptions } from "./options.js";
export { NEVER } from "./session.js";

/** The packet codec (mqtt-packet and the streams it brings) and the handlers: imported at the first client's accept. */
const connectionCode = lazyModule(() => import("./connection.js"));

export class MqttServer implements MqttContext {
  private server: Server | null = null;
  private tlsServer: Server | null = null;
  private readonly connections = new Set<ServerConnection>();
  /** Sessions by vhost and client id, takeover, pending wills, session expiry. */
  readonly sessions: SessionRegistry;
  readonly retained = new RetainedStore();
  readonly options: MqttOptions;
  private readonly stateFile: MqttStateFile | null = null;
  private readonly deadlines: HandshakeDeadlines[] = [];
  /** The publisher of messages recovered from the state file. */
  private readonly restoredPublisher: ClientRef;
  private closing = false;

  constructor(
    readonly broker: Broker,
    readonly log: Logger,
    options: Partial<MqttOptions> = {},
  ) {
    this.options = { ...DEFAULT_MQTT_OPTIONS, ...options };
    this.sessions = new SessionRegistry(broker.clock, this.retained, () => this.changed());
    this.restoredPublisher = broker.newClient();
    if (this.options.stateDir !== undefined) {
      const file = new MqttStateFile(this.options.stateDir, () => this.snapshot(), log, this.options.onStateWritten);
      this.restore(file.load());
      this.stateFile = file;
      this.retained.onChange = () => file.changed();
    }
  }

  /** Retained messages and persistent sessions changed: the state file is written soon. */
  changed(): void {
    this.stateFile?.changed();
  }

  private snapshot(): MqttState {
    return { retained: this.retained.saved(this.broker.clock.now()), sessions: this.sessions.saved() };
  }

  /** What an earlier run saved: retained messages back in place, sessions waiting for their clients. */
  private restore(state: MqttState): void {
    const vhostExists = (name: string): boolean => !(this.broker.vhost(name) instanceof BrokerError);
    this.retained.restore(state.retained, vhostExists, this.restoredPublisher);
    this.sessions.restore(state.sessions, this.broker);
  }

  /**
   * Takes a byte stream that speaks MQTT: a TCP socket, or a WebSocket's stream with the TCP
   * socket under it (its addresses are the peer's).
   */
  accept(stream: Duplex, socket: Socket, webSocket = false, handshake: HandshakeDeadlines | null = null): void {
    whenLoaded(
      connectionCode,
      stream,
      ({ MqttConnection }) => this.connections.add(new MqttConnection(stream, socket, webSocket, this, handshake)),
      this.log,
      "MQTT",
      () => !this.closing,
    );
  }

  /** Login deadlines of one listener ("mqtt", "mqtt/ssl", "web-mqtt"). */
  handshakeDeadlines(protocol: string, settled?: (socket: Socket) => void): HandshakeDeadlines {
    const d = new HandshakeDeadlines(this.options.loginTimeout, protocol, this.broker.connections, this.log, settled);
    this.deadlines.push(d);
    return d;
  }

  connectionClosed(conn: ServerConnection): void {
    this.connections.delete(conn);
  }

  /** Binds the TCP port; resolves with the port actually bound (useful with port 0). */
  listen(port: number, host?: string): Promise<number> {
    const handshake = this.handshakeDeadlines("mqtt");
    const server = createServer((socket: Socket) => {
      socket.setNoDelay(true);
      handshake.track(socket);
      this.accept(socket, socket, false, handshake);
    });
    this.server = server;
    return listenOn(server, port, host, this.log);
  }

  /** MQTT over TLS (RabbitMQ's 8883), sharing sessions and retained messages with the plain listener. */
  listenTls(port: number, host: string | undefined, tls: TlsServerOptions): Promise<number> {
    const handshake = this.handshakeDeadlines("mqtt/ssl");
    const server = createTlsServer(
      tls,
      (socket) => {
        socket.setNoDelay(true);
        handshake.track(socket);
        this.accept(socket, socket, false, handshake);
      },
      () => this.broker.connections.handshakeTimedOut("mqtt/ssl"),
    );
    this.tlsServer = server;
    return listenOn(server, port, host, this.log);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting, tells v5 clients the server is shutting down (0x8B) or, when a cluster leader
   * hands over, to use another server (0x9C), then drops what is left.
   */
  async close(handover = false): Promise<void> {
    this.closing = true;
    const closed = Promise.all(
      [this.server, this.tlsServer].map((server) =>
        server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve(),
      ),
    );
    for (const c of [...this.connections]) c.serverShutdown(handover);
    // a moment for the DISCONNECTs to leave before the sockets go
    await new Promise((r) => setTimeout(r, this.connections.size > 0 ? 50 : 0));
    for (const d of this.deadlines) d.stop();
    this.sessions.close();
    this.stateFile?.save();
    for (const c of [...this.connections]) c.destroy();
    await closed;
  }
}
