/**
 * OpenWire destinations on the core, named as STOMP names them in ActiveMQ mode: `queue://x` is
 * STOMP's /queue/x (the durable queue x, published through the default exchange), `topic://x` is
 * /topic/x (amq.topic, routing key x, ActiveMQ's `>` wildcard as AMQP's `#`; each consumer gets
 * its own exclusive queue bound to it).
 */
import { ACTIVEMQ_MEMBER_PREFIXES, parseCompositeDestination } from "../../src/core/index.js";
import { type AnyActiveMQDestination, DataType, makeActiveMQQueue, makeActiveMQTopic } from "./codec/commands.generated.js";

/** `temp`: a temporary queue or topic (temp-destinations.ts), owned by one connection. */
export type Target = { kind: "queue"; name: string; temp: boolean } | { kind: "topic"; name: string; temp: boolean };

/**
 * A composite destination (`queue://a,queue://b`, physical name "a,b"): a send goes to every
 * member; a consumer consumes the members of its own kind (`of`), as ActiveMQ's does (a consumer
 * on queue://a,topic://b gets only a's messages).
 */
export interface Composite {
  kind: "composite";
  of: "queue" | "topic";
  members: readonly Target[];
}

/** Parsed composites by type and physical name: a producer's sends parse its name once. */
const composites = new Map<string, Composite | string>();
const COMPOSITES_KEPT = 1024;

/** A destination the front-end serves, or the reason it does not (an InvalidDestinationException's text). */
export function targetOf(d: AnyActiveMQDestination): Target | Composite | string {
  const name = d.physicalName ?? "";
  if (name === "") return "a destination needs a name";
  if (name.includes(",")) return compositeOf(d.dataType, name);
  switch (d.dataType) {
    case DataType.ActiveMQQueue:
      return { kind: "queue", name, temp: false };
    case DataType.ActiveMQTopic:
      return { kind: "topic", name, temp: false };
    case DataType.ActiveMQTempQueue:
      return { kind: "queue", name, temp: true };
    default:
      return { kind: "topic", name, temp: true };
  }
}

function compositeOf(type: number, name: string): Composite | string {
  const key = `${type}:${name}`;
  let c = composites.get(key);
  if (c === undefined) {
    c = parseComposite(type, name);
    if (composites.size >= COMPOSITES_KEPT) composites.clear();
    composites.set(key, c);
  }
  return c;
}

/** ActiveMQ's composite names (the core's parser): a member says `queue://` or `topic://`, or is of the composite's kind. */
function parseComposite(type: number, name: string): Composite | string {
  if (type !== DataType.ActiveMQQueue && type !== DataType.ActiveMQTopic) {
    return `composite temporary destinations (${name}) are not supported`;
  }
  const c = parseCompositeDestination(type === DataType.ActiveMQQueue ? "queue" : "topic", name, ACTIVEMQ_MEMBER_PREFIXES);
  if (c === null) return `the composite destination ${name} names no destination`;
  return { kind: "composite", of: c.of, members: c.members.map((m): Target => ({ kind: m.kind, name: m.name, temp: false })) };
}

/** ActiveMQ's advisory topics: only the temporary-destination ones carry anything (temp-destinations.ts). */
export function isAdvisory(d: AnyActiveMQDestination): boolean {
  return d.dataType === DataType.ActiveMQTopic && (d.physicalName ?? "").startsWith("ActiveMQ.Advisory.");
}

/** The exchange and routing key a message to `t` is published with. */
export function publishTarget(t: Target): [string, string] {
  return t.kind === "queue" ? ["", t.name] : ["amq.topic", t.name];
}

/** ActiveMQ's topic wildcards: `*` is one word as in AMQP, `>` the rest (AMQP's `#`). */
export function topicBindingKey(name: string): string {
  if (name.indexOf(">") === -1) return name;
  return name
    .split(".")
    .map((w) => (w === ">" ? "#" : w))
    .join(".");
}

/** The destination a message published to (exchange, key) arrived at, as an OpenWire destination. */
export function destinationOf(exchange: string, routingKey: string): AnyActiveMQDestination {
  return exchange === "" ? makeActiveMQQueue({ physicalName: routingKey }) : makeActiveMQTopic({ physicalName: routingKey });
}

/** JMSReplyTo as the other protocols carry it: STOMP's /queue/x and /topic/x. */
export function replyToText(d: AnyActiveMQDestination): string {
  const name = d.physicalName ?? "";
  switch (d.dataType) {
    case DataType.ActiveMQQueue:
      return `/queue/${name}`;
    case DataType.ActiveMQTopic:
      return `/topic/${name}`;
    case DataType.ActiveMQTempQueue:
      return `/temp-queue/${name}`;
    default:
      return `/temp-topic/${name}`;
  }
}

/** A reply-to text back as a destination (null for one that names none). */
export function replyToDestination(s: string): AnyActiveMQDestination | null {
  if (s.startsWith("/queue/")) return makeActiveMQQueue({ physicalName: s.slice(7) });
  if (s.startsWith("/topic/")) return makeActiveMQTopic({ physicalName: s.slice(7) });
  if (s.startsWith("/reply-queue/")) return makeActiveMQQueue({ physicalName: s.slice(13) });
  return null;
}

/** A destination as ActiveMQ prints it: queue://x, topic://x, temp-queue://x, temp-topic://x. */
export function destinationText(d: AnyActiveMQDestination): string {
  const name = d.physicalName ?? "";
  switch (d.dataType) {
    case DataType.ActiveMQQueue:
      return `queue://${name}`;
    case DataType.ActiveMQTopic:
      return `topic://${name}`;
    case DataType.ActiveMQTempQueue:
      return `temp-queue://${name}`;
    default:
      return `temp-topic://${name}`;
  }
}
