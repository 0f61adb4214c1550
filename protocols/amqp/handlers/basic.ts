import { BrokerError, integerValue, type Queue, REPLY_TO, ReplyCode, streamUnsupported } from "../../../src/core/index.js";
import { encodeGetOk } from "../codec/delivery.js";
import type { MethodOf } from "../codec/methods.js";
import { propertiesBytes } from "../codec/properties.js";
import type { ChannelScope } from "../channel-scope.js";
import { ChannelConsumer } from "../consumers.js";
import { applySettle, requeueAll } from "../settle.js";
import type { SettleHow } from "../unacked.js";
import { queueName, randomTag } from "./names.js";

/** The basic class (60): qos, consume, cancel, publish, get, ack, nack, reject, recover. */

export function basicQos(ch: ChannelScope, m: MethodOf<"basic.qos">): BrokerError | void {
  if (m.prefetchSize !== 0) return new BrokerError(ReplyCode.NOT_IMPLEMENTED, `prefetch_size!=0 (${m.prefetchSize})`);
  ch.limiter.qos(m.prefetchCount, m.global, ch.unacked.size);
  ch.send({ kind: "basic.qos-ok" });
  ch.resumeConsumers();
}

export function basicConsume(ch: ChannelScope, m: MethodOf<"basic.consume">): BrokerError | void {
  const { noAck, exclusive, arguments: args } = m;
  const ctx = ch.ctx;
  let q: Queue | BrokerError;
  if (m.queue === REPLY_TO) {
    if (!noAck) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "reply consumer cannot acknowledge");
    if (ch.replyQueue !== null && !ch.replyQueue.deleted) {
      return new BrokerError(ReplyCode.PRECONDITION_FAILED, "reply consumer already set");
    }
    q = ch.replyQueue = ctx.vhost.declareReplyToQueue(ctx.client);
  } else {
    const name = queueName(ch, m.queue);
    if (name instanceof BrokerError) return name;
    const denied = ctx.access.check("queue", name, "read");
    if (denied) return denied;
    q = ctx.vhost.queue(name, ctx.client);
  }
  if (q instanceof BrokerError) return q;
  const tag = m.consumerTag === "" ? randomTag("amq.ctag") : m.consumerTag;
  if (ch.consumers.has(tag)) return new BrokerError(ReplyCode.NOT_ALLOWED, `attempt to reuse consumer tag '${tag}'`);
  const priorityArg = args["x-priority"];
  const priority = priorityArg === undefined ? 0 : integerValue(priorityArg);
  if (priority === undefined) {
    return new BrokerError(ReplyCode.PRECONDITION_FAILED, `invalid arg 'x-priority' for queue '${q.name}' in vhost '${ctx.vhost.name}'`);
  }
  const prefetch = ch.limiter.consumerPrefetch;
  const consumer = new ChannelConsumer(ch, tag, noAck, prefetch, ctx.client);
  const sub = q.consume(consumer, { tag, noAck, exclusive, priority, prefetch, args });
  if (sub instanceof BrokerError) return sub;
  consumer.subscription = sub;
  ch.consumers.add(consumer);
  // the queue delivers once this turn is done: consume-ok goes first
  if (!m.nowait) ch.send({ kind: "basic.consume-ok", consumerTag: tag });
}

export function basicCancel(ch: ChannelScope, m: MethodOf<"basic.cancel">): void {
  ch.consumers.remove(m.consumerTag)?.subscription.cancel();
  if (!m.nowait) ch.send({ kind: "basic.cancel-ok", consumerTag: m.consumerTag });
}

/** The queue was deleted under a consumer: basic.cancel if the client understands it. */
export function cancelledByBroker(ch: ChannelScope, c: ChannelConsumer): void {
  if (ch.consumers.get(c.tag) !== c) return;
  ch.consumers.remove(c.tag);
  if (ch.ctx.capabilities["consumer_cancel_notify"] === true && ch.state === "open") {
    ch.send({ kind: "basic.cancel", consumerTag: c.tag, nowait: true });
  }
}

/** The method of a publish: refused here, the channel closes and the content frames that follow are dropped. */
export function basicPublish(ch: ChannelScope, m: MethodOf<"basic.publish">): BrokerError | void {
  if (m.immediate) return new BrokerError(ReplyCode.NOT_IMPLEMENTED, "immediate=true");
  const denied = ch.ctx.access.checkPublish(m.exchange, m.routingKey);
  if (denied) return denied;
  ch.content.start(m.exchange, m.routingKey, m.mandatory);
}

export function basicGet(ch: ChannelScope, m: MethodOf<"basic.get">): BrokerError | void {
  const ctx = ch.ctx;
  const name = queueName(ch, m.queue);
  if (name instanceof BrokerError) return name;
  const denied = ctx.access.check("queue", name, "read");
  if (denied) return denied;
  const q = ctx.vhost.queue(name, ctx.client);
  if (q instanceof BrokerError) return q;
  if (q.type === "stream") return streamUnsupported("basic.get", q.name, ctx.vhost.name);
  const entry = q.get(m.noAck);
  const flow = ch.flows.queue(q.name);
  if (entry === null) {
    flow.getEmpty++;
    return ch.send({ kind: "basic.get-empty", reserved1: "" });
  }
  if (m.noAck) flow.getNoAck++;
  else flow.get++;
  if (entry.redelivered) flow.redeliver++;
  const tag = ch.unacked.nextTag();
  if (m.noAck) q.ack(entry);
  else ch.unacked.track(tag, entry, q, null);
  const msg = entry.message;
  ctx.writer.write(
    encodeGetOk(ch.id, tag, entry.redelivered, msg.exchange, msg.routingKey, q.messageCount, propertiesBytes(msg), msg.body, ctx.frameMax),
  );
}

/** basic.ack / nack / reject, with RabbitMQ's reading of `multiple` and tag 0 (§1.8.3.13); a transaction keeps them. */
export function settle(ch: ChannelScope, tag: number, multiple: boolean, how: SettleHow, requeue: boolean): BrokerError | void {
  const picked = ch.unacked.pick(tag, multiple);
  if (picked instanceof BrokerError) return picked;
  if (ch.tx) ch.tx.settles.push({ picked, how, requeue });
  else applySettle(ch, picked, how, requeue);
}

export function basicRecover(ch: ChannelScope, m: MethodOf<"basic.recover"> | MethodOf<"basic.recover-async">): BrokerError | void {
  if (!m.requeue) return new BrokerError(ReplyCode.NOT_IMPLEMENTED, "requeue=false");
  requeueAll(ch);
  if (m.kind === "basic.recover") ch.send({ kind: "basic.recover-ok" });
}
