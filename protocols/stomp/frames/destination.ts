import { type Destination, isDestinationError, parseDestination } from "../destinations.js";
import type { StompFrame } from "../frame-parser.js";
import { fail } from "../refusals.js";
import type { SessionContext } from "../session-context.js";

/** The frame's `destination` header, parsed; null after an ERROR when it is missing or invalid. */
export function destinationOf(ctx: SessionContext, f: StompFrame): Destination | null {
  const h = f.headers["destination"];
  if (h === undefined) return (fail(ctx, "Missing destination", `"${f.command}" must include a 'destination' header\n`, f), null);
  const d = parseDestination(h);
  if (isDestinationError(d)) return (fail(ctx, d.message, d.detail, f), null);
  return d;
}
