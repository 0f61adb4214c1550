import { createServer, type Server, type Socket } from "node:net";
import type { Broker } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { lazyModule, whenLoaded } from "../../src/transport/lazy-module.js";
import { listenOn } from "../../src/transport/listen.js";
import { createTlsServer, type TlsServerOptions } from "../../src/transport/tls.js";
import type { OpenWireConnection } from "./connection.js";
import { DEFAULT_OPENWIRE_OPTIONS, type OpenWireOptions } from "./options.js";

/** The codec's marshallers and the connection's handlers: imported at the first client's accept. */
const connectionCode = lazyModule(() => import("./connection.js"));

/**
 * Accepts OpenWire over TCP (ActiveMQ's port 61616) and, when asked, over TLS (ActiveMQ's ssl://
 * on 61617): one server for both, so clientIDs and temporary destinations are shared.
 */
export class OpenWireServer {
  private readonly server: Server;
  private tlsServer: Server | null = null;
  private tlsHandshake: HandshakeDeadlines | null = null;
  private readonly connections = new Set<OpenWireConnection>();
  /** Connections by JMS clientID in each vhost: a second one with the same id is refused. */
  readonly clientIds = new Map<string, OpenWireConnection>();
  readonly options: OpenWireOptions;
  private readonly handshake: HandshakeDeadlines;
  private closing = false;

  constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
    options: Partial<OpenWireOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPENWIRE_OPTIONS, defaultVhost: broker.defaultVhost, ...options };
    this.handshake = new HandshakeDeadlines(this.options.handshakeTimeoutMs, "openwire", broker.connections, log);
    this.server = createServer((socket: Socket) => this.accept(socket, this.handshake));
  }

  private accept(socket: Socket, handshake: HandshakeDeadlines): void {
    handshake.track(socket);
    whenLoaded(
      connectionCode,
      socket,
      ({ OpenWireConnection }) => this.connections.add(new OpenWireConnection(socket, this.broker, this, this.log, handshake)),
      this.log,
      "OpenWire",
      () => !this.closing,
    );
  }

  /** OpenWire over TLS (ActiveMQ's ssl:// transport, 61617), with the broker's TLS settings. */
  listenTls(port: number, host: string | undefined, tls: TlsServerOptions): Promise<number> {
    const handshake = new HandshakeDeadlines(this.options.handshakeTimeoutMs, "openwire/ssl", this.broker.connections, this.log);
    this.tlsHandshake = handshake;
    this.tlsServer = createTlsServer(
      tls,
      (socket) => this.accept(socket, handshake),
      () => this.broker.connections.handshakeTimedOut("openwire/ssl"),
    );
    return listenOn(this.tlsServer, port, host, this.log);
  }

  forget(c: OpenWireConnection): void {
    this.connections.delete(c);
  }

  listen(port: number, host?: string): Promise<number> {
    return listenOn(this.server, port, host, this.log);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting and closes every connection (ConnectionError, then the socket). */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const tls = this.tlsServer;
    const tlsClosed = tls === null ? null : new Promise<void>((resolve) => tls.close(() => resolve()));
    this.handshake.stop();
    this.tlsHandshake?.stop();
    for (const c of this.connections) c.forceClose("broker shutting down");
    await closed;
    await tlsClosed;
  }
}
