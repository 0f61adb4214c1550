/** Will messages (MQTT 3.1.1 §3.1.2.5, MQTT 5 §3.1.3.2): what a connection leaves behind if it drops. */
import type { IConnectPacket, IPublishPacket } from "mqtt-packet";
import type { AccessControl, BrokerError, ClientRef, Clock, ClockTimer, VirtualHost } from "../../src/core/index.js";
import { fromPublish, type QoS } from "./message.js";
import type { RetainedStore } from "./retained.js";
import { filterToBindingKey, MQTT_EXCHANGE, topicNameProblem } from "./topics.js";

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: IPublishPacket["properties"];
  /** v5 will delay interval, seconds. */
  delay: number;
}

/** The will a CONNECT carries, or why its topic is unacceptable. */
export function willFromConnect(will: NonNullable<IConnectPacket["will"]>, version: number): Will | { problem: string } {
  const problem = topicNameProblem(will.topic);
  if (problem) return { problem };
  const { willDelayInterval, ...properties } = will.properties ?? {};
  return {
    topic: will.topic,
    payload: Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload),
    qos: (will.qos ?? 0) as QoS,
    retain: !!will.retain,
    properties: version === 5 ? (properties as IPublishPacket["properties"]) : undefined,
    delay: willDelayInterval ?? 0,
  };
}

/**
 * [MQTT-3.1.2-8]: publishes a will through amq.topic (and the retained store when it says retain).
 * The publish permission is checked when it goes out, as RabbitMQ does: a refused will is
 * dropped, and the refusal returned for the log.
 */
export function publishWill(
  will: Will,
  vhost: VirtualHost,
  access: AccessControl,
  client: ClientRef,
  retained: RetainedStore,
): BrokerError | null {
  const denied = access.checkPublish(MQTT_EXCHANGE, filterToBindingKey(will.topic));
  if (denied) return denied;
  const m = fromPublish(will.topic, will.payload, will.qos, will.retain, will.properties, client, vhost.timers.now());
  if (will.retain) retained.set(vhost.name, will.topic, m);
  vhost.publish(MQTT_EXCHANGE, m.routingKey, m);
  return null;
}

/**
 * Wills waiting out their v5 delay, by session key: a client that reconnects in time cancels its
 * will (MQTT 5 §3.1.3.2.2). The delay is up to 2^32-1 s, so the wait runs on the broker's clock,
 * which handles delays past setTimeout's 24.8 days (and lets tests drive it).
 */
export class PendingWills {
  private readonly timers = new Map<string, ClockTimer>();

  constructor(private readonly clock: Clock) {}

  schedule(key: string, seconds: number, publish: () => void): void {
    this.cancel(key);
    const t = this.clock.schedule(() => {
      this.timers.delete(key);
      publish();
    }, seconds * 1000);
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      t.cancel();
      this.timers.delete(key);
    }
  }

  clear(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }
}
