/**
 * OpenWire destinations on the core, named as STOMP names them in ActiveMQ mode: `queue://x` is
 * STOMP's /queue/x (the durable queue x, published through the default exchange), `topic://x` is
 * /topic/x (amq.topic, routing key x, ActiveMQ's `>` wildcard as AMQP's `#`; each consumer gets
 * its own exclusive queue bound to it).
 */
import { type AnyActiveMQDestination, DataType, makeActiveMQQueue, makeActiveMQTopic } from "./codec/commands.generated.js";

/** `temp`: a temporary queue or topic (temp-destinations.ts), owned by one connection. */
export type Target = { kind: "queue"; name: string; temp: boolean } | { kind: "topic"; name: string; temp: boolean };

/** A destination the front-end serves, or the reason it does not (an InvalidDestinationException's text). */
export function targetOf(d: AnyActiveMQDestination): Target | string {
  const name = d.physicalName ?? "";
  if (name === "") return "a destination needs a name";
  if (name.includes(",")) return `composite destinations (${name}) are not supported`;
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
