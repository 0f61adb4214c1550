import type { AccessControl, Broker, ClientRef, User, VirtualHost } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import type { BatchedWriter } from "../../src/transport/batched-writer.js";
import type { Writer } from "./codec/primitives.js";
import type { ErrorDetailsInit } from "./codec/types.generated.js";
import type { Amqp10Error } from "./errors.js";
import type { Amqp10Options } from "./options.js";
import type { Session } from "./session.js";

/** What sessions, links and handlers need of their connection (so none of them imports it). */
export interface ConnectionScope {
  readonly broker: Broker;
  readonly options: Amqp10Options;
  readonly client: ClientRef;
  /** The peer's container-id (from its open): with a link name, it names a durable subscription. */
  readonly containerId: string;
  readonly log: Logger;
  readonly writer: BatchedWriter;
  /** The frame encoder's scratch space: a frame is built from `beginFrame` to `endFrame`. */
  readonly out: Writer;
  user: User;
  vhost: VirtualHost;
  access: AccessControl;
  /** The peer's max-frame-size: no frame we send is larger. */
  remoteMaxFrameSize: number;
  readonly sessions: Map<number, Session>;
  /** Channels whose session we ended with an error, until the client's end answers. */
  readonly ending: Set<number>;
  /** Starts a frame of `type` on `channel` in `out`; the performative and payload follow. */
  beginFrame(channel: number): number;
  /** Finishes the frame begun at `start` and hands it to the writer. */
  endFrame(start: number): void;
  /** Ends the connection with an error (close with the condition), logged once. */
  fail(err: Amqp10Error): void;
  /** Sends close (with an error, if any) and ends the socket. */
  close(error?: ErrorDetailsInit): void;
}
