/**
 * Time as the core sees it. The core never calls setTimeout or Date.now itself: queues take a
 * Clock from their vhost, so unit tests drive TTLs and queue expiry with a ManualClock.
 * A queue holds at most two timers (message expiry sweep, queue expiry), never one per message.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` from now; the callback should be a long-lived bound method. */
  schedule(callback: () => void, delayMs: number): ClockTimer;
}

export interface ClockTimer {
  cancel(): void;
}

/**
 * The longest delay setTimeout takes (2^31-1 ms, 24.8 days). Node turns anything longer into 1 ms
 * and prints a TimeoutOverflowWarning, so a user-supplied duration (an MQTT session expiry of
 * 999,999,999 s, an x-delay of 30 days) must never reach setTimeout unchecked.
 */
export const MAX_TIMER_MS = 2147483647;

/**
 * A wait longer than setTimeout's limit: armed in steps of at most MAX_TIMER_MS, each step
 * re-reading the clock, so the callback runs once the due time has really passed.
 */
class LongTimer implements ClockTimer {
  private handle: NodeJS.Timeout;
  private readonly step = (): void => this.arm();

  constructor(
    private readonly callback: () => void,
    private readonly due: number,
  ) {
    this.handle = this.armFor(due - Date.now());
  }

  private arm(): void {
    const left = this.due - Date.now();
    if (left <= 0) this.callback();
    else this.handle = this.armFor(left);
  }

  private armFor(left: number): NodeJS.Timeout {
    const t = left > MAX_TIMER_MS ? setTimeout(this.step, MAX_TIMER_MS) : setTimeout(this.step, Math.max(0, left));
    t.unref();
    return t;
  }

  cancel(): void {
    clearTimeout(this.handle);
  }
}

/** The real clock: Date.now and unref'd timers (an idle broker's queues never keep a process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(callback, delayMs) {
    if (delayMs > MAX_TIMER_MS) return new LongTimer(callback, Date.now() + delayMs);
    const t = setTimeout(callback, Math.max(0, delayMs));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface ManualTimer extends ClockTimer {
  at: number;
  callback: () => void;
  cancelled: boolean;
}

/** A clock that moves only when a test calls `advance`, firing due timers in time order. */
export class ManualClock implements Clock {
  private timers: ManualTimer[] = [];

  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  schedule(callback: () => void, delayMs: number): ClockTimer {
    const t: ManualTimer = {
      at: this.current + Math.max(0, delayMs),
      callback,
      cancelled: false,
      cancel: () => {
        t.cancelled = true;
      },
    };
    this.timers.push(t);
    return t;
  }

  /** Moves time forward by `ms`, running each timer that falls due at its own time. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | null = null;
      for (const t of this.timers) if (t.at <= end && (next === null || t.at < next.at)) next = t;
      if (next === null) break;
      this.current = Math.max(this.current, next.at);
      next.cancelled = true;
      next.callback();
    }
    this.current = end;
  }

  /** Timers still waiting (for tests asserting that a queue keeps only one). */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
