/**
 * The `warren` command (dist/cli/main.js, a CommonJS script: dist/cli/package.json says so, and
 * node starts a CommonJS entry without its ES module loader). It runs the CLI's bundle,
 * dist/cli/warren.cjs (src/cli/main.ts built as one script), through V8's code cache kept beside it
 * in warren.cjs.cache (src/cli/code-cache.ts). WARREN_CODE_CACHE=off compiles from source and
 * writes no cache.
 */
import { join } from "node:path";
import { compileCached, STARTED_EVENT } from "./code-cache.js";

const useCache = process.env.WARREN_CODE_CACHE !== "off";
const bundle = join(__dirname, "warren.cjs");
const script = compileCached(bundle, `${bundle}.cache`, useCache);
if (useCache && script.state !== "used") {
  // after the start, not during it: writing costs a few ms of CPU nobody is waiting for then
  process.once(STARTED_EVENT, () => setImmediate(() => script.save()));
}
script.run();
