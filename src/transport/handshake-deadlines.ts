import type { Socket } from "node:net";
import type { ConnectionRegistry } from "../core/index.js";
import type { Logger } from "../server/logger.js";

/** RabbitMQ's handshake_timeout, mqtt.login_timeout and stomp.login_timeout: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** RabbitMQ's ssl_handshake_timeout: 5 s. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 5_000;

/** How often the sweep looks: a tenth of the timeout, between 10 ms and 500 ms. */
function sweepInterval(timeoutMs: number): number {
  return Math.max(10, Math.min(500, Math.floor(timeoutMs / 10)));
}

/**
 * Closes sockets that have not finished their protocol's handshake (AMQP up to connection.open,
 * MQTT CONNECT, STOMP CONNECT, with a WebSocket's upgrade) within the timeout, as RabbitMQ does:
 * an unauthenticated client must not hold a file descriptor for ever.
 *
 * One sweep per listener instead of a timer per connection: a pending socket costs one Map entry
 * (no Timeout object, no closure), and as every entry has the same timeout, insertion order is
 * deadline order, so a sweep stops at the first socket still within its time. The timer runs only
 * while some handshake is pending.
 */
export class HandshakeDeadlines {
  private readonly pending = new Map<Socket, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** 0 turns the timeout off. */
    readonly timeoutMs: number,
    /** The protocol named in the log line and the metric ("amqp", "mqtt", "stomp", "web-mqtt"…). */
    readonly protocol: string,
    private readonly registry: Pick<ConnectionRegistry, "handshakeTimedOut">,
    private readonly log: Logger,
    /** Told when a socket's handshake finished (or it closed first): WebSocket listeners lift the pre-login limit. */
    private readonly settled?: (socket: Socket) => void,
  ) {}

  /** A socket was accepted: it has `timeoutMs` to finish its handshake. */
  track(socket: Socket): void {
    // a listener that sniffs the protocol tracks the socket from accept; its front-end then asks again
    if (this.pending.has(socket)) return;
    if (this.timeoutMs <= 0) {
      // no timeout, but a WebSocket listener still wants to hear of the login (a rare setting: the
      // closure per socket is acceptable here)
      if (this.settled === undefined) return;
      this.pending.set(socket, Infinity);
      socket.once("close", () => this.pending.delete(socket));
      return;
    }
    this.pending.set(socket, Date.now() + this.timeoutMs);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(Date.now()), sweepInterval(this.timeoutMs));
      this.timer.unref();
    }
  }

  /** The handshake finished (or the socket closed): no deadline any more. */
  settle(socket: Socket): void {
    if (!this.pending.delete(socket)) return;
    if (this.pending.size === 0) this.stop();
    this.settled?.(socket);
  }

  get size(): number {
    return this.pending.size;
  }

  sweep(now: number): void {
    for (const [socket, deadline] of this.pending) {
      if (socket.destroyed) {
        this.pending.delete(socket);
        continue;
      }
      if (deadline > now) break;
      this.pending.delete(socket);
      this.registry.handshakeTimedOut(this.protocol);
      this.log.info(
        { protocol: this.protocol, peer: `${socket.remoteAddress}:${socket.remotePort}`, timeoutMs: this.timeoutMs },
        "closing connection: handshake not finished within the timeout",
      );
      socket.destroy();
    }
    if (this.pending.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
