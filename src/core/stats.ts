/**
 * Monotonic message counters, RabbitMQ's `message_stats` (management API) and
 * `rabbitmq_global_messages_*_total` (Prometheus). Plain integer fields: the hot path only does
 * `counter++`; rates are computed by whoever samples them (the management listener).
 */
export class MessageCounters {
  /** Messages published into an exchange (RabbitMQ's `publish`; Prometheus `received`). */
  publish = 0;
  /** Publisher confirms sent (acks; nacks are not counted, as RabbitMQ's `confirm`). */
  confirm = 0;
  /** Publishes that reached no queue (returned or dropped). */
  unroutable = 0;
  /** Of those, returned to a mandatory publisher (counted by the front-end); the rest were dropped. */
  returnUnroutable = 0;
  /** Publishes that reached at least one queue. */
  routed = 0;
  /** Deliveries to consumers that must ack. */
  deliver = 0;
  /** Deliveries to consumers in no-ack mode. */
  deliverNoAck = 0;
  /** basic.get (and management get) answered with a message, ack required. */
  get = 0;
  /** basic.get answered with a message in no-ack mode. */
  getNoAck = 0;
  /** basic.get on an empty queue. */
  getEmpty = 0;
  /** Deliveries acknowledged by clients. */
  ack = 0;
  /** Deliveries of messages that had been delivered before. */
  redeliver = 0;
}

/** Counters a queue keeps about itself, for its row in the management API and its rates. */
export class QueueCounters {
  /** Messages enqueued. */
  publish = 0;
  deliver = 0;
  deliverNoAck = 0;
  get = 0;
  getNoAck = 0;
  ack = 0;
  redeliver = 0;
}
