import type { Socket } from "node:net";

/**
 * A protocol that shares a listener with another, told apart by the first bytes its clients send
 * (RabbitMQ and ActiveMQ take AMQP 0-9-1 and AMQP 1.0 on one port: the 8-byte protocol header
 * picks the front-end). The listener's own protocol is the fallback for anything else, so a wrong
 * header still gets that protocol's answer.
 */
export interface SniffedProtocol {
  /** Header prefixes that select this protocol (AMQP 1.0: `AMQP 0 1 0 0` and `AMQP 3 1 0 0`). */
  readonly headers: readonly Buffer[];
  /** Takes over the socket (paused, with the bytes read so far put back): attach listeners, then resume it. */
  accept(socket: Socket): void;
}

function ignoreError(): void {}

/**
 * Reads from `socket` until its first bytes match one of the routes' headers (→ `route.accept`)
 * or can no longer match any (→ `fallback`). Both get a paused socket with the bytes read so far
 * put back (`unshift`) and no listener of ours left on it; they resume it once their own
 * listeners are attached, and read the header as if nobody had looked.
 * A header split across reads is waited for (the listener's handshake deadline still runs).
 */
export function sniffProtocol(socket: Socket, routes: readonly SniffedProtocol[], fallback: (socket: Socket) => void): void {
  let head: Buffer | null = null;
  const onData = (chunk: Buffer): void => {
    head = head === null ? chunk : Buffer.concat([head, chunk]);
    const route = choose(head, routes);
    if (route === undefined) return; // a prefix of some header: wait for more
    socket.pause();
    socket.removeListener("data", onData);
    socket.removeListener("error", ignoreError);
    socket.unshift(head);
    if (route === null) fallback(socket);
    else route.accept(socket);
  };
  socket.on("error", ignoreError);
  socket.on("data", onData);
}

/** The route `head` selects, null for none (the fallback), undefined while it could still be one. */
export function choose(head: Buffer, routes: readonly SniffedProtocol[]): SniffedProtocol | null | undefined {
  let undecided = false;
  for (const route of routes) {
    for (const h of route.headers) {
      const n = Math.min(h.length, head.length);
      if (head.compare(h, 0, n, 0, n) !== 0) continue;
      if (head.length >= h.length) return route;
      undecided = true;
    }
  }
  return undecided ? undefined : null;
}
