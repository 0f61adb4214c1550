/**
 * SUBSCRIBE (MQTT 3.1.1 §3.8, MQTT 5 §3.8): each filter checked, permitted and bound, SUBACK with
 * the granted QoS or a reason per filter, then the retained messages the new subscriptions match.
 */
import type { ISubscribePacket } from "mqtt-packet";
import { BrokerError } from "../../../src/core/index.js";
import type { ConnectionContext } from "../context.js";
import type { QoS } from "../message.js";
import { REASON } from "../reason-codes.js";
import type { MqttSession, SubscriptionOptions } from "../session.js";
import { filterToBindingKey, MQTT_EXCHANGE, parseSharedFilter, topicFilterProblem } from "../topics.js";

export function handleSubscribe(conn: ConnectionContext, p: ISubscribePacket): void {
  // `session!`: SUBSCRIBE is handed here only once CONNECT made the session
  const session = conn.session!;
  const v5 = conn.protocolVersion === 5;
  const granted: number[] = [];
  const retained: [string, SubscriptionOptions][] = [];
  const id = p.properties?.subscriptionIdentifier;
  for (const s of p.subscriptions) {
    const problem = topicFilterProblem(s.topic);
    const shared = parseSharedFilter(s.topic);
    if (problem || (s.topic.startsWith("$share/") && !shared)) {
      conn.log.info({ filter: s.topic, problem }, "invalid topic filter");
      granted.push(v5 ? REASON.TOPIC_FILTER_INVALID : REASON.UNSPECIFIED);
      continue;
    }
    if (shared && s.nl) {
      // [MQTT-3.8.3-4]: no-local on a shared subscription is a protocol error
      return conn.disconnect(REASON.PROTOCOL_ERROR);
    }
    const existed = session.subscriptions.has(s.topic);
    const options: SubscriptionOptions = {
      qos: Math.min(s.qos, 2) as QoS,
      noLocal: v5 && !!s.nl,
      retainAsPublished: v5 && !!s.rap,
      retainHandling: (v5 ? (s.rh ?? 0) : 0) as 0 | 1 | 2,
      id,
    };
    const denied = subscribeDenied(conn, session, s.topic, options.qos);
    if (denied) {
      conn.log.warn({ filter: s.topic, err: denied.text }, "subscribe refused");
      // RabbitMQ 3.10 closes a 3.1/3.1.1 connection on a refused subscription; v5 answers per filter
      if (!v5) return conn.disconnect(REASON.NOT_AUTHORIZED);
      granted.push(REASON.NOT_AUTHORIZED);
      continue;
    }
    const r = session.subscribe(s.topic, options);
    if (r instanceof BrokerError) {
      conn.log.warn({ filter: s.topic, err: r.text }, "subscribe failed");
      granted.push(v5 ? REASON.UNSPECIFIED : 0x80);
      continue;
    }
    granted.push(r);
    // v5 retain handling: 0 always, 1 only for a new subscription, 2 never; none for shared ones
    if (!shared && (options.retainHandling === 0 || (options.retainHandling === 1 && !existed))) {
      retained.push([s.topic, options]);
    }
  }
  // mqtt-packet decoded SUBSCRIBE, which always has a packet id
  conn.send({ cmd: "suback", messageId: p.messageId!, granted });
  if (session.persistent) conn.ctx.changed();
  for (const [filter, options] of retained) session.sendRetained(filter, options);
}

/**
 * A subscription needs what RabbitMQ's MQTT plugin needs for its queue and binding: configure
 * and write on the subscription queue, read on amq.topic and the topic read permission.
 */
function subscribeDenied(conn: ConnectionContext, session: MqttSession, filter: string, qos: QoS): BrokerError | null {
  const shared = parseSharedFilter(filter);
  const key = filterToBindingKey(shared ? shared.filter : filter);
  return conn.access.checkSubscribe(shared ? null : session.queueName(qos), MQTT_EXCHANGE, key);
}
