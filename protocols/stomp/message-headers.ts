/**
 * STOMP headers ↔ the core's neutral MessageProperties, as RabbitMQ's STOMP plugin maps them
 * (rabbit_stomp_util:message_properties / message_headers). AMQP's message-id travels as
 * `amqp-message-id` because STOMP's own `message-id` names the delivery for ACK.
 */
import type { FieldTable, FieldValue, MessageProperties } from "../../src/core/index.js";
import { TypedField } from "../../src/core/index.js";
import type { HeaderList } from "./frame-encoder.js";
import type { StompHeaders } from "./frame-parser.js";

/**
 * Headers that never become entries of the headers table: the frame's own destination and length,
 * and those that map to AMQP properties. Others that steer a SEND (receipt, transaction, id, ack,
 * subscription) do travel in the table, as RabbitMQ 3.10 keeps them (checked on a node: a MESSAGE
 * carries the SEND's `receipt`, after its own headers so its own win).
 */
const FRAME_HEADERS = new Set([
  "destination",
  "content-length",
  "message-id",
  "content-type",
  "content-encoding",
  "persistent",
  "priority",
  "correlation-id",
  "reply-to",
  "expiration",
  "amqp-message-id",
  "timestamp",
  "type",
  "user-id",
  "app-id",
]);

function intHeader(v: string | undefined): number | undefined {
  if (v === undefined || !/^\s*-?\d+\s*$/.test(v)) return undefined;
  return Number(v);
}

/**
 * The timestamp header as AMQP's unsigned 64-bit timestamp property: exact, a bigint past 2^53;
 * undefined for anything that is not one.
 */
function timestampHeader(v: string | undefined): number | bigint | undefined {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  if (Number.isSafeInteger(n)) return n;
  const b = BigInt(v.trim());
  return b < 2n ** 64n ? b : undefined;
}

/**
 * The properties of a SEND whose headers stand for none, shared: a queued message then holds no
 * object of its own for them (a SEND usually has only a destination and a length). Frozen, so a
 * change meant for one message fails loudly instead of reaching every other.
 */
const NO_PROPERTIES: MessageProperties = Object.freeze({});

/**
 * The properties a SEND frame's headers stand for; unknown headers become the AMQP headers table.
 * One pass over the headers (a SEND usually has two or three), then the properties in a fixed order.
 * The names the switch takes out of the table are FRAME_HEADERS.
 */
export function propertiesFromSend(h: StompHeaders): MessageProperties {
  let contentType: string | undefined;
  let contentEncoding: string | undefined;
  let persistent: string | undefined;
  let priority: string | undefined;
  let correlationId: string | undefined;
  let replyTo: string | undefined;
  let expiration: string | undefined;
  let messageId: string | undefined;
  let timestamp: string | undefined;
  let type: string | undefined;
  let userId: string | undefined;
  let appId: string | undefined;
  let table: FieldTable | undefined;
  for (const k in h) {
    const v = h[k]!;
    switch (k) {
      case "destination":
      case "content-length":
      case "message-id":
        break;
      case "content-type":
        contentType = v;
        break;
      case "content-encoding":
        contentEncoding = v;
        break;
      case "persistent":
        persistent = v;
        break;
      case "priority":
        priority = v;
        break;
      case "correlation-id":
        correlationId = v;
        break;
      case "reply-to":
        replyTo = v;
        break;
      case "expiration":
        expiration = v;
        break;
      case "amqp-message-id":
        messageId = v;
        break;
      case "timestamp":
        timestamp = v;
        break;
      case "type":
        type = v;
        break;
      case "user-id":
        userId = v;
        break;
      case "app-id":
        appId = v;
        break;
      default:
        (table ??= {})[k] = v;
    }
  }
  let p: MessageProperties | null = null;
  if (contentType !== undefined) (p ??= {}).contentType = contentType;
  if (contentEncoding !== undefined) (p ??= {}).contentEncoding = contentEncoding;
  if (persistent !== undefined && persistent.toLowerCase() === "true") (p ??= {}).deliveryMode = 2;
  const prio = intHeader(priority);
  if (prio !== undefined) (p ??= {}).priority = prio;
  if (correlationId !== undefined) (p ??= {}).correlationId = correlationId;
  if (replyTo !== undefined) (p ??= {}).replyTo = replyTo;
  if (expiration !== undefined) (p ??= {}).expiration = expiration;
  if (messageId !== undefined) (p ??= {}).messageId = messageId;
  const ts = timestampHeader(timestamp);
  if (ts !== undefined) (p ??= {}).timestamp = ts;
  if (type !== undefined) (p ??= {}).type = type;
  if (userId !== undefined) (p ??= {}).userId = userId;
  if (appId !== undefined) (p ??= {}).appId = appId;
  if (table !== undefined) (p ??= {}).headers = table;
  return p ?? NO_PROPERTIES;
}

/** A header table value as text, or null for values STOMP cannot carry (tables, arrays, binary). */
function headerText(v: FieldValue): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof TypedField) {
    const x = v.value;
    if (typeof x === "number" || typeof x === "bigint") return String(x);
    if (x instanceof Date) return String(Math.floor(x.getTime() / 1000));
    return null;
  }
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  return null;
}

/** Appends the headers a MESSAGE carries for these properties. */
export function headersFromProperties(p: MessageProperties, out: [string, string][]): void {
  if (p.contentType !== undefined) out.push(["content-type", p.contentType]);
  if (p.contentEncoding !== undefined) out.push(["content-encoding", p.contentEncoding]);
  if (p.deliveryMode === 2) out.push(["persistent", "true"]);
  if (p.priority !== undefined) out.push(["priority", String(p.priority)]);
  if (p.correlationId !== undefined) out.push(["correlation-id", p.correlationId]);
  if (p.replyTo !== undefined) out.push(["reply-to", p.replyTo]);
  if (p.expiration !== undefined) out.push(["expiration", p.expiration]);
  if (p.messageId !== undefined) out.push(["amqp-message-id", p.messageId]);
  if (p.timestamp !== undefined) out.push(["timestamp", String(p.timestamp)]);
  if (p.type !== undefined) out.push(["type", p.type]);
  if (p.userId !== undefined) out.push(["user-id", p.userId]);
  if (p.appId !== undefined) out.push(["app-id", p.appId]);
  const t = p.headers;
  if (t !== undefined) {
    for (const k in t) {
      if (FRAME_HEADERS.has(k)) continue;
      const s = headerText(t[k]!);
      if (s !== null) out.push([k, s]);
    }
  }
}

/** Queue arguments RabbitMQ reads as integers when they come in as STOMP header text. */
const INTEGER_ARGS = new Set(["x-message-ttl", "x-expires", "x-max-length", "x-max-length-bytes", "x-max-priority", "x-delivery-limit"]);

/** `x-` headers on SUBSCRIBE become queue arguments (x-queue-name names the queue instead). */
export function queueArguments(h: StompHeaders): FieldTable {
  const args: FieldTable = {};
  for (const k in h) {
    if (!k.startsWith("x-") || k === "x-queue-name") continue;
    const v = h[k]!;
    const n = intHeader(v);
    args[k] = INTEGER_ARGS.has(k) && n !== undefined ? n : v;
  }
  return args;
}

export type { HeaderList };

/** A true/false header (durable, auto-delete, persistent, requeue…): "true" in any case is true. */
export function boolHeader(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return v.toLowerCase() === "true";
}
