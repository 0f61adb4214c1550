import { createServer, type Server, type Socket } from "node:net";
import type { Broker, FieldTable } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { listenOn } from "../../src/transport/listen.js";
import { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { type SniffedProtocol, sniffProtocol } from "../../src/transport/protocol-sniff.js";
import { lazyModule, whenLoaded } from "../../src/transport/lazy-module.js";
import { createTlsServer, type TlsServerOptions } from "../../src/transport/tls.js";
import type { AmqpConnection } from "./connection.js";
import { type AmqpLimits, DEFAULT_LIMITS } from "./limits.js";
import { DEFAULT_IDENTITY, type ServerIdentity, serverProperties } from "./server-properties.js";

export interface AmqpListenerOptions {
  port: number;
  host?: string;
  limits?: Partial<AmqpLimits>;
}

/**
 * The connection, its channels, codec and handlers (the bulk of the front-end): imported at the
 * first client's accept, as the other front-ends' are (src/transport/lazy-module.ts). Once loaded
 * every connection is built synchronously from it; the per-message path does not see the load.
 */
const connectionCode = lazyModule(() => import("./connection.js"));

/** Accepts AMQP 0-9-1 connections on a TCP port and hands each socket to an AmqpConnection. */
export class AmqpServer {
  private readonly server: Server;
  private readonly connections = new Set<AmqpConnection>();
  private readonly sockets = new Set<Socket>();
  private readonly limits: AmqpLimits;
  /** connection.start's server-properties, the same for every connection of this listener. */
  private readonly serverProperties: FieldTable;
  readonly handshake: HandshakeDeadlines;
  /** Other protocols on this port, picked by their header (AMQP 1.0); 0-9-1 takes the rest. */
  private readonly shared: SniffedProtocol[] = [];
  private closing = false;

  constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
    limits: Partial<AmqpLimits> = {},
    /** With TLS options this is an amqps listener (RabbitMQ's 5671). */
    tls?: TlsServerOptions,
    identity: ServerIdentity = DEFAULT_IDENTITY,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.serverProperties = serverProperties(`warren@${process.env.HOSTNAME ?? "localhost"}`, identity);
    const protocol = tls ? "amqp/ssl" : "amqp";
    this.handshake = new HandshakeDeadlines(this.limits.handshakeTimeout, protocol, broker.connections, log);
    this.server = tls
      ? createTlsServer(
          tls,
          (socket) => this.accept(socket),
          () => broker.connections.handshakeTimedOut(protocol),
        )
      : createServer((socket) => this.accept(socket));
  }

  /** Lets another protocol share this port: sockets whose header is one of its headers go to it. */
  share(protocol: SniffedProtocol): void {
    this.shared.push(protocol);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    if (this.shared.length === 0) return this.open(socket);
    // the handshake deadline runs from accept, whichever protocol the header turns out to be
    this.handshake.track(socket);
    sniffProtocol(socket, this.shared, (s) => this.open(s));
  }

  /** A socket the sniffer paused, its bytes put back, is read again by the connection (readSocket). */
  private open(socket: Socket): void {
    whenLoaded(
      connectionCode,
      socket,
      ({ AmqpConnection }) => {
        const conn = new AmqpConnection(
          socket,
          this.broker,
          this.limits,
          this.serverProperties,
          this.log,
          (c) => this.connections.delete(c),
          this.handshake,
        );
        this.connections.add(conn);
      },
      this.log,
      "AMQP 0-9-1",
      () => !this.closing,
    );
  }

  /** Binds the port; resolves with the port actually bound (useful with port 0). */
  listen(port: number, host?: string): Promise<number> {
    return listenOn(this.server, port, host, this.log);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  listConnections(): readonly AmqpConnection[] {
    return [...this.connections];
  }

  /** Stops accepting, tells clients with 320 CONNECTION_FORCED, then drops what is left. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.handshake.stop();
    for (const c of this.connections) c.forceClose();
    await new Promise((r) => setTimeout(r, this.connections.size > 0 ? 50 : 0));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
