import type { FieldTable, FieldValue, Message } from "./message.js";
import { normalizePattern, TopicTrie } from "./topic-trie.js";
import { TypedField } from "./message.js";
import type { Policy } from "./policies.js";
import { BrokerError, ReplyCode } from "./errors.js";
import { erlangTerm, rabbitType } from "./field-types.js";

export type ExchangeType = "direct" | "fanout" | "topic" | "headers";
export const EXCHANGE_TYPES: readonly string[] = ["direct", "fanout", "topic", "headers"];
/** An exchange's declared type: a built-in one, or the delayed message exchange's (delayed-exchange.ts). */
export type ExchangeKind = ExchangeType | "x-delayed-message";

/** Something a binding can point at: a queue or (exchange-to-exchange bindings) an exchange. */
export interface Destination {
  readonly kind: "queue" | "exchange";
  readonly name: string;
  /** Set by the vhost while routing one message so each destination gets it once. */
  routeEpoch: number;
}

export interface Binding {
  readonly source: Exchange;
  readonly destination: Destination;
  readonly routingKey: string;
  readonly args: FieldTable;
  /** Identity of the binding: RabbitMQ treats the same key with other arguments as another binding. */
  readonly key: string;
}

export interface ExchangeOptions {
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  args: FieldTable;
}

export abstract class Exchange implements Destination {
  readonly kind = "exchange" as const;
  routeEpoch = 0;
  /** Bindings with this exchange as the source, by binding key. */
  readonly bindings = new Map<string, Binding>();
  /**
   * Where messages this exchange cannot route go (RabbitMQ's alternate exchanges), by name; it
   * need not exist. Set from the `alternate-exchange` argument at declare time; the policy layer
   * assigns it when an `alternate-exchange` policy applies (the argument wins, as in RabbitMQ).
   */
  alternateExchange: string | null = null;
  /** The policy applying to this exchange now (its alternate-exchange counts where no argument names one). */
  policy: Policy | null = null;

  constructor(
    readonly name: string,
    readonly type: ExchangeKind,
    readonly options: ExchangeOptions,
  ) {
    const ae = options.args["alternate-exchange"];
    if (typeof ae === "string") this.alternateExchange = ae;
    else if (Buffer.isBuffer(ae)) this.alternateExchange = ae.toString("utf8");
  }

  get durable(): boolean {
    return this.options.durable;
  }
  get autoDelete(): boolean {
    return this.options.autoDelete;
  }
  get internal(): boolean {
    return this.options.internal;
  }

  addBinding(b: Binding): boolean {
    if (this.bindings.has(b.key)) return false;
    this.bindings.set(b.key, b);
    this.indexBinding(b);
    return true;
  }

  removeBinding(key: string): Binding | undefined {
    const b = this.bindings.get(key);
    if (!b) return undefined;
    this.bindings.delete(key);
    this.unindexBinding(b);
    return b;
  }

  /** Pushes every destination whose binding matches; may push one twice (the vhost dedupes). */
  abstract match(routingKey: string, message: Message, out: Destination[]): void;

  /** Refuses a binding whose arguments this type does not accept (RabbitMQ's validate_binding). */
  validateBinding(_args: FieldTable): BrokerError | null {
    return null;
  }
  protected abstract indexBinding(b: Binding): void;
  protected abstract unindexBinding(b: Binding): void;
}

/** A multimap from routing key to destinations, shared by direct and the default exchange. */
export class DirectExchange extends Exchange {
  private readonly byKey = new Map<string, Destination[]>();

  match(routingKey: string, _message: Message, out: Destination[]): void {
    const dests = this.byKey.get(routingKey);
    if (dests) for (let i = 0; i < dests.length; i++) out.push(dests[i]!);
  }
  protected indexBinding(b: Binding): void {
    const list = this.byKey.get(b.routingKey);
    if (list) list.push(b.destination);
    else this.byKey.set(b.routingKey, [b.destination]);
  }
  protected unindexBinding(b: Binding): void {
    const list = this.byKey.get(b.routingKey);
    if (!list) return;
    const i = list.indexOf(b.destination);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(b.routingKey);
  }
}

export class FanoutExchange extends Exchange {
  private dests: Destination[] = [];

  match(_routingKey: string, _message: Message, out: Destination[]): void {
    const d = this.dests;
    for (let i = 0; i < d.length; i++) out.push(d[i]!);
  }
  protected indexBinding(b: Binding): void {
    this.dests.push(b.destination);
  }
  protected unindexBinding(b: Binding): void {
    const i = this.dests.indexOf(b.destination);
    if (i >= 0) this.dests.splice(i, 1);
  }
}

export class TopicExchange extends Exchange {
  private readonly trie = new TopicTrie<Destination>();
  /** A destination bound by several patterns is in the trie once per pattern. */
  private readonly refs = new Map<string, number>();

  match(routingKey: string, _message: Message, out: Destination[]): void {
    const hit = this.trie.match(routingKey);
    for (let i = 0; i < hit.length; i++) out.push(hit[i]!);
  }
  protected indexBinding(b: Binding): void {
    const ref = refKey(b);
    this.refs.set(ref, (this.refs.get(ref) ?? 0) + 1);
    this.trie.add(b.routingKey, b.destination);
  }
  protected unindexBinding(b: Binding): void {
    const ref = refKey(b);
    const n = (this.refs.get(ref) ?? 1) - 1;
    if (n > 0) {
      // the same destination is still bound with the same pattern through other arguments
      this.refs.set(ref, n);
      return;
    }
    this.refs.delete(ref);
    this.trie.remove(b.routingKey, b.destination);
  }
}

// keyed by the pattern as the trie stores it: "#" and "#.#" share one trie entry
const refKey = (b: Binding) => `${b.destination.kind}\u0000${b.destination.name}\u0000${normalizePattern(b.routingKey)}`;

/**
 * Headers exchange (AMQP 0-9-1 §3.1.3.4) with RabbitMQ 3.10's `x-match` values: all, any,
 * all-with-x and any-with-x (the last two also compare `x-` prefixed headers).
 */
export class HeadersExchange extends Exchange {
  override validateBinding(args: FieldTable): BrokerError | null {
    return headersBindingProblem(args);
  }
  match(_routingKey: string, message: Message, out: Destination[]): void {
    if (this.bindings.size === 0) return;
    const headers = message.properties.headers ?? {};
    for (const b of this.bindings.values()) if (headersMatch(b.args, headers)) out.push(b.destination);
  }
  protected indexBinding(): void {}
  protected unindexBinding(): void {}
}

const X_MATCH_MODES = new Set(["all", "any", "all-with-x", "any-with-x"]);

/** RabbitMQ 3.10's validate_binding for headers exchanges: `x-match`, if given, is one of its four words. */
export function headersBindingProblem(args: FieldTable): BrokerError | null {
  const v = args["x-match"];
  if (v === undefined) return null;
  if (typeof v === "string") {
    if (X_MATCH_MODES.has(v)) return null;
    return new BrokerError(
      ReplyCode.PRECONDITION_FAILED,
      `Invalid x-match field value ${erlangTerm(v)}; expected all, any, all-with-x, or any-with-x`,
    );
  }
  return new BrokerError(
    ReplyCode.PRECONDITION_FAILED,
    `Invalid x-match field type ${rabbitType(v)} (value ${erlangTerm(v)}); expected longstr`,
  );
}

export function headersMatch(args: FieldTable, headers: FieldTable): boolean {
  const mode = typeof args["x-match"] === "string" ? (args["x-match"] as string) : "all";
  const any = mode === "any" || mode === "any-with-x";
  const withX = mode.endsWith("-with-x");
  for (const key of Object.keys(args)) {
    if (key === "x-match") continue;
    if (!withX && key.startsWith("x-")) continue;
    const pattern = args[key]!;
    const present = Object.prototype.hasOwnProperty.call(headers, key);
    // A void pattern value means "present with any value" (RabbitMQ's reading of the spec).
    const ok = present && (pattern === null || fieldEquals(pattern, headers[key]!));
    if (any && ok) return true;
    if (!any && !ok) return false;
  }
  return !any;
}

/** Value equality as Erlang's == on RabbitMQ's decoded table values (numbers compare across widths). */
export function fieldEquals(a: FieldValue, b: FieldValue): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined || nb !== undefined) return na !== undefined && nb !== undefined && na == nb;
  if (Buffer.isBuffer(a) && typeof b === "string") return a.toString() === b;
  if (Buffer.isBuffer(b) && typeof a === "string") return b.toString() === a;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => fieldEquals(v, b[i]!));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a as FieldTable);
    const kb = Object.keys(b as FieldTable);
    return ka.length === kb.length && ka.every((k) => k in (b as FieldTable) && fieldEquals((a as FieldTable)[k]!, (b as FieldTable)[k]!));
  }
  return a === b;
}

function numeric(v: FieldValue): number | bigint | undefined {
  if (typeof v === "number" || typeof v === "bigint") return v;
  if (v instanceof TypedField && (typeof v.value === "number" || typeof v.value === "bigint")) return v.value;
  return undefined;
}

export function createExchange(name: string, type: ExchangeType, options: ExchangeOptions): Exchange {
  switch (type) {
    case "direct":
      return new DirectExchange(name, type, options);
    case "fanout":
      return new FanoutExchange(name, type, options);
    case "topic":
      return new TopicExchange(name, type, options);
    case "headers":
      return new HeadersExchange(name, type, options);
  }
}

/** Canonical text of binding arguments, so equal tables give equal binding keys. */
export function bindingKey(destination: Destination, routingKey: string, args: FieldTable): string {
  return `${destination.kind}\u0000${destination.name}\u0000${routingKey}\u0000${canonical(args)}`;
}

function canonical(v: FieldValue): string {
  if (v === null) return "V";
  if (Buffer.isBuffer(v)) return `x${v.toString("hex")}`;
  if (v instanceof Date) return `T${v.getTime()}`;
  if (v instanceof TypedField) return `${v.type}${JSON.stringify(v.value, (_k, x) => (typeof x === "bigint" ? x.toString() : x))}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as FieldTable)[k]!)}`)
      .join(",")}}`;
  }
  return `${typeof v}:${String(v)}`;
}
