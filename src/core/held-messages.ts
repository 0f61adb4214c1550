/**
 * Messages held until a due time: a binary min-heap on (due, arrival) with one timer for the
 * earliest on the injected clock (never a timer per message; the system clock re-arms past
 * setTimeout's 24.8-day limit, so long delays are exact). The delayed exchange holds its delayed
 * messages here, OpenWire its scheduled ones (AMQ_SCHEDULED_DELAY). With a store, each held
 * message is appended to it (offset = arrival, timestamp = due time) and acked once released.
 */
import type { Clock, ClockTimer } from "./clock.js";
import type { RecoveredStreamRecord, StreamStore } from "./durability.js";
import type { Message } from "./message.js";

interface Held {
  readonly due: number;
  readonly seq: number;
  readonly routingKey: string;
  readonly message: Message;
  readonly position: number;
}

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
    /** A message is due (in due order; equal due times in arrival order). */
    private readonly due: (routingKey: string, message: Message) => void,
  ) {}

  get count(): number {
    return this.heap.length;
  }

  /** Holds `message` until `due` (clock ms); `persist`: kept in the store, if there is one. */
  hold(due: number, routingKey: string, message: Message, persist = true): void {
    const seq = this.seq++;
    const position = persist && this.store !== null ? this.store.append(seq, due, message) : -1;
    this.push({ due, seq, routingKey, message, position });
    this.schedule();
  }

  /** Takes back a message the store held at shutdown. */
  restore(r: RecoveredStreamRecord): void {
    this.seq = Math.max(this.seq, r.offset + 1);
    const message = r.message();
    this.push({ due: r.timestamp, seq: r.offset, routingKey: message.routingKey, message, position: r.position });
    this.schedule();
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
      this.due(h.routingKey, h.message);
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
