/**
 * STOMP destinations as RabbitMQ's STOMP plugin reads them (rabbit_routing_util:parse_endpoint),
 * with ActiveMQ's topic wildcards and composites on top. Each becomes an exchange + routing key to
 * publish to and, for SUBSCRIBE, a queue to consume from.
 */
import { type CompositeMember, compositePhysicalName, type DestinationKind, parseCompositeDestination } from "../../src/core/index.js";

export type Destination =
  | { kind: "queue"; name: string }
  | { kind: "topic"; name: string }
  | { kind: "exchange"; exchange: string; key: string }
  | { kind: "amqqueue"; name: string }
  | { kind: "temp-queue"; name: string }
  | { kind: "reply-queue"; name: string }
  | Composite;

/**
 * ActiveMQ's composite (`/queue/a,/queue/b`, `/queue/a,/topic/b`): a SEND goes to every member, a
 * SUBSCRIBE consumes the members of the composite's own kind (`of`, its first member's).
 * `original` is the original-destination header of the copies, as ActiveMQ 5.17 writes it.
 */
export interface Composite {
  kind: "composite";
  of: DestinationKind;
  members: readonly CompositeMember[];
  original: string;
}

const STOMP_MEMBER_PREFIXES = { queue: "/queue/", topic: "/topic/" } as const;

export interface DestinationError {
  readonly message: string;
  readonly detail: string;
}

const PREFIXES = "/temp-queue, /exchange, /topic, /queue, /amq/queue, /reply-queue/";

/** RabbitMQ percent-decodes names, so `/queue/a%2Fb` names queue "a/b". */
function decode(s: string): string {
  if (s.indexOf("%") === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseDestination(d: string): Destination | DestinationError {
  const invalid = (type: string, content: string): DestinationError => ({
    message: "Invalid destination",
    detail: `'${content}' is not a valid ${type} destination\n`,
  });
  const single = (prefix: string, type: string): string | DestinationError => {
    const rest = d.slice(prefix.length);
    // RabbitMQ quotes what follows the type word: "/queue/a/b" → "'/a/b' is not a valid queue destination"
    if (rest === "" || rest.includes("/")) return invalid(type, d.slice(prefix.length - 1));
    return decode(rest);
  };
  let r: string | DestinationError;
  if (d.indexOf(",") !== -1) {
    const c = compositeOf(d);
    if (c !== null) return c;
  }
  if (d.startsWith("/queue/")) {
    r = single("/queue/", "queue");
    return typeof r === "string" ? { kind: "queue", name: r } : r;
  }
  if (d.startsWith("/topic/")) {
    r = single("/topic/", "topic");
    return typeof r === "string" ? { kind: "topic", name: r } : r;
  }
  if (d.startsWith("/amq/queue/")) {
    r = single("/amq/queue/", "amqqueue");
    return typeof r === "string" ? { kind: "amqqueue", name: r } : r;
  }
  if (d.startsWith("/temp-queue/")) {
    r = single("/temp-queue/", "temp-queue");
    return typeof r === "string" ? { kind: "temp-queue", name: r } : r;
  }
  if (d.startsWith("/reply-queue/")) {
    r = single("/reply-queue/", "reply-queue");
    return typeof r === "string" ? { kind: "reply-queue", name: r } : r;
  }
  if (d.startsWith("/exchange/")) {
    const rest = d.slice("/exchange/".length);
    const slash = rest.indexOf("/");
    const exchange = slash === -1 ? rest : rest.slice(0, slash);
    const key = slash === -1 ? "" : rest.slice(slash + 1);
    if (exchange === "" || key.includes("/")) return invalid("exchange", rest);
    return { kind: "exchange", exchange: decode(exchange), key: decode(key) };
  }
  return {
    message: "Unknown destination",
    detail: `'${d}' is not a valid destination.\nValid destination types are: ${PREFIXES}.\n`,
  };
}

/**
 * `/queue/a,/topic/b` as ActiveMQ's composite, when a member after the first names its kind
 * (`/queue/` or `/topic/`) and no member has another slash: RabbitMQ refuses exactly those names,
 * so the ones it accepts keep its meaning (`/queue/a,b` is the queue "a,b", where ActiveMQ would
 * read a composite).
 */
function compositeOf(d: string): Composite | null {
  const of: DestinationKind | null = d.startsWith("/queue/") ? "queue" : d.startsWith("/topic/") ? "topic" : null;
  if (of === null) return null;
  const body = d.slice(7);
  const parts = body.split(",");
  let prefixed = false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i > 0 && (p.startsWith("/queue/") || p.startsWith("/topic/"))) {
      prefixed = true;
      if (p.indexOf("/", 7) !== -1) return null;
    } else if (p.indexOf("/") !== -1) return null;
  }
  if (!prefixed) return null;
  const c = parseCompositeDestination(of, body, STOMP_MEMBER_PREFIXES);
  if (c === null) return null;
  const members = c.members.map((m) => ({ kind: m.kind, name: decode(m.name) }));
  return { kind: "composite", of, members, original: `/${of}/${compositePhysicalName({ of, members })}` };
}

export const isDestinationError = (d: Destination | DestinationError): d is DestinationError => "message" in d;

/**
 * ActiveMQ's topic wildcards on dotted names: `*` is one word (as AMQP's), `>` is the rest (AMQP's `#`).
 * RabbitMQ users already write `#`, which passes through.
 */
export function topicBindingKey(name: string): string {
  if (name.indexOf(">") === -1) return name;
  return name
    .split(".")
    .map((w) => (w === ">" ? "#" : w))
    .join(".");
}

/** The destination header a MESSAGE carries, from where the message was published (RabbitMQ's rules). */
export function destinationFor(exchange: string, routingKey: string): string {
  if (exchange === "") return routingKey.startsWith("amq.gen") ? `/reply-queue/${routingKey}` : `/queue/${routingKey}`;
  if (exchange === "amq.topic") return `/topic/${routingKey}`;
  return routingKey === "" ? `/exchange/${exchange}` : `/exchange/${exchange}/${routingKey}`;
}
