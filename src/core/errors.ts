/**
 * Errors are values: every refusal the core gives carries the AMQP reply code (the canonical code
 * every front-end maps from) and the text RabbitMQ uses, so clients see the same words.
 */

import { REPLY_CODE_INFO, ReplyCode, type ReplyCodeName, type ReplyCodeValue, isHardError } from "./reply-codes.generated.js";

// The codes and their hard/soft class are generated from the AMQP spec table (one table for the
// core and the codec): protocols/amqp/spec/amqp-0-9-1.json → generate.mjs → reply-codes.generated.ts
export { ReplyCode, type ReplyCodeName, type ReplyCodeValue };

export class BrokerError {
  /** Full reply text as RabbitMQ sends it, e.g. "NOT_FOUND - no queue 'q' in vhost '/'". */
  readonly text: string;

  constructor(
    readonly code: ReplyCodeValue,
    detail: string,
  ) {
    this.text = `${REPLY_CODE_INFO[code]!.name} - ${detail}`;
  }

  /** The reply code's name, stable for logs and tests: "NOT_FOUND", "PRECONDITION_FAILED", … */
  get name(): ReplyCodeName {
    return REPLY_CODE_INFO[this.code]!.name as ReplyCodeName;
  }

  /** Whether the spec classes this as a connection error rather than a channel error. */
  get isConnectionError(): boolean {
    return isHardError(this.code);
  }

  toString(): string {
    return `${this.code} ${this.text}`;
  }
}

export const isBrokerError = (v: unknown): v is BrokerError => v instanceof BrokerError;

/** RabbitMQ's resource naming in error texts: "queue 'q' in vhost '/'". */
export const describe = (kind: "queue" | "exchange", name: string, vhost: string): string => `${kind} '${name}' in vhost '${vhost}'`;

export const errors = {
  noExchange: (name: string, vhost: string) => new BrokerError(ReplyCode.NOT_FOUND, `no ${describe("exchange", name, vhost)}`),
  noQueue: (name: string, vhost: string) => new BrokerError(ReplyCode.NOT_FOUND, `no ${describe("queue", name, vhost)}`),
  reservedName: (kind: "queue" | "exchange", name: string) =>
    new BrokerError(ReplyCode.ACCESS_REFUSED, `${kind} name '${name}' contains reserved prefix 'amq.*'`),
  defaultExchange: () => new BrokerError(ReplyCode.ACCESS_REFUSED, "operation not permitted on the default exchange"),
  internalExchange: (name: string, vhost: string) =>
    new BrokerError(ReplyCode.ACCESS_REFUSED, `cannot publish to internal ${describe("exchange", name, vhost)}`),
  exclusiveLocked: (name: string, vhost: string) =>
    new BrokerError(
      ReplyCode.RESOURCE_LOCKED,
      `cannot obtain exclusive access to locked ${describe("queue", name, vhost)}. ` +
        "It could be originally declared on another connection or the exclusive property value " +
        "does not match that of the original declaration.",
    ),
  inequivalent: (arg: string, kind: "queue" | "exchange", name: string, vhost: string, received: string, current: string) =>
    new BrokerError(
      ReplyCode.PRECONDITION_FAILED,
      `inequivalent arg '${arg}' for ${describe(kind, name, vhost)}: received ${received} but current is ${current}`,
    ),
  unknownExchangeType: (type: string) => new BrokerError(ReplyCode.COMMAND_INVALID, `unknown exchange type '${type}'`),
  inUse: (kind: "queue" | "exchange", name: string, vhost: string) =>
    new BrokerError(ReplyCode.PRECONDITION_FAILED, `${describe(kind, name, vhost)} in use`),
  notEmpty: (name: string, vhost: string) => new BrokerError(ReplyCode.PRECONDITION_FAILED, `${describe("queue", name, vhost)} not empty`),
  exclusiveConsumer: (name: string, vhost: string) =>
    new BrokerError(ReplyCode.ACCESS_REFUSED, `queue '${name}' in vhost '${vhost}' in exclusive use`),
  invalidArg: (arg: string, kind: "queue" | "exchange", name: string, vhost: string, why: string) =>
    new BrokerError(ReplyCode.PRECONDITION_FAILED, `invalid arg '${arg}' for ${describe(kind, name, vhost)}: ${why}`),
  vhostNotFound: (vhost: string) => new BrokerError(ReplyCode.NOT_ALLOWED, `vhost ${vhost} not found`),
  noAccessToVhost: (user: string, vhost: string) =>
    new BrokerError(ReplyCode.NOT_ALLOWED, `access to vhost '${vhost}' refused for user '${user}'`),
  /** The vhost's max-connections limit is reached (rabbit_reader's is_over_vhost_connection_limit). */
  connectionLimit: (user: string, vhost: string, limit: number) =>
    new BrokerError(ReplyCode.NOT_ALLOWED, `access to vhost '${vhost}' refused for user '${user}': connection limit (${limit}) is reached`),
  /** The vhost's max-queues limit is reached (rabbit_channel's check_vhost_queue_limit). */
  queueLimit: (name: string, vhost: string, limit: number) =>
    new BrokerError(ReplyCode.PRECONDITION_FAILED, `cannot declare queue '${name}': queue limit in vhost '${vhost}' (${limit}) is reached`),
  /** The queue's storage could not be opened (out of file descriptors, disk error): RabbitMQ's internal_error. */
  cannotDeclareQueue: (name: string, vhost: string, reason: string) =>
    new BrokerError(ReplyCode.INTERNAL_ERROR, `Cannot declare a queue '${describe("queue", name, vhost)}': ${reason}`),
};
