/**
 * Queue types (x-queue-type classic, quorum, stream) as RabbitMQ 3.10 declares them: which `x-`
 * arguments each type takes and which queue properties it forbids. Checked on RabbitMQ 3.10.5:
 * the generic value checks (queue-arguments.ts) run first, then the first argument, in the
 * client's table order, that another type knows but this one does not, then the properties
 * (auto-delete, exclusive, non-durable, in that order).
 */
import { BrokerError, describe, ReplyCode } from "./errors.js";
import type { FieldTable } from "./message.js";
import type { QueueType } from "./queue-arguments.js";

/** rabbit_queue_type:arguments(queue_arguments, Type) for each type. */
const SUPPORTED: Record<QueueType, ReadonlySet<string>> = {
  classic: new Set([
    "x-expires",
    "x-message-ttl",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-priority",
    "x-overflow",
    "x-queue-mode",
    "x-single-active-consumer",
    "x-queue-type",
    "x-queue-master-locator",
  ]),
  quorum: new Set([
    "x-expires",
    "x-message-ttl",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-in-memory-length",
    "x-max-in-memory-bytes",
    "x-overflow",
    "x-single-active-consumer",
    "x-queue-type",
    "x-quorum-initial-group-size",
    "x-delivery-limit",
    "x-dead-letter-strategy",
    "x-queue-leader-locator",
  ]),
  stream: new Set([
    "x-queue-type",
    "x-max-length-bytes",
    "x-max-age",
    "x-stream-max-segment-size-bytes",
    "x-initial-cluster-size",
    "x-queue-leader-locator",
  ]),
};

/** Arguments some type knows: only these can be "invalid for this type"; others (x-foo) are ignored. */
const KNOWN = new Set([...SUPPORTED.classic, ...SUPPORTED.quorum, ...SUPPORTED.stream]);

/** RabbitMQ's module names, as its error texts print them. */
const MODULE: Record<QueueType, string> = {
  classic: "rabbit_classic_queue",
  quorum: "rabbit_quorum_queue",
  stream: "rabbit_stream_queue",
};

export interface TypedQueueDeclare {
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  /** The client asked the server to name the queue. */
  serverNamed: boolean;
}

/** RabbitMQ's refusal of a server-named quorum or stream queue (checked before anything else). */
export function checkServerNamed(type: string | undefined): BrokerError | null {
  if (type !== "quorum" && type !== "stream") return null;
  return new BrokerError(ReplyCode.PRECONDITION_FAILED, `Cannot declare a server-named queue for type ${MODULE[type]}`);
}

/** The per-type argument and property checks, after the generic value checks passed. */
export function checkQueueType(type: QueueType, args: FieldTable, d: TypedQueueDeclare, queue: string, vhost: string): BrokerError | null {
  const supported = SUPPORTED[type];
  for (const key of Object.keys(args)) {
    if (KNOWN.has(key) && !supported.has(key)) {
      return new BrokerError(
        ReplyCode.PRECONDITION_FAILED,
        `invalid arg '${key}' for ${describe("queue", queue, vhost)} of queue type ${MODULE[type]}`,
      );
    }
  }
  if (type === "classic") return null;
  const property = d.autoDelete ? "auto-delete" : d.exclusive ? "exclusive-owner" : !d.durable ? "non-durable" : null;
  if (property === null) return null;
  return new BrokerError(ReplyCode.PRECONDITION_FAILED, `invalid property '${property}' for ${describe("queue", queue, vhost)}`);
}
