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
import type { Clock } from "./clock.js";
import { HeldMessages } from "./held-messages.js";

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
  private readonly held: HeldMessages;
  private releasing = false;

  constructor(
    name: string,
    readonly delayedType: ExchangeType,
    options: ExchangeOptions,
    private readonly host: DelayedHost,
  ) {
    super(name, DELAYED_TYPE, options);
    this.inner = createExchange(name, delayedType, options);
    this.held = new HeldMessages(host.timers, (routingKey, message) => {
      this.release(routingKey, message);
      return null;
    });
  }

  /** Where a durable exchange keeps its held messages (offset = sequence, timestamp = due time). */
  get store(): StreamStore | null {
    return this.held.store;
  }
  set store(s: StreamStore | null) {
    this.held.store = s;
  }

  override validateBinding(args: FieldTable): BrokerError | null {
    return this.inner.validateBinding(args);
  }

  /** Messages held for later. */
  get delayedCount(): number {
    return this.held.count;
  }

  match(routingKey: string, message: Message, out: Destination[]): void {
    if (!this.releasing) {
      const delay = delayOf(message);
      if (delay > 0) {
        this.held.hold(this.host.timers.now() + delay, routingKey, message);
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
    this.held.restore(r);
  }

  /** A held message is due: routed with its x-delay negated, as the plugin does. */
  private release(routingKey: string, message: Message): void {
    const p = message.properties;
    const released = message.withProperties({ ...p, headers: { ...p.headers, "x-delay": -delayOf(message) } });
    this.releasing = true;
    try {
      this.host.releaseDelayed(this, routingKey, released);
    } finally {
      this.releasing = false;
    }
  }

  /** Stops the timer (the exchange was deleted or the broker is closing); held messages stay stored. */
  stop(): void {
    this.held.stop();
  }

  /** The exchange was deleted: held messages go, and their storage. */
  destroy(): void {
    this.held.destroy();
  }
}
