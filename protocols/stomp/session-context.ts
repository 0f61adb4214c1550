import type { AccessControl, BrokerError, ClientRef, User, VirtualHost } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import type { HeaderList } from "./frame-encoder.js";
import type { StompVersion } from "./frame-parser.js";
import type { StompTransport } from "./transport.js";

/**
 * What a session needs from its connection (StompConnection implements it). In a module of its
 * own so the session and its frame handlers never import the connection that creates them.
 */
export interface SessionContext {
  readonly vhost: VirtualHost;
  readonly client: ClientRef;
  readonly user: User;
  /** The user's permissions in the vhost; SEND and SUBSCRIBE ask it first. */
  readonly access: AccessControl;
  readonly sessionId: string;
  readonly version: StompVersion;
  readonly transport: StompTransport;
  readonly clientId: string | undefined;
  readonly log: Logger;
  send(command: string, headers: HeaderList, body: Buffer | null): void;
  /** ERROR with a `message` header; `close` ends the connection after it, as RabbitMQ does for that error. */
  error(message: string, detail: string | Buffer, close: boolean, receipt?: string, extra?: HeaderList): void;
  brokerError(e: BrokerError, receipt?: string): void;
  close(): void;
}
