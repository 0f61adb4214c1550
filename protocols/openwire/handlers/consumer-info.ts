import {
  BrokerError,
  compileSelector,
  type ConsumeOptions,
  type FieldTable,
  InvalidSelector,
  type Queue,
  type Selector,
  virtualTopicOf,
} from "../../../src/core/index.js";
import { type AnyActiveMQDestination, type ConsumerId, type ConsumerInfo, makeMessageDispatch } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { QueueBrowsing } from "../browser.js";
import { OpenWireConsumer } from "../consumer.js";
import { destinationText, isAdvisory, targetOf, topicBindingKey } from "../destinations.js";
import { INVALID_DESTINATION, INVALID_SELECTOR, JMS_EXCEPTION, OpenWireRefusal, refusalOf } from "../exceptions.js";
import { durableQueueName, inUseText, SELECTOR_ARG } from "../durable-subscriptions.js";
import { idKey, sessionKey } from "../ids.js";
import { dispatchMessage } from "../message.js";
import { queueFor } from "./queues.js";
import { tempsOf } from "../temp-destinations.js";

/**
 * ConsumerInfo: a consumer on queue://x consumes the queue x; one on topic://x gets its own
 * exclusive auto-delete queue bound to amq.topic. On a composite, it consumes each of its queues,
 * or gets one queue bound to each of its topics. Selector and noLocal ride on the core's consume.
 */
export function consumerInfo(conn: OpenWireConnection, info: ConsumerInfo): OpenWireRefusal | null {
  const id = info.consumerId;
  const dest = info.destination;
  if (id === null || dest === null) return new OpenWireRefusal(INVALID_DESTINATION, "a consumer needs a destination");
  // advisories: only those of temporary destinations are sent; other advisory consumers stay idle
  if (isAdvisory(dest)) {
    tempsOf(conn.server).subscribe(conn, id, dest);
    return null;
  }
  // compiled before anything is declared, so a bad selector leaves nothing behind
  const selector = info.selector !== null && info.selector !== "" ? compileSelector(info.selector) : undefined;
  if (selector instanceof InvalidSelector) return new OpenWireRefusal(INVALID_SELECTOR, selector.description);
  const t = targetOf(dest);
  if (typeof t === "string") return new OpenWireRefusal(INVALID_DESTINATION, t);
  // a consumer on a composite consumes the members of the composite's own kind, as ActiveMQ's does
  const kind = t.kind === "composite" ? t.of : t.kind;
  const members = t.kind === "composite" ? t.members.filter((m) => m.kind === kind) : [t];
  if (members.length === 0) return new OpenWireRefusal(INVALID_DESTINATION, `${destinationText(dest)} names no ${kind} to consume from`);
  const temp = t.kind !== "composite" && t.temp;
  const key = idKey(id);
  if (conn.consumers.has(key)) return new OpenWireRefusal(JMS_EXCEPTION, `consumer ${key} already exists`);
  const v = conn.vhost!;
  const queues: Queue[] = [];
  if (temp) {
    // ActiveMQ's client refuses both itself; its broker would accept a consumer from elsewhere
    const owned = tempsOf(conn.server).get(v.name, dest);
    if (owned === undefined) return new OpenWireRefusal(INVALID_DESTINATION, "Cannot use a Temporary destination that has been deleted");
    if (owned.owner !== conn) return new OpenWireRefusal(INVALID_DESTINATION, "Cannot use a Temporary destination from another Connection");
  }
  if (kind === "queue" && temp) {
    const found = v.queue(members[0]!.name, conn.client);
    if (found instanceof BrokerError) return refusalOf(found);
    queues.push(found);
  } else if (kind === "queue") {
    for (const m of members) {
      const denied = conn.access!.check("queue", m.name, "read");
      if (denied) return refusalOf(denied);
      const q = queueFor(conn, m.name);
      if (q instanceof OpenWireRefusal) return q;
      queues.push(q);
    }
  } else {
    const durable = info.subscriptionName !== null && info.subscriptionName !== "";
    if (durable && temp) return new OpenWireRefusal(JMS_EXCEPTION, "A durable subscription cannot be created for a temporary topic.");
    const clientId = conn.clientId ?? "";
    const name = durable
      ? durableQueueName(clientId, info.subscriptionName!)
      : `openwire.sub.${conn.client.id}.${id.sessionId}.${id.value}`;
    // one queue for the subscription, bound to each topic of a composite
    const bindingKeys = members.map((m) => topicBindingKey(m.name));
    if (durable) {
      const existing = v.queue(name, conn.client);
      if (!(existing instanceof BrokerError)) {
        if (existing.consumerCount > 0) return new OpenWireRefusal(JMS_EXCEPTION, inUseText(clientId, info.subscriptionName!));
        // re-subscribing to another topic or with another selector replaces the subscription and
        // what it kept, as ActiveMQ does (TopicRegion's hasDurableSubChanged)
        if (
          !subscribesTo(existing, bindingKeys) ||
          existing.options.args[SELECTOR_ARG] !== (selector === undefined ? undefined : info.selector)
        ) {
          const denied = conn.access!.check("queue", name, "configure");
          if (denied) return refusalOf(denied);
          v.deleteQueue(name, {}, conn.client);
        }
      }
    }
    for (const bindingKey of bindingKeys) {
      const denied = conn.access!.checkSubscribe(name, "amq.topic", bindingKey);
      if (denied) return refusalOf(denied);
    }
    // a durable subscription's queue outlives the connection and keeps messages while offline
    const declare = durable
      ? { durable: true, autoDelete: false, exclusive: false }
      : { durable: false, autoDelete: true, exclusive: true };
    // the durable subscription's selector is kept with its queue, to tell a changed one
    const args: FieldTable = durable && selector !== undefined ? { [SELECTOR_ARG]: info.selector! } : {};
    const ok = v.declareQueue(name, { ...declare, args }, conn.client);
    if (ok instanceof BrokerError) return refusalOf(ok);
    for (const bindingKey of bindingKeys) {
      const b = v.bindQueue(ok.queue, "amq.topic", bindingKey, {}, conn.client);
      if (b instanceof BrokerError) return refusalOf(b);
    }
    const found = v.queue(ok.queue, conn.client);
    if (found instanceof BrokerError) return refusalOf(found);
    queues.push(found);
  }
  if (info.browser) {
    if (kind !== "queue") return new OpenWireRefusal(INVALID_DESTINATION, "only queues can be browsed");
    if (conn.browsers.has(key)) return new OpenWireRefusal(JMS_EXCEPTION, `consumer ${key} already exists`);
    const b = new QueueBrowsing(conn, id, dest, queues, selector, Math.max(0, info.prefetchSize));
    conn.browsers.set(key, b);
    conn.sessions.get(sessionKey(id.connectionId, id.sessionId))?.add(key);
    b.start();
    return null;
  }
  // prefetch 0: messages only on MessagePull (consumer.ts)
  const c = new OpenWireConsumer(conn, id, key, sessionKey(id.connectionId, id.sessionId), dest, Math.max(0, info.prefetchSize));
  const options: ConsumeOptions = {
    tag: key,
    noAck: false,
    // JMS exclusive consumers take over one after the other; they do not lock the queue
    exclusive: false,
    ...(info.exclusive && kind === "queue" && { jmsExclusive: true }),
    priority: info.priority,
    prefetch: Math.max(0, info.prefetchSize),
    ...(selector !== undefined && { selector }),
    // a topic consumer's own queue drops what it does not select; a queue keeps it for others
    ...(selector !== undefined && kind !== "queue" && { discardUnselected: true }),
    ...(info.noLocal && { noLocal: true }),
  };
  for (let i = 0; i < queues.length; i++) {
    const sub = queues[i]!.consume(c, options);
    if (sub instanceof BrokerError) {
      if (i > 0) c.close();
      return refusalOf(sub);
    }
    if (i === 0) c.subscription = sub;
    else c.others.push(sub);
    if (kind === "queue" && !temp && virtualTopicOf(queues[i]!.name) !== null) c.virtual = true;
  }
  conn.consumers.set(key, c);
  conn.sessions.get(c.sessionKey)?.add(key);
  return null;
}

/** Whether a durable subscription's queue is bound to amq.topic with exactly `bindingKeys`. */
function subscribesTo(q: Queue, bindingKeys: readonly string[]): boolean {
  const found = new Set<string>();
  for (const b of q.boundBy) {
    if (b.source.name !== "amq.topic" || !bindingKeys.includes(b.routingKey)) return false;
    found.add(b.routingKey);
  }
  return found.size === new Set(bindingKeys).size;
}
