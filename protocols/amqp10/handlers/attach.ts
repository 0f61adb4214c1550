import { BrokerError, errors } from "../../../src/core/index.js";
import { type Address, parseAddress } from "../addresses.js";
import { type Attach, SenderSettleMode, type SourceInit, type TargetInit, TxnCapability, writeAttach } from "../codec/types.generated.js";
import type { ConnectionScope } from "../connection-scope.js";
import { Amqp10Error, fromBrokerError } from "../errors.js";
import { sourceFilters } from "../filters.js";
import { INCOMING_CREDIT, IncomingLink } from "../incoming-link.js";
import { OutgoingLink } from "../outgoing-link.js";
import { CoordinatorLink } from "../transactions.js";
import { settle } from "./disposition.js";
import type { Session } from "../session.js";
import {
  durableSubscription,
  dynamicAddress,
  dynamicNode,
  dynamicNodeProperties,
  isDurableSubscription,
  type SourceNode,
} from "../source-nodes.js";

/** Control messages a client may send before we top its credit up. */
const COORDINATOR_CREDIT = 100;

/** The outcomes a source supports (RabbitMQ's), and its default when a delivery is settled without one. */

const OUTCOMES = ["amqp:accepted:list", "amqp:rejected:list", "amqp:released:list", "amqp:modified:list"];

/**
 * attach: the client's sender becomes an IncomingLink publishing to the target address, its
 * receiver an OutgoingLink consuming from the source's queue. Refused attaches are answered as the
 * spec asks: an attach with no terminus, then detach (closed) with the error.
 */
export function handleAttach(c: ConnectionScope, s: Session, a: Attach): void {
  // a client that reuses a handle we detached has had our detach, whatever it answered
  s.detaching.delete(a.handle);
  const unsupported = unsupportedAttach(a);
  if (unsupported !== null) throw unsupported;
  if (s.links.has(a.handle)) throw new Amqp10Error("amqp:session:handle-in-use", `handle ${a.handle} is in use`, "session");
  const key = `${a.role ? "sender" : "receiver"}:${a.name}`;
  if (s.names.has(key)) throw new Amqp10Error("amqp:session:handle-in-use", `link '${a.name}' is already attached`, "session");
  const result = a.role ? attachSender(c, s, a) : attachReceiver(c, s, a);
  if (result instanceof Amqp10Error) {
    refuse(c, s, a, result);
    return;
  }
  s.names.add(key);
}

/** The client receives: we send from a queue. */
function attachSender(c: ConnectionScope, s: Session, a: Attach): Amqp10Error | null {
  const source = a.source;
  if (source === undefined) return new Amqp10Error("amqp:invalid-field", "a receiving link needs a source", "link");
  let found: SourceNode | Amqp10Error;
  if (source.dynamic) {
    found = dynamicNode(c);
  } else {
    if (typeof source.address !== "string") return new Amqp10Error("amqp:invalid-field", "the source needs an address", "link");
    const address = parseAddress(source.address);
    if ("description" in address) return new Amqp10Error("amqp:invalid-field", address.description, "link");
    found =
      address.kind === "exchange" && isDurableSubscription(source, address)
        ? durableSubscription(c, a.name, address)
        : sourceQueue(c, address, source.durable > 0);
  }
  const filters = sourceFilters(source.filter);
  if (filters instanceof Amqp10Error) {
    if (!(found instanceof Amqp10Error) && found.lifetime === "link") c.vhost.deleteQueue(found.queue.name, {}, c.client);
    return filters;
  }
  if (found instanceof Amqp10Error) return found;
  const { queue, lifetime } = found;
  const denied = c.access.check("queue", queue.name, "read");
  if (denied !== null) {
    if (lifetime === "link") c.vhost.deleteQueue(queue.name, {}, c.client);
    return fromBrokerError(denied, "link");
  }
  const presettled = a.sndSettleMode === SenderSettleMode.settled;
  const link = new OutgoingLink(s, a.name, a.handle, queue, presettled, lifetime);
  const sub = queue.consume(link, {
    tag: `ctag-${a.handle}`,
    noAck: presettled,
    exclusive: false,
    priority: 0,
    ...(filters.selector !== null && { selector: filters.selector }),
    ...(filters.noLocal && { noLocal: true }),
    // a queue bound to an exchange for this receiver is a topic subscription: it drops what is not selected
    ...(filters.applied !== undefined && { discardUnselected: !source.dynamic && lifetime !== "kept" }),
  });
  if (sub instanceof BrokerError) {
    if (lifetime === "link") c.vhost.deleteQueue(queue.name, {}, c.client);
    return fromBrokerError(sub, "link");
  }
  link.subscription = sub;
  s.links.set(a.handle, link);
  const replySource: SourceInit & { kind: "source" } = source.dynamic
    ? {
        kind: "source",
        address: dynamicAddress(queue.name),
        durable: 0,
        expiryPolicy: "link-detach",
        timeout: 0,
        dynamic: true,
        dynamicNodeProperties: dynamicNodeProperties(),
        ...(filters.applied !== undefined && { filter: filters.applied }),
        defaultOutcome: { kind: "released" },
        outcomes: OUTCOMES,
      }
    : {
        kind: "source",
        address: source.address,
        durable: source.durable,
        expiryPolicy: source.expiryPolicy,
        ...(filters.applied !== undefined && { filter: filters.applied }),
        defaultOutcome: { kind: "released" },
        outcomes: OUTCOMES,
      };
  const start = c.beginFrame(s.channel);
  writeAttach(c.out, {
    name: a.name,
    handle: a.handle,
    role: false,
    sndSettleMode: presettled ? SenderSettleMode.settled : SenderSettleMode.unsettled,
    rcvSettleMode: a.rcvSettleMode,
    source: replySource,
    ...(a.target?.kind === "target" && { target: a.target }),
    initialDeliveryCount: 0,
  });
  c.endFrame(start);
  return null;
}

/** The queue a source address reads: declared (3.x /queue/, ActiveMQ), existing, or private and bound (exchanges). */
function sourceQueue(c: ConnectionScope, address: Address, durable: boolean): SourceNode | Amqp10Error {
  const v = c.vhost;
  if (address.kind === "queue") {
    if (address.declare) {
      const denied = c.access.check("queue", address.name, "configure");
      if (denied !== null) return fromBrokerError(denied, "link");
      const ok = v.declareQueue(address.name, { durable, autoDelete: false, exclusive: false }, c.client);
      if (ok instanceof BrokerError) return fromBrokerError(ok, "link");
    }
    const q = v.queue(address.name, c.client);
    return q instanceof BrokerError ? fromBrokerError(q, "link") : { queue: q, lifetime: "kept" };
  }
  const x = v.exchange(address.exchange);
  if (x instanceof BrokerError) return fromBrokerError(x, "link");
  const bindingKey = address.key ?? "";
  const denied = c.access.checkSubscribe(null, address.exchange, bindingKey);
  if (denied !== null) return fromBrokerError(denied, "link");
  const ok = v.declareQueue("", { durable: false, autoDelete: true, exclusive: true }, c.client);
  if (ok instanceof BrokerError) return fromBrokerError(ok, "link");
  const bound = v.bindQueue(ok.queue, address.exchange, bindingKey, {}, c.client);
  if (bound instanceof BrokerError) {
    v.deleteQueue(ok.queue, {}, c.client);
    return fromBrokerError(bound, "link");
  }
  const q = v.queue(ok.queue, c.client);
  return q instanceof BrokerError ? fromBrokerError(q, "link") : { queue: q, lifetime: "link" };
}

/**
 * What we do not do, refused as RabbitMQ 3.10 and 4 refuse it: the session ends with
 * amqp:not-implemented. Resuming a link (§2.6.13: an unsettled map, or incomplete-unsettled)
 * would need delivery state kept across attaches; a dynamic target would be a node made for one
 * sender (a dynamic source, for request/reply, we do make).
 */
function unsupportedAttach(a: Attach): Amqp10Error | null {
  if ((a.unsettled !== undefined && a.unsettled.size > 0) || a.incompleteUnsettled)
    return new Amqp10Error("amqp:not-implemented", "Link recovery not supported", "session");
  if (!a.role && a.target?.kind === "target" && a.target.dynamic)
    return new Amqp10Error("amqp:not-implemented", "Dynamic targets not supported", "session");
  return null;
}

/** The client sends: we publish what arrives to the target. */
function attachReceiver(c: ConnectionScope, s: Session, a: Attach): Amqp10Error | null {
  const target = a.target;
  if (target === undefined) return new Amqp10Error("amqp:invalid-field", "a sending link needs a target", "link");
  if (target.kind === "coordinator") return attachCoordinator(c, s, a);
  let address: Address | null = null;
  if (typeof target.address === "string") {
    const parsed = parseAddress(target.address);
    if ("description" in parsed) return new Amqp10Error("amqp:invalid-field", parsed.description, "link");
    address = parsed;
    const problem = checkTarget(c, parsed, target.durable > 0);
    if (problem !== null) return problem;
  }
  if (a.initialDeliveryCount === undefined)
    return new Amqp10Error("amqp:invalid-field", "a sender's attach needs an initial-delivery-count", "link");
  const link = new IncomingLink(s, a.name, a.handle, address, a.initialDeliveryCount);
  s.links.set(a.handle, link);
  const replyTarget: TargetInit & { kind: "target" } = {
    kind: "target",
    ...(typeof target.address === "string" && { address: target.address }),
    durable: target.durable,
    expiryPolicy: target.expiryPolicy,
  };
  const start = c.beginFrame(s.channel);
  writeAttach(c.out, {
    name: a.name,
    handle: a.handle,
    role: true,
    sndSettleMode: a.sndSettleMode,
    rcvSettleMode: 0,
    ...(a.source !== undefined && { source: a.source }),
    target: replyTarget,
  });
  c.endFrame(start);
  s.sendFlow({ handle: a.handle, deliveryCount: link.deliveryCount, credit: INCOMING_CREDIT, drain: false });
  return null;
}

/** A transaction controller: the coordinator takes declares and discharges (transactions.ts). */
function attachCoordinator(c: ConnectionScope, s: Session, a: Attach): Amqp10Error | null {
  if (a.initialDeliveryCount === undefined)
    return new Amqp10Error("amqp:invalid-field", "a sender's attach needs an initial-delivery-count", "link");
  const link = new CoordinatorLink(s, a.name, a.handle, a.initialDeliveryCount, COORDINATOR_CREDIT, settle);
  s.links.set(a.handle, link);
  const start = c.beginFrame(s.channel);
  writeAttach(c.out, {
    name: a.name,
    handle: a.handle,
    role: true,
    sndSettleMode: a.sndSettleMode,
    rcvSettleMode: 0,
    ...(a.source !== undefined && { source: a.source }),
    target: { kind: "coordinator", capabilities: [TxnCapability.localTransactions] },
  });
  c.endFrame(start);
  s.sendFlow({ handle: a.handle, deliveryCount: link.deliveryCount, credit: link.credit, drain: false });
  return null;
}

/** A target must exist (a /queue/ or ActiveMQ queue is declared), and be writable. */
function checkTarget(c: ConnectionScope, address: Address, durable: boolean): Amqp10Error | null {
  const v = c.vhost;
  if (address.kind === "queue") {
    if (address.declare) {
      const denied = c.access.check("queue", address.name, "configure");
      if (denied !== null) return fromBrokerError(denied, "link");
      const ok = v.declareQueue(address.name, { durable, autoDelete: false, exclusive: false }, c.client);
      return ok instanceof BrokerError ? fromBrokerError(ok, "link") : null;
    }
    // anyone may send to a connection's exclusive queue (a dynamic node's replies): only existence counts
    return v.queues.has(address.name) ? null : fromBrokerError(errors.noQueue(address.name, v.name), "link");
  }
  const x = v.exchange(address.exchange);
  if (x instanceof BrokerError) return fromBrokerError(x, "link");
  const denied = c.access.check("exchange", address.exchange, "write");
  return denied !== null ? fromBrokerError(denied, "link") : null;
}

/** §2.6.3: a refused link is attached with no terminus, then detached with the error. */
function refuse(c: ConnectionScope, s: Session, a: Attach, err: Amqp10Error): void {
  if (err.scope !== "link") {
    s.fail(err);
    return;
  }
  c.log.warn({ condition: err.condition, link: a.name }, `AMQP 1.0 attach refused: ${err.condition} - ${err.description}`);
  const start = c.beginFrame(s.channel);
  writeAttach(c.out, { name: a.name, handle: a.handle, role: !a.role, ...(a.role ? { initialDeliveryCount: 0 } : {}) });
  c.endFrame(start);
  s.detach(a.handle, { condition: err.condition, description: err.description });
}
