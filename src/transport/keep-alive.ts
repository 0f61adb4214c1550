/** What the sweeper needs of a connection. */
export interface KeepAliveWatched {
  /** 1.5 × the client's keep-alive, in ms. */
  readonly keepAliveLimitMs: number;
  /** When the last bytes arrived (ms since the epoch). */
  readonly lastRead: number;
  keepAliveExpired(): void;
}

/** How often the sweeper looks: a silent client goes between 1.5 × keep-alive and that plus this. */
export const SWEEP_INTERVAL_MS = 500;

/**
 * [MQTT-3.1.2-24]: one timer for every connection's keep-alive instead of a timer per connection —
 * with thousands of idle clients a Timeout and its closure each would cost more than the rest of
 * the connection. Runs only while some connection has a keep-alive.
 */
export class KeepAliveSweeper {
  private readonly watched = new Set<KeepAliveWatched>();
  private timer: NodeJS.Timeout | null = null;

  watch(c: KeepAliveWatched): void {
    this.watched.add(c);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
      this.timer.unref();
    }
  }

  unwatch(c: KeepAliveWatched): void {
    if (!this.watched.delete(c) || this.watched.size > 0) return;
    this.stop();
  }

  /** Ends every connection silent for longer than its limit. */
  sweep(now: number): void {
    for (const c of this.watched) {
      if (now - c.lastRead < c.keepAliveLimitMs) continue;
      this.watched.delete(c);
      c.keepAliveExpired();
    }
    if (this.watched.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
