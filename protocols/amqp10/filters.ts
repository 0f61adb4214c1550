/**
 * The source filters of a receiving link's attach (AMQP 1.0 §3.5.8 filter-set), as the filter
 * registry names them: `apache.org:selector-filter:string` (code 0x0000468C00000004), a JMS
 * selector over the message, and `apache.org:no-local-filter:list` (0x0000468C00000003), not the
 * messages this connection published; the core applies both at dispatch. Filters Warren does not
 * apply (legacy binding filters…) are left out of the attach it answers with, which is how §3.5.3
 * tells the client they are not in force.
 */
import { compileSelector, InvalidSelector, type Selector } from "../../src/core/index.js";
import { AmqpError } from "./codec/types.generated.js";
import { type AmqpValue, AmqpMap, Described, Sym, Typed } from "./codec/primitives.js";
import { Amqp10Error } from "./errors.js";

const SELECTOR_SYMBOL = "apache.org:selector-filter:string";
const SELECTOR_CODE = 0x0000468c00000004n;
const NO_LOCAL_SYMBOL = "apache.org:no-local-filter:list";
const NO_LOCAL_CODE = 0x0000468c00000003n;

export interface SourceFilters {
  /** The selector the link's consumer takes, or null. */
  readonly selector: Selector | null;
  /** Not the messages this connection published. */
  readonly noLocal: boolean;
  /** The filter-set to put in our attach's source: the entries in force, undefined for none. */
  readonly applied: AmqpMap | undefined;
}

const NONE: SourceFilters = { selector: null, noLocal: false, applied: undefined };

/** The filters of a source, or the error that refuses the link (an invalid selector). */
export function sourceFilters(filter: AmqpMap | undefined): SourceFilters | Amqp10Error {
  if (filter === undefined || filter.size === 0) return NONE;
  let selector: Selector | null = null;
  let noLocal = false;
  const applied: Array<[AmqpValue, AmqpValue]> = [];
  for (const entry of filter.entries) {
    const value = entry[1];
    if (!(value instanceof Described)) continue;
    if (isDescriptor(value.descriptor, NO_LOCAL_SYMBOL, NO_LOCAL_CODE)) {
      if (!noLocal) applied.push(entry);
      noLocal = true;
      continue;
    }
    if (!isDescriptor(value.descriptor, SELECTOR_SYMBOL, SELECTOR_CODE)) continue;
    if (selector !== null) return new Amqp10Error(AmqpError.invalidField, "more than one selector filter", "link");
    if (typeof value.value !== "string")
      return new Amqp10Error(AmqpError.invalidField, "a selector filter's value must be a string", "link");
    const compiled = compileSelector(value.value);
    if (compiled instanceof InvalidSelector) return new Amqp10Error(AmqpError.invalidField, compiled.description, "link");
    selector = compiled;
    applied.push(entry);
  }
  return applied.length === 0 ? NONE : { selector, noLocal, applied: new AmqpMap(applied) };
}

function isDescriptor(d: AmqpValue, symbol: string, code: bigint): boolean {
  if (d instanceof Sym) return d.name === symbol;
  if (d instanceof Typed) return d.type === "ulong" && d.value === code;
  return typeof d === "bigint" && d === code;
}
