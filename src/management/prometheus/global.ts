/**
 * RabbitMQ 3.10's global counters (rabbit_global_counters, `rabbitmq_global_*`), which
 * `/metrics` and `/metrics/per-object` both serve: message counters by protocol and queue type,
 * dead-lettering by queue type, reason and strategy. RabbitMQ's MQTT and STOMP plugins run over
 * internal AMQP 0-9-1 channels, so their traffic is counted under `amqp091` there too; Warren
 * counts every protocol's the same way. Warren's counters are node-wide, not kept by queue type:
 * everything is counted under `rabbit_classic_queue` and the other types read 0.
 */
import type { MessageCounters } from "../../core/index.js";
import type { TextWriter } from "./text.js";

const QUEUE_TYPES = ["rabbit_classic_queue", "rabbit_quorum_queue", "rabbit_stream_queue"] as const;

/** Queue types, reasons and strategies RabbitMQ 3.10 keeps a dead-letter counter for (others cannot happen there). */
const DEAD_LETTERED: readonly [metric: string, reason: string, help: string, combos: readonly [string, string][]][] = [
  ["confirmed", "", "Total number of messages dead-lettered and confirmed by target queues", [["rabbit_quorum_queue", "at_least_once"]]],
  [
    "delivery_limit",
    "delivery_limit",
    "Total number of messages dead-lettered due to delivery-limit exceeded",
    [
      ["rabbit_quorum_queue", "at_least_once"],
      ["rabbit_quorum_queue", "at_most_once"],
      ["rabbit_quorum_queue", "disabled"],
    ],
  ],
  [
    "expired",
    "expired",
    "Total number of messages dead-lettered due to message TTL exceeded",
    [
      ["rabbit_classic_queue", "at_most_once"],
      ["rabbit_classic_queue", "disabled"],
      ["rabbit_quorum_queue", "at_least_once"],
      ["rabbit_quorum_queue", "at_most_once"],
      ["rabbit_quorum_queue", "disabled"],
    ],
  ],
  [
    "maxlen",
    "maxlen",
    "Total number of messages dead-lettered due to overflow drop-head or reject-publish-dlx",
    [
      ["rabbit_classic_queue", "at_most_once"],
      ["rabbit_classic_queue", "disabled"],
      ["rabbit_quorum_queue", "at_most_once"],
      ["rabbit_quorum_queue", "disabled"],
    ],
  ],
  [
    "rejected",
    "rejected",
    "Total number of messages dead-lettered due to basic.reject or basic.nack",
    [
      ["rabbit_classic_queue", "at_most_once"],
      ["rabbit_classic_queue", "disabled"],
      ["rabbit_quorum_queue", "at_least_once"],
      ["rabbit_quorum_queue", "at_most_once"],
      ["rabbit_quorum_queue", "disabled"],
    ],
  ],
];

/** Warren's queue type name → RabbitMQ's module name, as the counters label it. */
const TYPE_LABEL: Record<string, string> = {
  classic: "rabbit_classic_queue",
  quorum: "rabbit_quorum_queue",
  stream: "rabbit_stream_queue",
};

export interface GlobalReadings {
  readonly counters: MessageCounters;
  readonly consumers: number;
  /** Channels that have published. */
  readonly publishers: number;
}

/** Writes the `rabbitmq_global_*` families, in RabbitMQ's (alphabetical) order. */
export function writeGlobalCounters(w: TextWriter, g: GlobalReadings): void {
  const c = g.counters;
  const P = 'protocol="amqp091"';
  const byType = (name: string, help: string, classic: number): void => {
    w.family(name, "counter", help);
    for (const t of QUEUE_TYPES) w.sample(name, `${P},queue_type="${t}"`, t === "rabbit_classic_queue" ? classic : 0);
  };
  const plain = (name: string, type: "counter" | "gauge", help: string, v: number): void => {
    w.family(name, type, help);
    w.sample(name, P, v);
  };
  plain("rabbitmq_global_consumers", "gauge", "Current number of consumers", g.consumers);
  byType("rabbitmq_global_messages_acknowledged_total", "Total number of messages acknowledged by consumers", c.ack);
  plain("rabbitmq_global_messages_confirmed_total", "counter", "Total number of messages confirmed to publishers", c.confirm);
  const dead = new Map<string, number>();
  for (const [k, v] of c.deadLettered) {
    const [type, reason, strategy] = k.split(":");
    const key = `${TYPE_LABEL[type!] ?? "rabbit_classic_queue"}:${reason}:${strategy}`;
    dead.set(key, (dead.get(key) ?? 0) + v);
  }
  for (const [metric, reason, help, combos] of DEAD_LETTERED) {
    const name = `rabbitmq_global_messages_dead_lettered_${metric}_total`;
    w.family(name, "counter", help);
    for (const [type, strategy] of combos) {
      w.sample(name, `queue_type="${type}",dead_letter_strategy="${strategy}"`, dead.get(`${type}:${reason}:${strategy}`) ?? 0);
    }
  }
  byType(
    "rabbitmq_global_messages_delivered_consume_auto_ack_total",
    "Total number of messages delivered to consumers using basic.consume with automatic acknowledgment",
    c.deliverNoAck,
  );
  byType(
    "rabbitmq_global_messages_delivered_consume_manual_ack_total",
    "Total number of messages delivered to consumers using basic.consume with manual acknowledgment",
    c.deliver,
  );
  byType(
    "rabbitmq_global_messages_delivered_get_auto_ack_total",
    "Total number of messages delivered to consumers using basic.get with automatic acknowledgment",
    c.getNoAck,
  );
  byType(
    "rabbitmq_global_messages_delivered_get_manual_ack_total",
    "Total number of messages delivered to consumers using basic.get with manual acknowledgment",
    c.get,
  );
  byType(
    "rabbitmq_global_messages_delivered_total",
    "Total number of messages delivered to consumers",
    c.deliver + c.deliverNoAck + c.get + c.getNoAck,
  );
  byType("rabbitmq_global_messages_get_empty_total", "Total number of times basic.get operations fetched no message", c.getEmpty);
  plain(
    "rabbitmq_global_messages_received_confirm_total",
    "counter",
    "Total number of messages received from publishers expecting confirmations",
    c.receivedConfirm,
  );
  plain("rabbitmq_global_messages_received_total", "counter", "Total number of messages received from publishers", c.publish);
  byType("rabbitmq_global_messages_redelivered_total", "Total number of messages redelivered to consumers", c.redeliver);
  plain("rabbitmq_global_messages_routed_total", "counter", "Total number of messages routed to queues or streams", c.routed);
  plain(
    "rabbitmq_global_messages_unroutable_dropped_total",
    "counter",
    "Total number of messages published as non-mandatory into an exchange and dropped as unroutable",
    c.unroutable - c.returnUnroutable,
  );
  plain(
    "rabbitmq_global_messages_unroutable_returned_total",
    "counter",
    "Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable",
    c.returnUnroutable,
  );
  plain("rabbitmq_global_publishers", "gauge", "Current number of publishers", g.publishers);
}
