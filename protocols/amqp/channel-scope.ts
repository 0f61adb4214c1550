import type { BrokerError, ChannelFlows, Queue } from "../../src/core/index.js";
import type { AmqpMethod } from "./codec/methods.js";
import type { PublisherConfirms } from "./confirms.js";
import type { ConnectionContext } from "./connection-context.js";
import type { ChannelConsumers, ConsumerHost } from "./consumers.js";
import type { ContentAssembler } from "./content-assembler.js";
import type { PrefetchLimiter } from "./prefetch-limiter.js";
import type { RepeatedProperties } from "./repeated-properties.js";
import type { Transaction } from "./tx.js";
import type { UnackedDeliveries } from "./unacked.js";

export type ChannelState = "open" | "closing" | "closed";

/**
 * What the method handlers (handlers/*.ts), publishing and transactions work on: one channel's
 * state, passed explicitly. The Channel class implements it; this interface keeps the handlers
 * from depending on the class that dispatches to them.
 */
export interface ChannelScope extends ConsumerHost {
  readonly id: number;
  readonly ctx: ConnectionContext;
  readonly state: ChannelState;
  /** channel.open was answered. */
  opened: boolean;
  readonly unacked: UnackedDeliveries;
  readonly limiter: PrefetchLimiter;
  readonly consumers: ChannelConsumers;
  readonly confirms: PublisherConfirms;
  readonly content: ContentAssembler;
  /** The last publish's properties, decoded once for the publishes that repeat them. */
  readonly properties: RepeatedProperties;
  /** Non-null once tx.select was seen: what the open transaction holds. */
  tx: Transaction | null;
  /** The last queue declared on this channel: an empty queue name in later methods means it. */
  lastQueue: string;
  /** This channel's direct reply-to queue, once it consumes from amq.rabbitmq.reply-to. */
  replyQueue: Queue | null;
  /** Messages published on this channel, for the management API. */
  publishCount: number;
  /** Per-exchange and per-queue message counts, for per-channel metrics. */
  readonly flows: ChannelFlows;
  /** Set by routePublish when a publish went to disk (tx.commit-ok then waits for the commit). */
  routedPersistent: boolean;
  send(m: AmqpMethod): void;
  /** Soft errors close the channel; hard ones the connection (§1.2). */
  fail(err: BrokerError, ids: readonly [classId: number, methodId: number]): void;
  /** Requeues what the client held and cancels the consumers. */
  release(): void;
  finishClose(): void;
  /** Credit may be back: let the queues deliver again. */
  resumeConsumers(): void;
}
