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
  /** queue.declare calls that were not passive (RabbitMQ counts them before the equivalence check). */
  queueDeclared = 0;
  /** Queues created by a declare (every client and the management API), and queues deleted. */
  queueCreated = 0;
  queueDeleted = 0;
  /** Publishes received on channels in confirm mode. */
  receivedConfirm = 0;
  /**
   * Messages dead-lettered (or dropped where the queue has no dead-letter exchange: strategy
   * `disabled`), by `<queue type>:<reason>:<strategy>`, as RabbitMQ's global counters split them.
   */
  readonly deadLettered = new Map<string, number>();

  countDeadLetter(queueType: string, reason: string, strategy: "at_most_once" | "disabled"): void {
    const k = `${queueType}:${reason}:${strategy}`;
    this.deadLettered.set(k, (this.deadLettered.get(k) ?? 0) + 1);
  }
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

/** What one channel published into one exchange (RabbitMQ's channel_exchange_metrics row). */
export class ExchangeFlow {
  publish = 0;
  confirm = 0;
  returned = 0;
  dropped = 0;
  constructor(readonly exchange: string) {}
}

/** What one channel took from one queue (RabbitMQ's channel_queue_metrics row). */
export class QueueFlow {
  /** Consumer deliveries needing an ack, and in no-ack mode. */
  deliver = 0;
  deliverNoAck = 0;
  /** basic.get answered with a message (ack required / no-ack), and on an empty queue. */
  get = 0;
  getNoAck = 0;
  getEmpty = 0;
  redeliver = 0;
  ack = 0;
  constructor(readonly queue: string) {}
}

/**
 * A channel's message flows by exchange and by queue, for per-channel metrics. The hot path asks
 * for the flow of the exchange or queue it just used; the last one is kept, so a channel that
 * keeps publishing to one exchange (or acking one queue's deliveries) does one comparison, not a
 * lookup. Confirms are attributed to exchanges in publish order through runs of publishes
 * (one entry per change of exchange, not per message).
 */
export class ChannelFlows {
  readonly exchanges = new Map<string, ExchangeFlow>();
  readonly queues = new Map<string, QueueFlow>();
  private lastExchange: ExchangeFlow | null = null;
  private lastQueue: QueueFlow | null = null;
  private readonly runFlows: ExchangeFlow[] = [];
  private readonly runCounts: number[] = [];
  private runHead = 0;

  exchange(name: string): ExchangeFlow {
    const last = this.lastExchange;
    if (last !== null && last.exchange === name) return last;
    let f = this.exchanges.get(name);
    if (f === undefined) this.exchanges.set(name, (f = new ExchangeFlow(name)));
    return (this.lastExchange = f);
  }

  queue(name: string): QueueFlow {
    const last = this.lastQueue;
    if (last !== null && last.queue === name) return last;
    let f = this.queues.get(name);
    if (f === undefined) this.queues.set(name, (f = new QueueFlow(name)));
    return (this.lastQueue = f);
  }

  /** A publish awaiting its confirm (confirm mode only). */
  awaitConfirm(flow: ExchangeFlow): void {
    const n = this.runFlows.length;
    if (n > this.runHead && this.runFlows[n - 1] === flow) this.runCounts[n - 1]!++;
    else {
      this.runFlows.push(flow);
      this.runCounts.push(1);
    }
  }

  /** `n` more publishes were settled, the oldest first: confirmed (acked), or nacked when not `acked`. */
  confirmed(n: number, acked = true): void {
    while (n > 0 && this.runHead < this.runFlows.length) {
      const i = this.runHead;
      const take = Math.min(n, this.runCounts[i]!);
      if (acked) this.runFlows[i]!.confirm += take;
      this.runCounts[i]! -= take;
      n -= take;
      if (this.runCounts[i] === 0) this.runHead++;
    }
    if (this.runHead === this.runFlows.length) {
      this.runFlows.length = 0;
      this.runCounts.length = 0;
      this.runHead = 0;
    } else if (this.runHead > 1024) {
      this.runFlows.splice(0, this.runHead);
      this.runCounts.splice(0, this.runHead);
      this.runHead = 0;
    }
  }
}
