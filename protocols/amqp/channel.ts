import { BrokerError, ChannelFlows, type ChannelInfo, type Queue, ReplyCode } from "../../src/core/index.js";
import type { AmqpMethod } from "./codec/methods.js";
import { encodeMethodFrame, METHOD_IDS } from "./codec/methods.js";
import type { ChannelScope, ChannelState } from "./channel-scope.js";
import { PublisherConfirms } from "./confirms.js";
import type { ConnectionContext } from "./connection-context.js";
import { ChannelConsumers, type ChannelConsumer } from "./consumers.js";
import { ContentAssembler, type ContentHost } from "./content-assembler.js";
import { basicCancel, basicConsume, basicGet, basicPublish, basicQos, basicRecover, cancelledByBroker, settle } from "./handlers/basic.js";
import { channelClose, channelFlow, channelOpen } from "./handlers/channel.js";
import { confirmSelect } from "./handlers/confirm.js";
import { exchangeBind, exchangeDeclare, exchangeDelete, exchangeUnbind } from "./handlers/exchange.js";
import { queueBind, queueDeclare, queueDelete, queuePurge, queueUnbind } from "./handlers/queue.js";
import { rollback, txCommit, txRollback, txSelect } from "./handlers/tx.js";
import { PrefetchLimiter } from "./prefetch-limiter.js";
import { RepeatedProperties } from "./repeated-properties.js";
import { publishAssembled } from "./publish.js";
import { requeueAll } from "./settle.js";
import type { Transaction } from "./tx.js";
import { UnackedDeliveries } from "./unacked.js";

const BASIC_PUBLISH = METHOD_IDS["basic.publish"];

/**
 * One AMQP channel (AMQP 0-9-1 §2.2.5): the state machine that takes a method, a content header
 * or a body frame, and hands the method to its class's handler (handlers/*.ts), which makes one
 * call into the vhost. A handler's BrokerError becomes channel.close (soft errors) or
 * connection.close (hard ones). The state the handlers share is held here, in small objects:
 * deliveries to settle, prefetch, consumers, confirms, the transaction and the publish being assembled.
 */
export class Channel implements ChannelScope, ContentHost {
  state: ChannelState = "open";
  opened = false;
  readonly unacked = new UnackedDeliveries();
  readonly limiter = new PrefetchLimiter();
  readonly consumers = new ChannelConsumers();
  readonly confirms: PublisherConfirms = new PublisherConfirms(this);
  readonly content: ContentAssembler = new ContentAssembler(this);
  readonly properties = new RepeatedProperties();
  tx: Transaction | null = null;
  lastQueue = "";
  replyQueue: Queue | null = null;
  publishCount = 0;
  readonly flows = new ChannelFlows();
  routedPersistent = false;

  constructor(
    readonly id: number,
    readonly ctx: ConnectionContext,
  ) {}

  send(m: AmqpMethod): void {
    this.ctx.writer.write(encodeMethodFrame(this.id, m));
  }

  onMethod(m: AmqpMethod): void {
    if (this.state === "closing") {
      // §4.2.8 (channel.close): ignore everything until the peer's close-ok. A crossed close is
      // answered and the close-ok to ours still awaited, as RabbitMQ's reader does.
      if (m.kind === "channel.close-ok") this.finishClose();
      else if (m.kind === "channel.close") this.send({ kind: "channel.close-ok" });
      return;
    }
    if (this.content.pending !== null) {
      return this.ctx.connectionError(
        ReplyCode.UNEXPECTED_FRAME,
        `UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead`,
        BASIC_PUBLISH[0],
        BASIC_PUBLISH[1],
      );
    }
    const err = this.dispatch(m);
    if (err instanceof BrokerError) this.fail(err, METHOD_IDS[m.kind]);
  }

  /** Soft errors close the channel; hard ones close the connection (AMQP 0-9-1 §1.2). */
  fail(err: BrokerError, [classId, methodId]: readonly [number, number]): void {
    if (err.isConnectionError) return this.ctx.connectionError(err.code, err.text, classId, methodId);
    this.ctx.log.info({ channel: this.id, code: err.code, text: err.text }, "channel error");
    this.release();
    this.state = "closing";
    this.send({ kind: "channel.close", replyCode: err.code, replyText: err.text, classId, methodId });
  }

  /** The method to its handler: one switch, one direct call (basic.publish and basic.ack are hot). */
  private dispatch(m: AmqpMethod): BrokerError | void {
    switch (m.kind) {
      case "channel.open":
        return channelOpen(this);
      case "channel.close":
        return channelClose(this);
      case "channel.close-ok":
        return;
      case "channel.flow":
        return channelFlow(this, m);
      case "channel.flow-ok":
        return;

      case "exchange.declare":
        return exchangeDeclare(this, m);
      case "exchange.delete":
        return exchangeDelete(this, m);
      case "exchange.bind":
        return exchangeBind(this, m);
      case "exchange.unbind":
        return exchangeUnbind(this, m);

      case "queue.declare":
        return queueDeclare(this, m);
      case "queue.bind":
        return queueBind(this, m);
      case "queue.unbind":
        return queueUnbind(this, m);
      case "queue.purge":
        return queuePurge(this, m);
      case "queue.delete":
        return queueDelete(this, m);

      case "basic.qos":
        return basicQos(this, m);
      case "basic.consume":
        return basicConsume(this, m);
      case "basic.cancel":
        return basicCancel(this, m);
      case "basic.publish":
        return basicPublish(this, m);
      case "basic.get":
        return basicGet(this, m);
      case "basic.ack":
        return settle(this, m.deliveryTag, m.multiple, "ack", false);
      case "basic.nack":
        return settle(this, m.deliveryTag, m.multiple, "nack", m.requeue);
      case "basic.reject":
        return settle(this, m.deliveryTag, false, "nack", m.requeue);
      case "basic.recover":
      case "basic.recover-async":
        return basicRecover(this, m);

      case "confirm.select":
        return confirmSelect(this, m);
      case "tx.select":
        return txSelect(this);
      case "tx.commit":
        return txCommit(this);
      case "tx.rollback":
        return txRollback(this);

      default:
        return new BrokerError(ReplyCode.COMMAND_INVALID, `unexpected method ${m.kind}`);
    }
  }

  // ---- content frames (publishing) -------------------------------------------------------

  onHeader(payload: Buffer): void {
    if (this.state === "closing") return;
    const p = this.content.header(payload);
    if (p !== null) publishAssembled(this, p);
  }

  onBody(payload: Buffer): void {
    if (this.state === "closing") return;
    const p = this.content.body(payload);
    if (p !== null) publishAssembled(this, p);
  }

  /** ContentHost: a publish refused by its content header (too large). */
  refusePublish(err: BrokerError): void {
    this.fail(err, BASIC_PUBLISH);
  }

  // ---- consumers -------------------------------------------------------------------------

  /** Credit may be back (ack, qos change, socket drained): let the queues deliver again. */
  resumeConsumers(): void {
    if (this.state !== "open") return;
    this.consumers.resume();
  }

  /** ConsumerHost: the queue was deleted under a consumer. */
  consumerCancelledByBroker(c: ChannelConsumer): void {
    cancelledByBroker(this, c);
  }

  /** What the management API shows for this channel. */
  info(): ChannelInfo {
    return {
      number: this.id,
      consumerCount: this.consumers.size,
      unacked: this.unacked.size,
      prefetchCount: this.limiter.consumerPrefetch,
      globalPrefetchCount: this.limiter.global,
      confirm: this.confirms.enabled,
      transactional: this.tx !== null,
      publish: this.publishCount,
      confirmed: this.confirms.count,
      unconfirmed: this.confirms.unconfirmed,
      uncommitted: this.tx?.publishes.length ?? 0,
      acksUncommitted: this.tx?.settles.length ?? 0,
      flows: this.flows,
    };
  }

  // ---- closing ---------------------------------------------------------------------------

  /** Requeues what the client held and cancels its consumers (channel or connection closing). */
  release(): void {
    if (this.state === "closed") return;
    this.content.pending = null;
    this.consumers.cancelAll();
    // acks and rejects of a transaction never committed did not happen: they go back with the rest
    if (this.tx !== null) rollback(this, this.tx);
    requeueAll(this);
    this.tx = null;
  }

  finishClose(): void {
    this.state = "closed";
    this.ctx.channelClosed(this.id);
  }
}
