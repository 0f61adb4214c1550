import { type Destination, isDestinationError, parseDestination } from "../destinations.js";
import type { StompFrame } from "../frame-parser.js";
import { fail } from "../refusals.js";
import type { SessionContext } from "../session-context.js";

/**
 * The last destination header parsed and what it is: a publisher usually sends to one destination
 * over and over. Parsing is pure and its result is only read, so one entry serves every session.
 */
let lastHeader: string | null = null;
let lastDestination: Destination | null = null;

/** The frame's `destination` header, parsed; null after an ERROR when it is missing or invalid. */
export function destinationOf(ctx: SessionContext, f: StompFrame): Destination | null {
  const h = f.headers["destination"];
  if (h === undefined) return (fail(ctx, "Missing destination", `"${f.command}" must include a 'destination' header\n`, f), null);
  if (h === lastHeader) return lastDestination;
  const d = parseDestination(h);
  if (isDestinationError(d)) return (fail(ctx, d.message, d.detail, f), null);
  lastHeader = h;
  lastDestination = d;
  return d;
}
