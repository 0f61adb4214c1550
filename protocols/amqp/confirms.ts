import { type ChannelFlows, OrderedCommits, type PublishResult } from "../../src/core/index.js";
import type { AmqpMethod } from "./codec/methods.js";
import type { ConnectionContext } from "./connection-context.js";

/** What confirms need of their channel (the channel implements it). */
export interface ConfirmingChannel {
  readonly state: "open" | "closing" | "closed";
  readonly ctx: ConnectionContext;
  /** Where confirms are counted per exchange, in publish order. */
  readonly flows: ChannelFlows;
  send(m: AmqpMethod): void;
}

/**
 * Publisher confirms of one channel (RabbitMQ's confirm.select extension): every publish gets a
 * sequence number; confirms are coalesced into one `basic.ack multiple` per event-loop turn, and
 * held in the core's OrderedCommits until the disk has what they confirm. A refused publish is
 * nacked in its turn, so `multiple` never covers it.
 */
export class PublisherConfirms {
  /** confirm.select was seen. */
  enabled = false;
  /** Publishes confirmed so far, for the management API. */
  count = 0;
  private lastSeq = 0;
  private confirmedUpTo = 0;
  private flushScheduled = false;
  /**
   * Confirms held back until the disk has what they confirm, in sequence order: a persisted
   * publish's seq, or -seq for a refused one whose nack waits its turn behind them.
   */
  private readonly held = new OrderedCommits<number>({
    release: (seq, ok) => this.released(seq, ok),
    released: () => this.flush(),
  });
  private readonly flushBound = () => this.flush();

  constructor(private readonly channel: ConfirmingChannel) {}

  /** The sequence number of the publish being routed; 0 when the channel does not confirm. */
  nextSeq(): number {
    return this.enabled ? ++this.lastSeq : 0;
  }

  /** Publish `seq` (non-zero) was routed with result `r`: ack, nack or hold it. */
  routed(seq: number, r: PublishResult): void {
    if (r.refused > 0 && r.routed === 0) {
      // behind confirms still waiting for the disk: the nack takes its turn
      if (this.held.holdBehind(-seq)) return;
      // acks before a nack must go out first so `multiple` never covers the nacked one
      this.flush(seq - 1);
      this.channel.send({ kind: "basic.nack", deliveryTag: seq, multiple: false, requeue: false });
      this.nacked(seq);
      return;
    }
    if (r.persisted > 0) {
      // confirms mean disk: this seq is acked only after the group commit it joined
      this.held.hold(seq, this.channel.ctx.vhost.durability!);
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushBound);
    }
  }

  /**
   * One basic.ack with multiple=true for every publish confirmed since the last one, stopping
   * before the first publish still waiting for the disk.
   */
  flush(upTo = this.lastSeq): void {
    this.flushScheduled = false;
    if (this.channel.state !== "open") return;
    const first = this.held.first;
    this.ackUpTo(first === undefined ? upTo : Math.min(upTo, first - 1));
  }

  /** A held confirm may go: acks wait for flush's one `multiple`; a nack goes now, in order. */
  private released(seq: number, ok: boolean): void {
    if (this.channel.state !== "open" || (seq > 0 && ok)) return;
    const tag = seq < 0 ? -seq : seq;
    this.ackUpTo(tag - 1);
    this.channel.send({ kind: "basic.nack", deliveryTag: tag, multiple: false, requeue: false });
    this.nacked(tag);
  }

  /** Publishes not yet acked or nacked. */
  get unconfirmed(): number {
    return this.lastSeq - this.confirmedUpTo;
  }

  private ackUpTo(upTo: number): void {
    if (upTo <= this.confirmedUpTo) return;
    const multiple = upTo - this.confirmedUpTo > 1;
    this.count += upTo - this.confirmedUpTo;
    this.channel.ctx.vhost.counters.confirm += upTo - this.confirmedUpTo;
    this.channel.flows.confirmed(upTo - this.confirmedUpTo);
    this.channel.send({ kind: "basic.ack", deliveryTag: upTo, multiple });
    this.confirmedUpTo = upTo;
  }

  /** Publish `tag` was nacked (every one before it is settled already). */
  private nacked(tag: number): void {
    this.channel.flows.confirmed(tag - this.confirmedUpTo, false);
    this.confirmedUpTo = tag;
  }
}
