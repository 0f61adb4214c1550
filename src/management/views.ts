/**
 * The JSON shapes of RabbitMQ 3.10's management API for Warren's objects. Field names and nesting
 * follow RabbitMQ's so its UI habits, rabbitmqadmin and monitoring scripts read them unchanged;
 * Erlang-only fields (reductions, garbage_collection, …) are left out.
 */
import { createHash } from "node:crypto";
import {
  type Binding,
  type Broker,
  type ChannelInfo,
  type Exchange,
  fieldTableJson,
  type MessageCounters,
  type Queue,
  type QueueCounters,
  type RegisteredConnection,
  type Subscription,
  type VirtualHost,
} from "../core/index.js";
import type { CounterName, RateSampler } from "./rates.js";
import { policyValue } from "../core/policies.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The exchange types the overview and the node list name. */
export const EXCHANGE_TYPES = [
  { name: "direct", description: "AMQP direct exchange, as per the AMQP specification", enabled: true },
  { name: "fanout", description: "AMQP fanout exchange, as per the AMQP specification", enabled: true },
  { name: "headers", description: "AMQP headers exchange, as per the AMQP specification", enabled: true },
  { name: "topic", description: "AMQP topic exchange, as per the AMQP specification", enabled: true },
];

const rate = (r: number): JsonObject => ({ rate: r });

/** `{publish: n, publish_details: {rate}}` for each counter, as RabbitMQ's message_stats. */
function stats(pairs: [string, number, number][]): JsonObject {
  const out: JsonObject = {};
  for (const [name, value, r] of pairs) {
    out[name] = value;
    out[`${name}_details`] = rate(r);
  }
  return out;
}

export function globalMessageStats(c: MessageCounters, rates: RateSampler): JsonObject {
  const r = (k: CounterName) => rates.globalRate(k);
  const deliverGet = c.deliver + c.deliverNoAck + c.get + c.getNoAck;
  const deliverGetRate = r("deliver") + r("deliverNoAck") + r("get") + r("getNoAck");
  return stats([
    ["ack", c.ack, r("ack")],
    ["confirm", c.confirm, r("confirm")],
    ["deliver", c.deliver, r("deliver")],
    ["deliver_get", deliverGet, Math.round(deliverGetRate * 10) / 10],
    ["deliver_no_ack", c.deliverNoAck, r("deliverNoAck")],
    ["drop_unroutable", c.unroutable - c.returnUnroutable, Math.max(0, r("unroutable") - r("returnUnroutable"))],
    ["get", c.get, r("get")],
    ["get_empty", c.getEmpty, r("getEmpty")],
    ["get_no_ack", c.getNoAck, r("getNoAck")],
    ["publish", c.publish, r("publish")],
    ["redeliver", c.redeliver, r("redeliver")],
    ["return_unroutable", c.returnUnroutable, r("returnUnroutable")],
  ]);
}

function queueMessageStats(c: QueueCounters, rates: Partial<Record<keyof QueueCounters, number>>): JsonObject {
  const r = (k: keyof QueueCounters) => rates[k] ?? 0;
  return stats([
    ["ack", c.ack, r("ack")],
    ["deliver", c.deliver, r("deliver")],
    ["deliver_get", c.deliver + c.deliverNoAck + c.get + c.getNoAck, r("deliver") + r("deliverNoAck") + r("get") + r("getNoAck")],
    ["deliver_no_ack", c.deliverNoAck, r("deliverNoAck")],
    ["get", c.get, r("get")],
    ["get_no_ack", c.getNoAck, r("getNoAck")],
    ["publish", c.publish, r("publish")],
    ["redeliver", c.redeliver, r("redeliver")],
  ]);
}

export function queueType(q: Queue): string {
  const t = q.options.args["x-queue-type"];
  return typeof t === "string" ? t : Buffer.isBuffer(t) ? t.toString() : "classic";
}

export function queueJson(q: Queue, vhost: string, node: string, rates: RateSampler, consumers?: Json[]): JsonObject {
  const r = rates.queueRates(q);
  const ready = q.messageCount;
  const unacked = q.unackedMessageCount;
  const exclusiveConsumer = q.subscriptions.find((s) => s.options.exclusive);
  const out: JsonObject = {
    arguments: fieldTableJson(q.options.args) as JsonObject,
    auto_delete: q.autoDelete,
    consumers: q.consumerCount,
    durable: q.durable,
    exclusive: q.exclusive,
    exclusive_consumer_tag: exclusiveConsumer ? exclusiveConsumer.tag : null,
    message_stats: queueMessageStats(q.counters, r.counters),
    messages: ready + unacked,
    messages_details: rate(Math.round((r.ready + r.unacked) * 10) / 10),
    messages_ready: ready,
    messages_ready_details: rate(r.ready),
    messages_unacknowledged: unacked,
    messages_unacknowledged_details: rate(r.unacked),
    messages_paged_out: q.pagedOutCount,
    name: q.name,
    node,
    policy: q.policy?.name ?? null,
    operator_policy: q.operatorPolicy?.name ?? null,
    effective_policy_definition: effectivePolicy(q),
    state: "running",
    type: queueType(q),
    vhost,
  };
  if (consumers !== undefined) out.consumer_details = consumers;
  return out;
}

/** What the queue's policy and operator policy together say, key by key, as RabbitMQ resolves them. */
function effectivePolicy(q: Queue): JsonObject {
  const out: JsonObject = {};
  const keys = new Set([...Object.keys(q.policy?.definition ?? {}), ...Object.keys(q.operatorPolicy?.definition ?? {})]);
  for (const k of keys) {
    const v = policyValue(k, q.policy, q.operatorPolicy);
    if (v !== undefined) out[k] = v as Json;
  }
  return out;
}

export function exchangeJson(x: Exchange, vhost: string): JsonObject {
  return {
    arguments: fieldTableJson(x.options.args) as JsonObject,
    auto_delete: x.autoDelete,
    durable: x.durable,
    internal: x.internal,
    name: x.name,
    type: x.type,
    user_who_performed_action: "rmq-internal",
    vhost,
  };
}

/**
 * RabbitMQ's properties_key, which names a binding in URLs: the routing key percent-encoded
 * ("~" for an empty key without arguments), plus "~" and a hash of the arguments when there are any.
 */
export function propertiesKey(routingKey: string, args: Record<string, unknown>): string {
  const hasArgs = Object.keys(args).length > 0;
  if (!hasArgs) return routingKey === "" ? "~" : encodeURIComponent(routingKey);
  const hash = createHash("sha1").update(JSON.stringify(args)).digest("base64url").slice(0, 22);
  return `${encodeURIComponent(routingKey)}~${hash}`;
}

export interface BindingView {
  source: string;
  destination: string;
  destinationType: "queue" | "exchange";
  routingKey: string;
  args: Record<string, unknown>;
  /** The core's binding; null for the implicit default-exchange bindings. */
  binding: Binding | null;
}

/** A vhost's bindings as RabbitMQ lists them: each queue's default-exchange binding, then the rest. */
export function vhostBindings(v: VirtualHost): BindingView[] {
  const out: BindingView[] = [];
  for (const q of v.queues.values()) {
    out.push({ source: "", destination: q.name, destinationType: "queue", routingKey: q.name, args: {}, binding: null });
  }
  for (const b of v.allBindings()) {
    out.push({
      source: b.source.name,
      destination: b.destination.name,
      destinationType: b.destination.kind,
      routingKey: b.routingKey,
      args: fieldTableJson(b.args),
      binding: b,
    });
  }
  return out;
}

export function bindingJson(b: BindingView, vhost: string): JsonObject {
  return {
    source: b.source,
    vhost,
    destination: b.destination,
    destination_type: b.destinationType,
    routing_key: b.routingKey,
    arguments: b.args as JsonObject,
    properties_key: propertiesKey(b.routingKey, b.args),
  };
}

export function connectionJson(c: RegisteredConnection, node: string): JsonObject {
  const d = c.details;
  const bytes = d.bytes?.() ?? { recv: 0, send: 0 };
  const name = typeof d.clientProperties["connection_name"] === "string" ? (d.clientProperties["connection_name"] as string) : null;
  return {
    auth_mechanism: d.authMechanism,
    channel_max: d.channelMax,
    channels: d.channels().length,
    client_properties: d.clientProperties as JsonObject,
    connected_at: c.connectedAt,
    frame_max: d.frameMax,
    host: d.host,
    name: c.name,
    node,
    peer_cert_issuer: d.tls?.peerCertIssuer ?? null,
    peer_cert_subject: d.tls?.peerCertSubject ?? null,
    peer_cert_validity: d.tls?.peerCertValidity ?? null,
    peer_host: d.peerHost,
    peer_port: d.peerPort,
    port: d.port,
    protocol: d.protocol,
    recv_oct: bytes.recv,
    send_oct: bytes.send,
    ssl: d.tls !== null,
    ssl_cipher: d.tls?.cipher ?? null,
    ssl_hash: d.tls?.hash ?? null,
    ssl_key_exchange: d.tls?.keyExchange ?? null,
    ssl_protocol: d.tls?.protocol ?? null,
    state: "running",
    timeout: d.timeout,
    type: "network",
    user: d.user,
    user_provided_name: name,
    user_who_performed_action: d.user,
    vhost: d.vhost,
  };
}

export function channelJson(c: RegisteredConnection, ch: ChannelInfo, node: string): JsonObject {
  const d = c.details;
  return {
    confirm: ch.confirm,
    connection_details: { name: c.name, peer_host: d.peerHost, peer_port: d.peerPort },
    consumer_count: ch.consumerCount,
    global_prefetch_count: ch.globalPrefetchCount,
    message_stats: stats([
      ["confirm", ch.confirmed, 0],
      ["publish", ch.publish, 0],
    ]),
    messages_unacknowledged: ch.unacked,
    messages_uncommitted: 0,
    messages_unconfirmed: 0,
    acks_uncommitted: 0,
    name: `${c.name} (${ch.number})`,
    node,
    number: ch.number,
    prefetch_count: ch.prefetchCount,
    state: "running",
    transactional: ch.transactional,
    user: d.user,
    user_who_performed_action: d.user,
    vhost: d.vhost,
  };
}

export function consumerJson(s: Subscription, vhost: string, conn: RegisteredConnection | undefined, node: string): JsonObject {
  const number = s.consumer.channelNumber ?? 1;
  return {
    arguments: {},
    ack_required: !s.noAck,
    active: true,
    activity_status: "up",
    channel_details: conn
      ? {
          connection_name: conn.name,
          name: `${conn.name} (${number})`,
          node,
          number,
          peer_host: conn.details.peerHost,
          peer_port: conn.details.peerPort,
          user: conn.details.user,
        }
      : {},
    consumer_tag: s.tag,
    exclusive: s.options.exclusive,
    prefetch_count: s.consumer.prefetchCount ?? 0,
    queue: { name: s.queue.name, vhost },
  };
}

/** Every consumer of a vhost's queues. */
export function vhostConsumers(broker: Broker, v: VirtualHost, node: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const q of v.queues.values()) {
    for (const s of q.subscriptions) out.push(consumerJson(s, v.name, broker.connections.of(s.consumer.client), node));
  }
  return out;
}
