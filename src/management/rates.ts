import type { Broker, Queue } from "../core/index.js";
import { MessageCounters, QueueCounters } from "../core/index.js";

/** RabbitMQ's collect_statistics_interval: how often counters are sampled for rates. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 5000;

interface QueueSample {
  counters: QueueCounters;
  ready: number;
  unacked: number;
}

export interface QueueRates {
  counters: Partial<Record<keyof QueueCounters, number>>;
  ready: number;
  unacked: number;
}

/** The plain counters of MessageCounters (not its dead-letter breakdown). */
export type CounterName = { [K in keyof MessageCounters]: MessageCounters[K] extends number ? K : never }[keyof MessageCounters];

const copyCounters = <T extends object>(c: T, into: T): T => Object.assign(into, c);

/**
 * Turns the core's monotonic counters into per-second rates: one timer samples them every
 * interval, and a rate is the change between the last two samples. Nothing here touches the hot
 * path; queues are sampled only while the management listener runs.
 */
export class RateSampler {
  private timer: NodeJS.Timeout | null = null;
  private prevAt = 0;
  private lastAt = 0;
  private prevGlobal = new MessageCounters();
  private lastGlobal = new MessageCounters();
  private prevQueues = new WeakMap<Queue, QueueSample>();
  private lastQueues = new WeakMap<Queue, QueueSample>();

  constructor(
    private readonly broker: Broker,
    readonly intervalMs = DEFAULT_SAMPLE_INTERVAL_MS,
  ) {
    this.sample();
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes a sample now (the timer does this every interval; tests call it directly). */
  sample(now = Date.now()): void {
    this.prevAt = this.lastAt;
    this.prevGlobal = this.lastGlobal;
    this.lastGlobal = copyCounters(this.broker.counters, new MessageCounters());
    this.lastAt = now;
    const prevQueues = this.lastQueues;
    const lastQueues = new WeakMap<Queue, QueueSample>();
    for (const v of this.broker.listVhosts()) {
      for (const q of v.queues.values()) {
        lastQueues.set(q, {
          counters: copyCounters(q.counters, new QueueCounters()),
          ready: q.messageCount,
          unacked: q.unackedMessageCount,
        });
      }
    }
    this.prevQueues = prevQueues;
    this.lastQueues = lastQueues;
  }

  private get seconds(): number {
    return this.prevAt === 0 ? 0 : (this.lastAt - this.prevAt) / 1000;
  }

  private rate(now: number, before: number): number {
    const s = this.seconds;
    return s > 0 ? Math.max(0, Math.round(((now - before) / s) * 10) / 10) : 0;
  }

  /** Broker-wide rates, by counter name. */
  globalRate(key: CounterName): number {
    return this.rate(this.lastGlobal[key], this.prevGlobal[key]);
  }

  /** A queue's rates (counters and depth changes per second); zeros until it was sampled twice. */
  queueRates(q: Queue): QueueRates {
    const last = this.lastQueues.get(q);
    const prev = this.prevQueues.get(q);
    if (last === undefined || prev === undefined) return { counters: {}, ready: 0, unacked: 0 };
    const counters: Partial<Record<keyof QueueCounters, number>> = {};
    for (const k of Object.keys(last.counters) as (keyof QueueCounters)[]) counters[k] = this.rate(last.counters[k], prev.counters[k]);
    return { counters, ready: this.signedRate(last.ready, prev.ready), unacked: this.signedRate(last.unacked, prev.unacked) };
  }

  private signedRate(now: number, before: number): number {
    const s = this.seconds;
    return s > 0 ? Math.round(((now - before) / s) * 10) / 10 : 0;
  }
}
