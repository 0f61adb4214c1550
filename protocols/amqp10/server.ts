import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Broker } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import type { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import type { SniffedProtocol } from "../../src/transport/protocol-sniff.js";
import { lazyModule, whenLoaded } from "../../src/transport/lazy-module.js";
import type { Amqp10Connection } from "./connection.js";
import { AMQP_HEADER, SASL_HEADER } from "./headers.js";
import { type Amqp10Options, DEFAULT_AMQP10_OPTIONS } from "./options.js";

/** The codec (types.generated.ts and the rest) and the handlers: imported at the first client's accept. */
const connectionCode = lazyModule(() => import("./connection.js"));

/**
 * The AMQP 1.0 front-end. It has no listener: it shares the AMQP port, whose listener hands it
 * the sockets that open with `AMQP 3 1 0 0` (SASL) or `AMQP 0 1 0 0` (src/transport/protocol-sniff.ts).
 */
export class Amqp10Server implements SniffedProtocol {
  readonly headers = [SASL_HEADER, AMQP_HEADER];
  private readonly connections = new Set<Amqp10Connection>();
  readonly options: Amqp10Options;
  private closing = false;

  constructor(
    readonly broker: Broker,
    readonly log: Logger,
    options: Partial<Amqp10Options> = {},
    /** The sharing listener's handshake deadlines (the socket is tracked from accept). */
    private readonly handshake: HandshakeDeadlines | null = null,
  ) {
    this.options = { ...DEFAULT_AMQP10_OPTIONS, defaultVhost: broker.defaultVhost, ...options };
  }

  accept(socket: Socket): void {
    // the sniff hands the socket over paused: the connection reads it again (readSocket)
    this.acceptStream(socket, socket, this.handshake);
  }

  /** A connection over `stream` (the socket itself, or a WebSocket's bytes over it: websocket.ts). */
  acceptStream(stream: Duplex, socket: Socket, handshake: HandshakeDeadlines | null): void {
    whenLoaded(
      connectionCode,
      stream,
      ({ Amqp10Connection }) => {
        const conn = new Amqp10Connection(
          stream,
          socket,
          this.broker,
          this.options,
          this.log,
          (c) => this.connections.delete(c),
          handshake,
        );
        this.connections.add(conn);
      },
      this.log,
      "AMQP 1.0",
      () => !this.closing,
    );
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The broker is stopping: every connection is closed with amqp:connection:forced. */
  close(): void {
    this.closing = true;
    for (const c of this.connections) c.forceClose();
  }
}
