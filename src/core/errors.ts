/**
 * Errors are values: every refusal the core gives carries the AMQP reply code (the canonical code
 * every front-end maps from) and the text RabbitMQ uses, so clients see the same words.
 */

export const ReplyCode = {
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;

export type ReplyCodeValue = (typeof ReplyCode)[keyof typeof ReplyCode];

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ReplyCode).map(([name, code]) => [code, name]),
);

/** AMQP 0-9-1 §1.2: these codes close the whole connection; the rest close only a channel. */
const HARD_ERRORS = new Set<number>([320, 402, 501, 502, 503, 504, 505, 506, 530, 540, 541]);

export class BrokerError {
  /** Full reply text as RabbitMQ sends it, e.g. "NOT_FOUND - no queue 'q' in vhost '/'". */
  readonly text: string;

  constructor(
    readonly code: ReplyCodeValue,
    detail: string,
  ) {
    this.text = `${NAMES[code]} - ${detail}`;
  }

  /** Whether the spec classes this as a connection error rather than a channel error. */
  get isConnectionError(): boolean {
    return HARD_ERRORS.has(this.code);
  }

  toString(): string {
    return `${this.code} ${this.text}`;
  }
}

export const isBrokerError = (v: unknown): v is BrokerError => v instanceof BrokerError;

/** RabbitMQ's resource naming in error texts: "queue 'q' in vhost '/'". */
export const describe = (kind: "queue" | "exchange", name: string, vhost: string): string =>
  `${kind} '${name}' in vhost '${vhost}'`;

export const errors = {
  noExchange: (name: string, vhost: string) =>
    new BrokerError(ReplyCode.NOT_FOUND, `no ${describe("exchange", name, vhost)}`),
  noQueue: (name: string, vhost: string) =>
    new BrokerError(ReplyCode.NOT_FOUND, `no ${describe("queue", name, vhost)}`),
  reservedName: (kind: "queue" | "exchange", name: string) =>
    new BrokerError(ReplyCode.ACCESS_REFUSED, `${kind} name '${name}' contains reserved prefix 'amq.*'`),
  defaultExchange: () =>
    new BrokerError(ReplyCode.ACCESS_REFUSED, "operation not permitted on the default exchange"),
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
  unknownExchangeType: (type: string) =>
    new BrokerError(ReplyCode.COMMAND_INVALID, `unknown exchange type '${type}'`),
  inUse: (kind: "queue" | "exchange", name: string, vhost: string) =>
    new BrokerError(ReplyCode.PRECONDITION_FAILED, `${describe(kind, name, vhost)} in use`),
  notEmpty: (name: string, vhost: string) =>
    new BrokerError(ReplyCode.PRECONDITION_FAILED, `${describe("queue", name, vhost)} not empty`),
  exclusiveConsumer: (name: string, vhost: string) =>
    new BrokerError(
      ReplyCode.ACCESS_REFUSED,
      `queue '${name}' in vhost '${vhost}' in exclusive use`,
    ),
  invalidArg: (arg: string, kind: "queue" | "exchange", name: string, vhost: string, why: string) =>
    new BrokerError(ReplyCode.PRECONDITION_FAILED, `invalid arg '${arg}' for ${describe(kind, name, vhost)}: ${why}`),
  vhostNotFound: (vhost: string) => new BrokerError(ReplyCode.NOT_ALLOWED, `vhost ${vhost} not found`),
  noAccessToVhost: (user: string, vhost: string) =>
    new BrokerError(ReplyCode.NOT_ALLOWED, `access to vhost '${vhost}' refused for user '${user}'`),
  /** The queue's storage could not be opened (out of file descriptors, disk error): RabbitMQ's internal_error. */
  cannotDeclareQueue: (name: string, vhost: string, reason: string) =>
    new BrokerError(ReplyCode.INTERNAL_ERROR, `Cannot declare a queue '${describe("queue", name, vhost)}': ${reason}`),
};
