// Node fires a timer longer than 2^31-1 ms after 1 ms and emits a TimeoutOverflowWarning (on the
// next tick): the long-duration tests assert that none was emitted.
import { afterEach, beforeEach } from "vitest";

/**
 * Collects TimeoutOverflowWarnings for each test of the calling file; the returned function gives
 * the ones emitted so far in the running test.
 */
export function watchTimerOverflows(): () => readonly string[] {
  let overflows: string[] = [];
  const onWarning = (w: Error) => {
    if (w.name === "TimeoutOverflowWarning") overflows.push(w.message);
  };
  beforeEach(() => {
    overflows = [];
    process.on("warning", onWarning);
  });
  afterEach(() => {
    process.off("warning", onWarning);
  });
  return () => overflows;
}
