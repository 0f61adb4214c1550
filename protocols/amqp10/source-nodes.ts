/**
 * The queues behind two kinds of source that are not a plain address: dynamic nodes (a receiver
 * asks the broker to make a node and name it, for request/reply) and durable subscriptions on
 * topics (a receiver identified by its container-id and link name that keeps its messages while
 * it is away, as ActiveMQ does).
 */
import { BrokerError, type Queue } from "../../src/core/index.js";
import type { Address } from "./addresses.js";
import { AmqpMap, Described, Sym, Typed } from "./codec/primitives.js";
import { Descriptor, type Source, TerminusDurability, TerminusExpiryPolicy } from "./codec/types.generated.js";
import type { ConnectionScope } from "./connection-scope.js";
import { Amqp10Error, fromBrokerError } from "./errors.js";

/**
 * When a link's queue goes: `kept` never (a named queue), `link` when the link goes (a private
 * queue bound to an exchange, a dynamic node), `subscription` only when the client closes the
 * link (detach with closed=true): a durable subscription outlives detach without closing, the
 * session and the connection.
 */
export type QueueLifetime = "kept" | "link" | "subscription";

export interface SourceNode {
  readonly queue: Queue;
  readonly lifetime: QueueLifetime;
}

/** The address a dynamic node is known by: RabbitMQ 4's form for a queue (`/queues/<quoted name>`). */
export function dynamicAddress(queueName: string): string {
  return `/queues/${encodeURIComponent(queueName)}`;
}

/** What a dynamic node is, told back in the attach's source (§3.5.9: delete-on-close). */
export function dynamicNodeProperties(): AmqpMap {
  return new AmqpMap([
    [new Sym("lifetime-policy"), new Described(new Typed("ulong", Descriptor.deleteOnClose), [])],
    [new Sym("supported-dist-modes"), new Sym("move")],
  ]);
}

/**
 * A dynamic source (§3.5.3 dynamic=true, no address): a server-named queue exclusive to the
 * connection, so it goes when the connection does, and deleted when the link goes (delete-on-close).
 */
export function dynamicNode(c: ConnectionScope): SourceNode | Amqp10Error {
  const v = c.vhost;
  const ok = v.declareQueue("", { durable: false, autoDelete: false, exclusive: true }, c.client);
  if (ok instanceof BrokerError) return fromBrokerError(ok, "link");
  const q = v.queue(ok.queue, c.client);
  return q instanceof BrokerError ? fromBrokerError(q, "link") : { queue: q, lifetime: "link" };
}

/**
 * A receiver on a topic or exchange whose source asks for a durable terminus (configuration or
 * unsettled-state) that never expires is a durable subscription (ActiveMQ's rule).
 */
export function isDurableSubscription(source: Source, address: Address): boolean {
  return address.kind === "exchange" && source.durable !== TerminusDurability.none && source.expiryPolicy === TerminusExpiryPolicy.never;
}

/** The queue of durable subscription container-id + link name (ActiveMQ's client-id + subscription name). */
export function subscriptionQueueName(containerId: string, linkName: string): string {
  return `amqp10-subscription-${containerId}:${linkName}`;
}

/**
 * The durable subscription `linkName` of this connection's container on `address`: its queue
 * (durable, bound to the exchange with the key) is made on the first attach and found again on
 * the next. A subscription re-attached to another topic or key starts afresh, as ActiveMQ
 * replaces a durable subscription whose destination changed; one that is being consumed is
 * refused (one receiver per subscription).
 */
export function durableSubscription(
  c: ConnectionScope,
  linkName: string,
  address: Address & { kind: "exchange" },
): SourceNode | Amqp10Error {
  const v = c.vhost;
  const name = subscriptionQueueName(c.containerId, linkName);
  const key = address.key ?? "";
  const x = v.exchange(address.exchange);
  if (x instanceof BrokerError) return fromBrokerError(x, "link");
  const denied =
    c.access.check("queue", name, "configure") ??
    c.access.checkSubscribe(name, address.exchange, key) ??
    c.access.check("queue", name, "read");
  if (denied !== null) return fromBrokerError(denied, "link");
  const existing = v.queue(name, c.client);
  if (!(existing instanceof BrokerError)) {
    if (existing.consumerCount > 0)
      return new Amqp10Error(
        "amqp:resource-locked",
        `durable subscription '${linkName}' of container '${c.containerId}' is in use`,
        "link",
      );
    if (boundOnlyTo(c, existing, address.exchange, key)) return { queue: existing, lifetime: "subscription" };
    v.deleteQueue(name, {}, c.client);
  }
  const ok = v.declareQueue(name, { durable: true, autoDelete: false, exclusive: false }, c.client);
  if (ok instanceof BrokerError) return fromBrokerError(ok, "link");
  const bound = v.bindQueue(name, address.exchange, key, {}, c.client);
  if (bound instanceof BrokerError) {
    v.deleteQueue(name, {}, c.client);
    return fromBrokerError(bound, "link");
  }
  const q = v.queue(name, c.client);
  return q instanceof BrokerError ? fromBrokerError(q, "link") : { queue: q, lifetime: "subscription" };
}

/** Whether the subscription queue's one binding (besides the default exchange's) is exchange + key. */
function boundOnlyTo(c: ConnectionScope, q: Queue, exchange: string, key: string): boolean {
  let found = false;
  for (const b of c.vhost.allBindings()) {
    if (b.destination !== q || b.source.name === "") continue;
    if (b.source.name !== exchange || b.routingKey !== key) return false;
    found = true;
  }
  return found;
}
