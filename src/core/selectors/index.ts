/**
 * JMS message selectors (JMS 1.1 §3.8.1) for consumers of any protocol: compiled once per
 * consumer, then `matches` per message. No wire format here: STOMP's `selector` header, AMQP 1.0's
 * selector filter and OpenWire's ConsumerInfo all hand the text to `compileSelector`.
 */
import { BrokerError, ReplyCode } from "../errors.js";
import type { Evaluator, SelectorSubject } from "./fields.js";
import { SelectorSyntaxError, tokenize } from "./lexer.js";
import { Parser } from "./parser.js";

export type { SelectorSubject } from "./fields.js";

export class Selector {
  constructor(
    /** The selector as the client wrote it (AMQP 1.0 echoes it in its attach). */
    readonly text: string,
    private readonly root: Evaluator,
  ) {}

  /** Whether the message is selected: the condition is true (false and unknown are not). */
  matches(subject: SelectorSubject): boolean {
    return this.root(subject) === true;
  }
}

/**
 * An invalid selector. `reason` and `column` say what is wrong and where; the front-ends map it
 * (STOMP ERROR, AMQP 1.0 `amqp:invalid-field`, OpenWire InvalidSelectorException).
 */
export class InvalidSelector extends BrokerError {
  readonly kind = "InvalidSelector" as const;
  constructor(
    readonly selector: string,
    readonly reason: string,
    readonly column: number,
  ) {
    super(ReplyCode.PRECONDITION_FAILED, `invalid selector '${selector}': ${reason} (column ${column})`);
  }

  /** The explanation without the reply-code prefix, for protocols that have their own framing. */
  get description(): string {
    return `Invalid selector '${this.selector}': ${this.reason} (column ${this.column})`;
  }
}

/** Selectors longer than this are refused rather than parsed (ActiveMQ caches, Warren bounds). */
export const MAX_SELECTOR_LENGTH = 65536;

export function compileSelector(text: string): Selector | InvalidSelector {
  if (text.length > MAX_SELECTOR_LENGTH) return new InvalidSelector(text.slice(0, 64), `longer than ${MAX_SELECTOR_LENGTH} characters`, 1);
  if (text.trim() === "") return new InvalidSelector(text, "the selector is empty", 1);
  const tokens = tokenize(text);
  if (tokens instanceof SelectorSyntaxError) return new InvalidSelector(text, tokens.reason, tokens.column);
  try {
    return new Selector(text, new Parser(tokens).parseSelector());
  } catch (e) {
    if (e instanceof SelectorSyntaxError) return new InvalidSelector(text, e.reason, e.column);
    throw e;
  }
}
