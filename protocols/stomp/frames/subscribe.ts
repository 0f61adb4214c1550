import {
  BrokerError,
  compileSelector,
  type FieldTable,
  InvalidSelector,
  type Queue,
  type Selector,
  TypedField,
  consumedMembers,
  virtualTopicOf,
} from "../../../src/core/index.js";
import { type Composite, type Destination, topicBindingKey } from "../destinations.js";
import { isDurable, subscriptionQueue } from "../durable-subscriptions.js";
import type { StompFrame } from "../frame-parser.js";
import { queueArguments } from "../message-headers.js";
import { brokerFail, fail, type Outcome } from "../refusals.js";
import type { SessionState } from "../session-state.js";
import { type AckMode, StompSubscription } from "../subscriptions.js";
import { destinationOf } from "./destination.js";

type SubscribeState = Pick<SessionState, "ctx" | "queues" | "subscriptions">;

/** SUBSCRIBE: the destination's queue (declared and bound as RabbitMQ does), then a consumer on it. */
export function subscribe(s: SubscribeState, f: StompFrame): Outcome {
  const ctx = s.ctx;
  const h = f.headers;
  const d = destinationOf(ctx, f);
  if (d === null) return "failed";
  const durable = isDurable(h);
  if (durable && h["id"] === undefined && h["activemq.subscriptionName"] === undefined) {
    return fail(ctx, "Missing Header", "Header 'id' is required for durable subscriptions", f);
  }
  const id = h["id"] ?? h["destination"]!;
  if (s.subscriptions.has(id)) {
    return fail(ctx, "Duplicated subscription identifier", `A subscription identified by 'T_${id}' already exists.`, f, true);
  }
  const ackHeader = h["ack"];
  const ackMode: AckMode = ackHeader === "client" || ackHeader === "client-individual" ? ackHeader : "auto";
  const prefetch = Number(h["prefetch-count"] ?? "0");
  // ActiveMQ's JMS selector header, checked before anything is declared
  const selector = selectorOf(h["selector"]);
  if (selector instanceof InvalidSelector) return fail(ctx, selector.description, `${selector.description}\n`, f);
  const queues = sourceQueues(s, d, f, id, durable);
  if (queues === null) return "failed";
  for (const q of queues) {
    const denied = ctx.access.check("queue", q.name, "read");
    if (denied) return brokerFail(ctx, denied, f);
  }
  const sub = new StompSubscription(
    s.subscriptions,
    id,
    h["destination"]!,
    ackMode,
    Number.isSafeInteger(prefetch) && prefetch > 0 ? prefetch : 0,
  );
  const consumeArgs = streamOffsetArgument(h["x-stream-offset"]);
  if (consumeArgs === null) return fail(ctx, "Processing error", "Processing error", f);
  const options = {
    tag: `T_${id}`,
    noAck: ackMode === "auto",
    exclusive: false,
    priority: 0,
    prefetch: sub.prefetch,
    args: consumeArgs,
    ...(selector === null
      ? {}
      : { selector, discardUnselected: d.kind === "topic" || d.kind === "exchange" || (d.kind === "composite" && d.of === "topic") }),
  };
  // a composite of queues: one consumer on each, sharing the subscription's prefetch window
  for (let i = 0; i < queues.length; i++) {
    const consumer = queues[i]!.consume(sub, options);
    if (consumer instanceof BrokerError) {
      if (i > 0) sub.cancelAll();
      return brokerFail(ctx, consumer, f);
    }
    if (i === 0) sub.subscription = consumer;
    else sub.addOther(consumer);
  }
  if (d.kind === "queue" && virtualTopicOf(queues[0]!.name) !== null) sub.virtual = true;
  // the queue delivers once this frame is done: a RECEIPT for the SUBSCRIBE goes first
  s.subscriptions.add(sub);
  return "done";
}

/**
 * The `selector` header (ActiveMQ's STOMP): a compiled selector, null without one, or why it is
 * invalid (an empty one too, as ActiveMQ refuses it). On a topic the subscriber's own queue drops
 * what the selector does not match; on a queue the rest stays for other consumers.
 */
function selectorOf(text: string | undefined): Selector | InvalidSelector | null {
  return text === undefined ? null : compileSelector(text);
}

/**
 * The queues a SUBSCRIBE consumes from: its destination's one, declared and bound as RabbitMQ does
 * for each kind; for an ActiveMQ composite, the members of its own kind (as ActiveMQ 5.17's
 * consumers do): each queue of a queue composite, or one subscription queue bound to each topic
 * of a topic composite.
 */
function sourceQueues(s: SubscribeState, d: Destination, f: StompFrame, id: string, durable: boolean): Queue[] | null {
  if (d.kind !== "composite") {
    const q = sourceQueue(s, d, f, id, durable);
    return q === null ? null : [q];
  }
  const members = consumedMembers(d);
  if (d.of === "topic") {
    const q = sourceQueue(s, { kind: "topic", name: members[0]!.name }, f, id, durable);
    if (q === null) return null;
    for (let i = 1; i < members.length; i++) {
      const key = topicBindingKey(members[i]!.name);
      const denied = s.ctx.access.checkSubscribe(q.name, "amq.topic", key);
      if (denied) return (brokerFail(s.ctx, denied, f), null);
      const b = s.ctx.vhost.bindQueue(q.name, "amq.topic", key, {}, s.ctx.client);
      if (b instanceof BrokerError) return (brokerFail(s.ctx, b, f), null);
    }
    return [q];
  }
  const queues: Queue[] = [];
  for (const m of members) {
    const q = sourceQueue(s, { kind: "queue", name: m.name }, f, id, durable);
    if (q === null) return null;
    queues.push(q);
  }
  return queues;
}

/** The queue a SUBSCRIBE consumes from, declared and bound as RabbitMQ does for each destination kind. */
function sourceQueue(s: SubscribeState, d: Exclude<Destination, Composite>, f: StompFrame, id: string, durable: boolean): Queue | null {
  const ctx = s.ctx;
  const v = ctx.vhost;
  const h = f.headers;
  const client = ctx.client;
  switch (d.kind) {
    case "queue": {
      const q = s.queues.ensure(d.name, h);
      return q instanceof BrokerError ? (brokerFail(ctx, q, f), null) : q;
    }
    // /reply-queue/x on SUBSCRIBE names an existing queue, as in RabbitMQ
    case "amqqueue":
    case "reply-queue": {
      const q = v.queue(d.name, client);
      return q instanceof BrokerError ? (brokerFail(ctx, q, f), null) : q;
    }
    case "topic":
    case "exchange": {
      const exchange = d.kind === "topic" ? "amq.topic" : d.exchange;
      const key = d.kind === "topic" ? topicBindingKey(d.name) : d.key;
      const x = v.exchange(exchange);
      if (x instanceof BrokerError) return (brokerFail(ctx, x, f), null);
      const { name, declare } = subscriptionQueue(h, id, ctx.clientId, durable, queueArguments(h));
      const denied = ctx.access.checkSubscribe(name, exchange, key);
      if (denied) return (brokerFail(ctx, denied, f), null);
      const ok = v.declareQueue(name, declare, client);
      if (ok instanceof BrokerError) return (brokerFail(ctx, ok, f), null);
      const b = v.bindQueue(ok.queue, exchange, key, {}, client);
      if (b instanceof BrokerError) return (brokerFail(ctx, b, f), null);
      const q = v.queue(ok.queue, client);
      return q instanceof BrokerError ? (brokerFail(ctx, q, f), null) : q;
    }
    case "temp-queue":
      return (fail(ctx, "Invalid destination", `'${h["destination"]}' is not a valid destination for 'SUBSCRIBE'\n`, f), null);
  }
}

/**
 * The x-stream-offset SUBSCRIBE header as RabbitMQ's STOMP plugin reads it: first, last, next,
 * offset=<n> or timestamp=<seconds>; other values are ignored (the consumer starts at next).
 * null for a malformed offset=/timestamp= number, which RabbitMQ answers with "Processing error".
 */
function streamOffsetArgument(h: string | undefined): FieldTable | null {
  if (h === undefined) return {};
  if (h === "first" || h === "last" || h === "next") return { "x-stream-offset": h };
  const m = /^(offset|timestamp)=(.*)$/.exec(h);
  if (m === null) return {};
  if (!/^-?\d+$/.test(m[2]!)) return null;
  return { "x-stream-offset": new TypedField(m[1] === "offset" ? "l" : "T", Number(m[2])) };
}
