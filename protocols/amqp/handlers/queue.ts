import { BrokerError, type FieldTable, stringValue } from "../../../src/core/index.js";
import type { MethodOf } from "../codec/methods.js";
import type { ChannelScope } from "../channel-scope.js";
import { bindingKeyFor, queueName, randomTag, stripCrLf } from "./names.js";

/** The queue class (50): declare, bind, unbind, purge, delete. */

export function queueDeclare(ch: ChannelScope, m: MethodOf<"queue.declare">): BrokerError | void {
  const name = stripCrLf(m.queue);
  if (!m.passive) {
    // a server-named queue is checked under a name like the one it would get, as RabbitMQ does
    const checked = name === "" ? randomTag("amq.gen") : name;
    const denied = ch.ctx.access.check("queue", checked, "configure") ?? deadLetterDenied(ch, checked, m.arguments);
    if (denied) return denied;
  }
  const r = ch.ctx.vhost.declareQueue(
    name,
    {
      passive: m.passive,
      durable: m.durable,
      exclusive: m.exclusive,
      autoDelete: m.autoDelete,
      args: m.arguments,
    },
    ch.ctx.client,
  );
  if (r instanceof BrokerError) return r;
  ch.lastQueue = r.queue;
  if (!m.nowait) ch.send({ kind: "queue.declare-ok", queue: r.queue, messageCount: r.messageCount, consumerCount: r.consumerCount });
}

/**
 * A new queue with a dead-letter exchange: RabbitMQ also wants read on the queue and write on the
 * exchange, since the queue will publish there on the declarer's behalf. Redeclares are not checked.
 */
function deadLetterDenied(ch: ChannelScope, queue: string, args: FieldTable): BrokerError | null {
  const value = args["x-dead-letter-exchange"];
  const dlx = value === undefined ? undefined : stringValue(value);
  if (dlx === undefined || ch.ctx.vhost.queues.has(queue)) return null;
  return ch.ctx.access.check("queue", queue, "read") ?? ch.ctx.access.check("exchange", dlx, "write");
}

export function queueBind(ch: ChannelScope, m: MethodOf<"queue.bind">): BrokerError | void {
  const requested = stripCrLf(m.queue);
  const exchange = stripCrLf(m.exchange);
  const queue = queueName(ch, requested);
  if (queue instanceof BrokerError) return queue;
  const key = bindingKeyFor(ch, requested, m.routingKey);
  const denied = ch.ctx.access.checkBind("queue", queue, exchange, key);
  if (denied) return denied;
  const r = ch.ctx.vhost.bindQueue(queue, exchange, key, m.arguments, ch.ctx.client);
  if (r) return r;
  if (!m.nowait) ch.send({ kind: "queue.bind-ok" });
}

export function queueUnbind(ch: ChannelScope, m: MethodOf<"queue.unbind">): BrokerError | void {
  const requested = stripCrLf(m.queue);
  const exchange = stripCrLf(m.exchange);
  const queue = queueName(ch, requested);
  if (queue instanceof BrokerError) return queue;
  const key = bindingKeyFor(ch, requested, m.routingKey);
  const denied = ch.ctx.access.checkBind("queue", queue, exchange, key);
  if (denied) return denied;
  const r = ch.ctx.vhost.unbindQueue(queue, exchange, key, m.arguments, ch.ctx.client);
  if (r) return r;
  ch.send({ kind: "queue.unbind-ok" });
}

export function queuePurge(ch: ChannelScope, m: MethodOf<"queue.purge">): BrokerError | void {
  const queue = queueName(ch, m.queue);
  if (queue instanceof BrokerError) return queue;
  const denied = ch.ctx.access.check("queue", queue, "read");
  if (denied) return denied;
  const r = ch.ctx.vhost.purgeQueue(queue, ch.ctx.client);
  if (r instanceof BrokerError) return r;
  if (!m.nowait) ch.send({ kind: "queue.purge-ok", messageCount: r });
}

export function queueDelete(ch: ChannelScope, m: MethodOf<"queue.delete">): BrokerError | void {
  const queue = queueName(ch, stripCrLf(m.queue));
  if (queue instanceof BrokerError) return queue;
  const denied = ch.ctx.access.check("queue", queue, "configure");
  if (denied) return denied;
  const r = ch.ctx.vhost.deleteQueue(queue, { ifUnused: m.ifUnused, ifEmpty: m.ifEmpty }, ch.ctx.client);
  if (r instanceof BrokerError) return r;
  if (!m.nowait) ch.send({ kind: "queue.delete-ok", messageCount: r });
}
