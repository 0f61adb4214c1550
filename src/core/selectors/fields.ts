/**
 * What a selector's identifiers read from a queued message. JMS header names map onto the core
 * message's properties (AMQP 0-9-1 basic properties, whatever protocol published it), every other
 * identifier is a header (a message property). docs/compatibility.md has the table.
 */
import { type FieldValue, type Message, TypedField } from "../message.js";
import type { Value } from "./values.js";

/** What a selector looks at: a message and its delivery state in one queue (a QueueEntry). */
export interface SelectorSubject {
  readonly message: Message;
  /** Times handed out before (0 on the first delivery). */
  readonly deliveryCount: number;
  readonly redelivered: boolean;
}

export type Evaluator = (s: SelectorSubject) => Value;

/** A header value as a selector sees it: strings, numbers and booleans; anything else is unknown. */
export function fieldValue(v: FieldValue | undefined): Value {
  if (v === undefined || v === null) return null;
  const t = typeof v;
  if (t === "string" || t === "number" || t === "boolean") return v as string | number | boolean;
  if (v instanceof TypedField) {
    const x = v.value;
    if (typeof x === "number") return x;
    if (typeof x === "bigint") return Number(x);
    if (x instanceof Date) return null;
    return x.digits / 10 ** x.scale;
  }
  return null;
}

const deliveryMode: Evaluator = (s) => (s.message.properties.deliveryMode === 2 ? "PERSISTENT" : "NON_PERSISTENT");
const priority: Evaluator = (s) => s.message.properties.priority ?? 4;
const messageId: Evaluator = (s) => s.message.properties.messageId ?? null;
const correlationId: Evaluator = (s) => s.message.properties.correlationId ?? null;
const type: Evaluator = (s) => s.message.properties.type ?? null;
// AMQP timestamps are seconds; JMSTimestamp is milliseconds
const timestamp: Evaluator = (s) => {
  const t = s.message.properties.timestamp;
  return t === undefined ? null : Number(t) * 1000;
};
const redelivered: Evaluator = (s) => s.redelivered;
const deliveryCount: Evaluator = (s) => s.deliveryCount + 1;

/** JMS header identifiers (JMS 1.1 §3.8.1.1) and the JMSX properties ActiveMQ computes itself. */
const HEADERS: ReadonlyMap<string, Evaluator> = new Map([
  ["JMSDeliveryMode", deliveryMode],
  ["JMSPriority", priority],
  ["JMSMessageID", messageId],
  ["JMSCorrelationID", correlationId],
  ["JMSType", type],
  ["JMSTimestamp", timestamp],
  ["JMSRedelivered", redelivered],
  ["JMSXDeliveryCount", deliveryCount],
]);

/** The evaluator for an identifier, made once when the selector is compiled. */
export function identifier(name: string): Evaluator {
  return HEADERS.get(name) ?? ((s) => fieldValue(s.message.properties.headers?.[name]));
}
