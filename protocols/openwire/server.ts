import { createServer, type Server, type Socket } from "node:net";
import type { Broker } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { listenOn } from "../../src/transport/listen.js";
import { OpenWireConnection } from "./connection.js";
import { TempDestinations } from "./temp-destinations.js";
import { DEFAULT_OPENWIRE_OPTIONS, type OpenWireOptions } from "./options.js";

/** Accepts OpenWire over TCP (ActiveMQ's port 61616). */
export class OpenWireServer {
  private readonly server: Server;
  private readonly connections = new Set<OpenWireConnection>();
  /** Connections by JMS clientID in each vhost: a second one with the same id is refused. */
  readonly clientIds = new Map<string, OpenWireConnection>();
  /** Temporary destinations and their advisory subscribers. */
  readonly temps = new TempDestinations();
  readonly options: OpenWireOptions;
  private readonly handshake: HandshakeDeadlines;

  constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
    options: Partial<OpenWireOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPENWIRE_OPTIONS, defaultVhost: broker.defaultVhost, ...options };
    this.handshake = new HandshakeDeadlines(this.options.handshakeTimeoutMs, "openwire", broker.connections, log);
    this.server = createServer((socket: Socket) => {
      this.handshake.track(socket);
      const conn = new OpenWireConnection(socket, broker, this, this.log, this.handshake);
      this.connections.add(conn);
    });
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
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.handshake.stop();
    for (const c of this.connections) c.forceClose("broker shutting down");
    await closed;
  }
}
