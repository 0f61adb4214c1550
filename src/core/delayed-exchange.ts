/**
 * The delayed message exchange, as the rabbitmq-delayed-message-exchange plugin offers it:
 * exchange type `x-delayed-message`, routing as its `x-delayed-type` (direct, fanout, topic,
 * headers) once a message's `x-delay` header (milliseconds) has passed. A message without a
 * positive delay is routed at once. Delayed messages are held in one heap per exchange with one
 * timer for the earliest (never a timer per message); a durable exchange keeps them in the store,
 * so they survive a restart. On release the plugin negates the x-delay header, so consumers can
 * tell a message was delayed; Warren does the same.
 */
import { BrokerError, ReplyCode } from "./errors.js";
import {
  type Binding,
  createExchange,
  type Destination,
  EXCHANGE_TYPES,
  Exchange,
  type ExchangeOptions,
  type ExchangeType,
} from "./exchange.js";
import { integerValue, stringValue } from "./field-types.js";
import type { FieldTable, Message } from "./message.js";
import type { RecoveredStreamRecord, StreamStore } from "./durability.js";
import type { Clock, ClockTimer } from "./clock.js";

export const DELAYED_TYPE = "x-delayed-message";

/** The longest delay the plugin honours (its timers take 32 bits of milliseconds). */
const MAX_DELAY = 4294967295;

/**
 * What a delayed exchange needs from its vhost: the injected clock (tests drive 30-day delays on a
 * ManualClock; the system clock re-arms past setTimeout's 24.8-day limit), and a way to route a
 * released message.
 */
export interface DelayedHost {
  readonly timers: Clock;
  releaseDelayed(exchange: DelayedExchange, routingKey: string, message: Message): void;
}

interface Held {
  readonly due: number;
  readonly seq: number;
  readonly routingKey: string;
  readonly message: Message;
  readonly position: number;
}

/** The plugin's argument check: x-delayed-type must name another exchange type. */
export function checkDelayedType(args: FieldTable): ExchangeType | BrokerError {
  const v = args["x-delayed-type"];
  const t = v === undefined ? undefined : stringValue(v);
  if (t === DELAYED_TYPE) {
    return new BrokerError(ReplyCode.PRECONDITION_FAILED, "Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'");
  }
  if (t === undefined) {
    return new BrokerError(ReplyCode.PRECONDITION_FAILED, "Invalid argument, 'x-delayed-type' must be an existing exchange type");
  }
  if (!EXCHANGE_TYPES.includes(t)) return new BrokerError(ReplyCode.COMMAND_INVALID, `unknown exchange type '${t}'`);
  return t as ExchangeType;
}

/** x-delay in milliseconds: integers, or numeric strings as the plugin parses them; 0 when absent or not a number. */
export function delayOf(message: Message): number {
  const h = message.properties.headers;
  if (h === undefined) return 0;
  const v = h["x-delay"];
  if (v === undefined) return 0;
  let n = integerValue(v);
  if (n === undefined) {
    const s = stringValue(v);
    if (s !== undefined && /^-?\d+$/.test(s.trim())) n = Number(s.trim());
    else if (typeof v === "number") n = Math.trunc(v);
  }
  return n === undefined ? 0 : Math.min(n, MAX_DELAY);
}

export class DelayedExchange extends Exchange {
  /** Routes for the delayed type; it holds the same bindings. */
  readonly inner: Exchange;
  private readonly heap: Held[] = [];
  private seq = 0;
  private timer: ClockTimer | null = null;
  private readonly releaseBound = (): void => this.release();
  private timerDue = Infinity;
  private releasing = false;
  /** Where a durable exchange keeps its held messages (offset = sequence, timestamp = due time). */
  store: StreamStore | null = null;

  constructor(
    name: string,
    readonly delayedType: ExchangeType,
    options: ExchangeOptions,
    private readonly host: DelayedHost,
  ) {
    super(name, DELAYED_TYPE, options);
    this.inner = createExchange(name, delayedType, options);
  }

  override validateBinding(args: FieldTable): BrokerError | null {
    return this.inner.validateBinding(args);
  }

  /** Messages held for later. */
  get delayedCount(): number {
    return this.heap.length;
  }

  match(routingKey: string, message: Message, out: Destination[]): void {
    if (!this.releasing) {
      const delay = delayOf(message);
      if (delay > 0) {
        this.hold(this.host.timers.now() + delay, routingKey, message, -1);
        return;
      }
    }
    this.inner.match(routingKey, message, out);
  }

  protected indexBinding(b: Binding): void {
    this.inner.addBinding(b);
  }

  protected unindexBinding(b: Binding): void {
    this.inner.removeBinding(b.key);
  }

  /** Takes back a message the store held at shutdown. */
  restoreHeld(r: RecoveredStreamRecord): void {
    this.seq = Math.max(this.seq, r.offset + 1);
    const message = r.message();
    this.push({ due: r.timestamp, seq: r.offset, routingKey: message.routingKey, message, position: r.position });
    this.schedule();
  }

  private hold(due: number, routingKey: string, message: Message, position: number): void {
    const seq = this.seq++;
    const p = position >= 0 ? position : this.store !== null ? this.store.append(seq, due, message) : -1;
    this.push({ due, seq, routingKey, message, position: p });
    this.schedule();
  }

  /** One timer, for the earliest due message. */
  private schedule(): void {
    const head = this.heap[0];
    if (head === undefined) return this.stop();
    if (this.timer !== null && this.timerDue <= head.due) return;
    this.timer?.cancel();
    this.timerDue = head.due;
    this.timer = this.host.timers.schedule(this.releaseBound, head.due - this.host.timers.now());
  }

  private release(): void {
    this.timer = null;
    this.timerDue = Infinity;
    const now = this.host.timers.now();
    while (this.heap.length > 0 && this.heap[0]!.due <= now) {
      const h = this.pop();
      const p = h.message.properties;
      const released = h.message.withProperties({ ...p, headers: { ...p.headers, "x-delay": -delayOf(h.message) } });
      this.releasing = true;
      try {
        this.host.releaseDelayed(this, h.routingKey, released);
      } finally {
        this.releasing = false;
      }
      if (h.position >= 0) this.store?.ack(h.position);
    }
    this.schedule();
  }

  /** Stops the timer (the exchange was deleted or the broker is closing); held messages stay stored. */
  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.timerDue = Infinity;
  }

  /** The exchange was deleted: held messages go, and their storage. */
  destroy(): void {
    this.stop();
    this.heap.length = 0;
    this.store?.deleted();
    this.store = null;
  }

  // a binary min-heap on (due, seq): equal due times keep publish order
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
