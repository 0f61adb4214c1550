/**
 * Messages held until a due time: a binary min-heap on (due, arrival) with one timer for the
 * earliest on the injected clock (never a timer per message; the system clock re-arms past
 * setTimeout's 24.8-day limit, so long delays are exact). The delayed exchange holds its delayed
 * messages here, OpenWire its scheduled ones (AMQ_SCHEDULED_DELAY). With a store, each held
 * message is appended to it (offset = arrival, timestamp = due time) and acked once released.
 *
 * An entry may carry a scheduled job (scheduled-jobs.ts: OpenWire's repeats and cron): the owner's
 * callback then says when the job fires next, and the entry is held again at that time (stored
 * anew before the old record is acked, so a crash between the two at worst fires it once more).
 */
import type { Clock, ClockTimer } from "./clock.js";
import type { RecoveredStreamRecord, StreamStore } from "./durability.js";
import type { Message } from "./message.js";
import { decodeJob, encodeJob, type Job } from "./scheduled-jobs.js";

interface Held {
  readonly due: number;
  readonly seq: number;
  readonly routingKey: string;
  readonly message: Message;
  readonly position: number;
  readonly job: Job | null;
}

/** A scheduled job as a client browsing the scheduler sees it: its message, its state, its next time. */
export interface ScheduledJobEntry {
  readonly message: Message;
  readonly job: Job;
  readonly due: number;
}

/**
 * A message is due (in due order; equal due times in arrival order). For an entry with a job:
 * the job's next time (the entry is held again then), or null when it is done.
 */
export type Release = (routingKey: string, message: Message, job: Job | null, now: number) => number | null;

export class HeldMessages {
  private readonly heap: Held[] = [];
  private seq = 0;
  private timer: ClockTimer | null = null;
  private readonly releaseBound = (): void => this.release();
  private timerDue = Infinity;
  /** Where held messages are kept across a restart; null keeps them in memory only. */
  store: StreamStore | null = null;

  constructor(
    private readonly timers: Clock,
    private readonly due: Release,
  ) {}

  get count(): number {
    return this.heap.length;
  }

  /** Holds `message` until `due` (clock ms); `persist`: kept in the store, if there is one. */
  hold(due: number, routingKey: string, message: Message, persist = true, job: Job | null = null): void {
    const seq = this.seq++;
    const position = persist && this.store !== null ? this.store.append(seq, due, message, job === null ? undefined : encodeJob(job)) : -1;
    this.push({ due, seq, routingKey, message, position, job });
    this.schedule();
  }

  /** Takes back a message the store held at shutdown (a job's past due time fires once, at once). */
  restore(r: RecoveredStreamRecord): void {
    this.seq = Math.max(this.seq, r.offset + 1);
    const message = r.message();
    const job = r.job === null ? null : decodeJob(r.job);
    this.push({ due: r.timestamp, seq: r.offset, routingKey: message.routingKey, message, position: r.position, job });
    this.schedule();
  }

  /**
   * Drops the entries `drop` picks (scheduled jobs removed by a client), and their records.
   * Returns how many went.
   */
  remove(drop: (job: Job | null, due: number) => boolean): number {
    const kept: Held[] = [];
    let removed = 0;
    for (const h of this.heap) {
      if (!drop(h.job, h.due)) kept.push(h);
      else {
        removed++;
        if (h.position >= 0) this.store?.ack(h.position);
      }
    }
    if (removed === 0) return 0;
    this.heap.length = 0;
    for (const h of kept) this.push(h);
    this.stop();
    this.schedule();
    return removed;
  }

  /** The scheduled jobs next due within [start, end], earliest first (each held entry with a job). */
  jobs(start: number, end: number): ScheduledJobEntry[] {
    const found = this.heap.filter((h) => h.job !== null && h.due >= start && h.due <= end);
    found.sort((a, b) => a.due - b.due || a.seq - b.seq);
    return found.map((h) => ({ message: h.message, job: h.job!, due: h.due }));
  }

  /** One timer, for the earliest due message. */
  private schedule(): void {
    const head = this.heap[0];
    if (head === undefined) return this.stop();
    if (this.timer !== null && this.timerDue <= head.due) return;
    this.timer?.cancel();
    this.timerDue = head.due;
    this.timer = this.timers.schedule(this.releaseBound, head.due - this.timers.now());
  }

  private release(): void {
    this.timer = null;
    this.timerDue = Infinity;
    const now = this.timers.now();
    while (this.heap.length > 0 && this.heap[0]!.due <= now) {
      const h = this.pop();
      const next = this.due(h.routingKey, h.message, h.job, now);
      // a job goes on: stored at its next time before its old record goes
      if (h.job !== null && typeof next === "number") this.hold(Math.max(next, now + 1), h.routingKey, h.message, h.position >= 0, h.job);
      if (h.position >= 0) this.store?.ack(h.position);
    }
    this.schedule();
  }

  /** Stops the timer (deleted, or the broker is closing); held messages stay stored. */
  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.timerDue = Infinity;
  }

  /** Deleted: held messages go, and their storage. */
  destroy(): void {
    this.stop();
    this.heap.length = 0;
    this.store?.deleted();
    this.store = null;
  }

  // a binary min-heap on (due, seq): equal due times keep arrival order
  private push(h: Held): void {
    const a = this.heap;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  private pop(): Held {
    const a = this.heap;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

const before = (x: Held, y: Held): boolean => x.due < y.due || (x.due === y.due && x.seq < y.seq);
