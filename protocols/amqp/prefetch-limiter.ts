import type { Unacked } from "./unacked.js";

/**
 * basic.qos for one channel, with RabbitMQ 3.10's `global` semantics: a per-consumer count for
 * consumers created afterwards, and one channel-wide count whose volume is kept here, as
 * rabbit_limiter keeps it. The consumers read `global` and `volume` directly on every delivery.
 */
export class PrefetchLimiter {
  /** basic.qos global=false: applies to consumers created afterwards; 0 = unlimited. */
  consumerPrefetch = 0;
  /** basic.qos global=true: one limit shared by the whole channel; 0 = none. */
  global = 0;
  /**
   * What the channel-wide prefetch counts: consumer deliveries that need an ack, made while the
   * limit is set, less the consumer deliveries settled since. basic.get deliveries do not count
   * (though the unacked ones at the time the limit is set do).
   */
  volume = 0;

  /** basic.qos (prefetch-size already checked); `unacked` is what the channel holds now. */
  qos(prefetchCount: number, global: boolean, unacked: number): void {
    if (global && prefetchCount !== 0) {
      // rabbit_limiter:limit_prefetch: the count starts from what is unacked when the limit starts
      if (this.global === 0) this.volume = unacked;
      this.global = prefetchCount;
      return;
    }
    // RabbitMQ 3.10 quirk, observed: a per-consumer qos also lifts the channel-wide limit
    if (!global) this.consumerPrefetch = prefetchCount;
    this.global = 0;
    this.volume = 0;
  }

  /** Consumer deliveries were settled (ack, nack, reject, recover): the channel-wide limit frees up. */
  settled(settled: readonly Unacked[]): void {
    if (this.global === 0 || this.volume === 0) return;
    let n = 0;
    for (let i = 0; i < settled.length; i++) if (settled[i]!.consumer !== null) n++;
    // rabbit_limiter's ack: subtracted as is (never below zero only when it was zero)
    this.volume -= n;
  }
}
