/**
 * The heap in use after full collections, for tests that assert what the broker holds per message
 * or connection. Heap after GC does not depend on the machine's load, unlike RSS or timings.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Bytes of heap in use once two full collections have run. */
export function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
