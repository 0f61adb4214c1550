import type { AccessControl, Broker, FieldTable, User, VirtualHost } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import type { AmqpMethod } from "./codec/methods.js";
import type { AmqpLimits } from "./limits.js";

/**
 * "header" … "open": the handshake (§2.2.4), named by the method awaited; "opened": running;
 * "closing": Warren sent connection.close and waits for close-ok; "closed": close-ok went either
 * way (or the socket is gone) and incoming bytes are discarded until the socket closes.
 */
export type ConnectionState = "header" | "start-ok" | "secure-ok" | "tune-ok" | "open" | "opened" | "closing" | "closed";

/**
 * What the channel-0 handlers (handlers/connection.ts) work on: one connection's handshake state,
 * passed explicitly. AmqpConnection implements it.
 */
export interface ConnectionScope {
  state: ConnectionState;
  readonly broker: Broker;
  readonly log: Logger;
  readonly limits: AmqpLimits;
  /** The peer connects from a loopback address (loopback-only users). */
  readonly fromLoopback: boolean;
  clientProperties: FieldTable;
  capabilities: FieldTable;
  authMechanism: string;
  user: User;
  send(channel: number, m: AmqpMethod): void;
  connectionError(code: number, text: string, classId: number, methodId: number): void;
  /** Handshake failures RabbitMQ answers by dropping the socket, with no connection.close. */
  dropHandshake(reason: string): void;
  /** tune-ok's values passed the checks: the connection takes them. */
  tuned(channelMax: number, frameMax: number, heartbeat: number): void;
  /** connection.open was granted: the connection runs in this vhost. */
  opened(vhost: VirtualHost, access: AccessControl): void;
  /** The client's connection.close. */
  closedByClient(): void;
}
