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

/** The real clock: Date.now and unref'd timers (an idle broker's queues never keep a process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(callback, delayMs) {
    // setTimeout's limit is 2^31-1 ms; a longer wait just re-checks when it fires
    const t = setTimeout(callback, Math.min(Math.max(0, delayMs), 2147483647));
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
      at: this.current + Math.max(0, delayMs), callback, cancelled: false,
      cancel: () => { t.cancelled = true; },
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
