import type { WebSocket } from "ws";

/**
 * The largest WebSocket message (or fragmented message) `ws` will buffer from this peer. ws sets
 * its limit per server (`maxPayload`); before login a peer must not make the broker hold more than
 * the pre-authentication limit, after it the listener's own. ws keeps the limit on the socket's
 * receiver, which has no public setter: this is the one place that reaches for it, and
 * test/server/preauth-limits.test.ts shows both limits hold.
 */
export function setMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (receiver !== undefined && receiver !== null && typeof receiver._maxPayload === "number") receiver._maxPayload = bytes;
}

/** ws's own default, kept once logged in: 100 MiB. */
export const WS_MAX_PAYLOAD = 100 * 1024 * 1024;
