import { type BrokerError, ReplyCode } from "../../src/core/index.js";
import { AmqpError, ConnectionError, LinkError, SessionError, TransactionError } from "./codec/types.generated.js";

/** Every error condition Warren sends (the spec's choices, generated). */
export type Condition =
  | (typeof AmqpError)[keyof typeof AmqpError]
  | (typeof ConnectionError)[keyof typeof ConnectionError]
  | (typeof SessionError)[keyof typeof SessionError]
  | (typeof LinkError)[keyof typeof LinkError]
  | (typeof TransactionError)[keyof typeof TransactionError];

/** Where an error ends things: the connection (close), the session (end) or one link (detach). */
export type ErrorScope = "connection" | "session" | "link";

/** An AMQP 1.0 error as a value: condition, description, and what it ends. */
export class Amqp10Error extends Error {
  override readonly name = "Amqp10Error";
  constructor(
    readonly condition: Condition,
    readonly description: string,
    readonly scope: ErrorScope = "connection",
  ) {
    super(description);
  }
}

/** A core refusal as an AMQP 1.0 condition (RabbitMQ's mapping of reply codes). */
export function conditionOf(e: BrokerError): Condition {
  switch (e.code) {
    case ReplyCode.NOT_FOUND:
      return AmqpError.notFound;
    case ReplyCode.ACCESS_REFUSED:
      return AmqpError.unauthorizedAccess;
    case ReplyCode.PRECONDITION_FAILED:
      return AmqpError.preconditionFailed;
    case ReplyCode.RESOURCE_LOCKED:
      return AmqpError.resourceLocked;
    case ReplyCode.RESOURCE_ERROR:
      return AmqpError.resourceLimitExceeded;
    case ReplyCode.NOT_ALLOWED:
      return AmqpError.notAllowed;
    case ReplyCode.CONNECTION_FORCED:
      return ConnectionError.connectionForced;
    default:
      return AmqpError.internalError;
  }
}

/** A core refusal as an error of `scope`, its text the description. */
export function fromBrokerError(e: BrokerError, scope: ErrorScope): Amqp10Error {
  return new Amqp10Error(conditionOf(e), e.text, scope);
}
