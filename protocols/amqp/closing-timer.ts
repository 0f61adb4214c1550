import type { Socket } from "node:net";

/**
 * RabbitMQ's rabbit_reader: once a connection is closed (close-ok sent, or close sent and
 * close-ok awaited) the socket is kept and what arrives is discarded until the client closes its
 * side, for at most the heartbeat timeout, capped at 30 s (?CLOSING_TIMEOUT); before tune-ok the
 * handshake timeout (10 s) stands in for the heartbeat.
 */
export const CLOSING_TIMEOUT_SEC = 30;
export const HANDSHAKE_TIMEOUT_SEC = 10;

/** The one timer of a closing connection: destroys a socket the client does not close in time. */
export class ClosingTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly socket: Socket) {}

  /** (Re)starts the wait; `timeoutSec` is rabbit_reader's timeout_sec (0: none negotiated). */
  arm(timeoutSec: number): void {
    if (this.timer) clearTimeout(this.timer);
    const sec = timeoutSec > 0 && timeoutSec < CLOSING_TIMEOUT_SEC ? timeoutSec : CLOSING_TIMEOUT_SEC;
    this.timer = setTimeout(() => this.socket.destroy(), sec * 1000);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
