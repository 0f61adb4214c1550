/**
 * PUBLISH from a client (MQTT 3.1.1 §3.3, MQTT 5 §3.3): topic aliases, topic checks, QoS 2
 * duplicates, the v5 receive maximum, the publish permission, routing through amq.topic and
 * retained messages, then PUBACK / PUBREC, held for the disk when the message reached a durable
 * queue. The hot path: no object, closure or promise per message.
 */
import type { IPublishPacket } from "mqtt-packet";
import { BrokerError, type Durability, type PublishResult } from "../../../src/core/index.js";
import type { ConnectionContext } from "../context.js";
import { PUBACK, PUBREC, queueAck } from "../encode.js";
import { HeldAcks } from "../held-acks.js";
import { fromPublish, type QoS } from "../message.js";
import { REASON } from "../reason-codes.js";
import { InboundAliases } from "../topic-alias.js";
import { MQTT_EXCHANGE, topicNameProblem, topicToRoutingKey } from "../topics.js";

/** A PUBLISH mqtt-packet decoded (v5 properties, or anything the fast path left to it). */
export function handlePublishPacket(conn: ConnectionContext, p: IPublishPacket): void {
  const payload = typeof p.payload === "string" ? Buffer.from(p.payload) : p.payload;
  handlePublish(conn, p.topic, payload, p.qos, p.retain, p.messageId ?? 0, p.properties);
}

/** One PUBLISH, from the in-place decoder (no properties) or mqtt-packet. `id` is 0 at QoS 0. */
export function handlePublish(
  conn: ConnectionContext,
  topic: string,
  payload: Buffer,
  qos: QoS,
  retain: boolean,
  id: number,
  props: IPublishPacket["properties"],
): void {
  if (props?.topicAlias !== undefined) {
    const resolved = (conn.inboundAliases ??= new InboundAliases(conn.ctx.options.topicAliasMaximum)).resolve(topic, props.topicAlias);
    if (resolved === "invalid" || resolved === "unknown") {
      conn.log.info({ alias: props.topicAlias, resolved }, "bad topic alias; closing");
      return conn.disconnect(resolved === "invalid" ? REASON.TOPIC_ALIAS_INVALID : REASON.PROTOCOL_ERROR);
    }
    topic = resolved;
  }
  if (topic !== conn.lastTopic) {
    // publishers mostly repeat their topic: checked and converted once, not per message
    const problem = topicNameProblem(topic);
    if (problem) {
      conn.log.info({ topic, problem }, "invalid PUBLISH topic; closing");
      return conn.disconnect(REASON.TOPIC_NAME_INVALID);
    }
    conn.lastTopic = topic;
    conn.lastRoutingKey = topicToRoutingKey(topic);
  } else {
    // the same text as the one kept: messages that wait in a queue share it instead of each
    // holding the copy its packet was decoded into
    topic = conn.lastTopic;
  }
  // `session!`: the connection hands packets here only once CONNECT made its session
  if (qos === 2 && conn.session!.inboundQos2.has(id)) {
    // a resent QoS 2 publish before PUBREL: acknowledge, never route twice [MQTT-4.3.3-2]
    return ackPublish(conn, PUBREC, id, 0, null);
  }
  if (qos > 0 && conn.protocolVersion === 5 && inboundInFlight(conn) >= conn.ctx.options.inboundReceiveMaximum) {
    // [MQTT-3.3.4-9]: more unacknowledged QoS 1/2 publishes than the CONNACK's receive maximum
    conn.log.info({ limit: conn.ctx.options.inboundReceiveMaximum }, "client exceeded the receive maximum; closing");
    return conn.disconnect(REASON.RECEIVE_MAXIMUM_EXCEEDED);
  }
  let outProps = props;
  if (props?.topicAlias !== undefined || props?.subscriptionIdentifier !== undefined) {
    const { topicAlias: _a, subscriptionIdentifier: _s, ...rest } = props;
    outProps = rest;
  }
  // the topic's routing key, converted once above: a topic name has no wildcards, so it is the
  // key RabbitMQ's topic permissions are checked against
  const denied = conn.access.checkPublish(MQTT_EXCHANGE, conn.lastRoutingKey);
  if (denied) {
    // RabbitMQ 3.10 closes a 3.1/3.1.1 connection; v5 can say why in the acknowledgement
    conn.log.warn({ topic, err: denied.text }, "publish refused");
    if (conn.protocolVersion !== 5 || qos === 0) return conn.disconnect(REASON.NOT_AUTHORIZED);
    return ackPublish(conn, qos === 1 ? PUBACK : PUBREC, id, REASON.NOT_AUTHORIZED, null);
  }
  const r = route(conn, topic, payload, qos, retain, outProps);
  if (r === null || qos === 0) return;
  const reason = conn.protocolVersion === 5 && r.routed === 0 ? REASON.NO_MATCHING_SUBSCRIBERS : 0;
  // on disk before acknowledged: the client may drop its copy on PUBACK / PUBREC
  const durability = r.persisted > 0 ? conn.vhost!.durability : null;
  if (qos === 2) conn.session!.inboundQos2.add(id);
  ackPublish(conn, qos === 1 ? PUBACK : PUBREC, id, reason, durability);
}

/** QoS 1 publishes whose PUBACK waits for the disk, and QoS 2 ones until PUBREL. */
function inboundInFlight(conn: ConnectionContext): number {
  return (conn.heldAcks?.heldPubacks ?? 0) + conn.session!.inboundQos2Count;
}

function ackPublish(conn: ConnectionContext, firstByte: number, id: number, reason: number, durability: Durability | null): void {
  const held = conn.heldAcks;
  if (held === null && durability === null) return queueAck(conn.writer, firstByte, id, reason);
  (conn.heldAcks ??= new HeldAcks(conn.writer, () => conn.commitFailed())).ack(firstByte, id, reason, durability);
}

/** Routes one message through amq.topic; where it went, or null on failure. */
function route(
  conn: ConnectionContext,
  topic: string,
  payload: Buffer,
  qos: QoS,
  retain: boolean,
  props: IPublishPacket["properties"],
): PublishResult | null {
  const vhost = conn.vhost!;
  // a retained message may stay for days: it must not pin the whole socket read it came in
  if (retain) payload = Buffer.from(payload);
  const message = fromPublish(topic, payload, qos, retain, props, conn.client, vhost.timers.now(), conn.lastRoutingKey);
  if (retain) conn.ctx.retained.set(vhost.name, topic, message);
  const r = vhost.publish(MQTT_EXCHANGE, message.routingKey, message);
  if (r instanceof BrokerError) {
    conn.log.warn({ err: r.text }, "publish failed");
    conn.disconnect(REASON.UNSPECIFIED);
    return null;
  }
  return r;
}
