import type { AccessControl, ClientRef, FieldTable, User, VirtualHost } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import type { BatchedWriter } from "../../src/transport/batched-writer.js";

/**
 * What a connection hands its channels: the core, the writer, and its negotiated limits. A file of
 * its own so that channels depend on this contract, not on the connection class.
 */
export interface ConnectionContext {
  readonly vhost: VirtualHost;
  readonly client: ClientRef;
  readonly writer: BatchedWriter;
  readonly frameMax: number;
  readonly maxMessageSize: number;
  readonly capabilities: FieldTable;
  readonly log: Logger;
  readonly user: User;
  /** The user's permissions in this vhost; every channel method asks it first. */
  readonly access: AccessControl;
  connectionError(code: number, text: string, classId: number, methodId: number): void;
  channelClosed(id: number): void;
}
