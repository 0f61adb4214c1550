// The CLI's code cache (src/cli/code-cache.ts): a start uses a cache made from the same bundle,
// and anything else (no cache, another node's, a damaged one, a rebuilt bundle, a directory it
// cannot write) still runs the bundle's current code.
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { compileCached } from "../../src/cli/code-cache.js";

let dir: string;
// Each "start" below compiles in this one process: without this, V8's in-memory compilation cache
// would hand back the script compiled before and never look at the cached data.
beforeAll(() => setFlagsFromString("--no-compilation-cache"));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "warren-code-cache-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A bundle as the build writes one: a function expression taking CommonJS's module arguments,
 * ended by its build id when given one.
 */
function writeBundle(file: string, value: string, buildId?: string): void {
  writeFileSync(
    file,
    `(function (exports, require, module, __filename, __dirname) { "use strict";
  function answer() { return ${JSON.stringify(value)}; }
  module.exports = answer();
  globalThis.__codeCacheTest = { value: module.exports, file: __filename, sep: require("node:path").sep };
})${buildId === undefined ? "" : `\n//# warren-build-id=${buildId}\n`}`,
  );
}

/** Compiles and runs the bundle; what it set, and how the cache served. */
function start(file: string, cacheFile: string, useCache = true) {
  const script = compileCached(file, cacheFile, useCache);
  script.run();
  const seen = (globalThis as { __codeCacheTest?: { value: string; file: string; sep: string } }).__codeCacheTest;
  delete (globalThis as { __codeCacheTest?: unknown }).__codeCacheTest;
  return { script, seen };
}

describe("the CLI's code cache", () => {
  it("runs without a cache, writes one, and the next start uses it", () => {
    const file = join(dir, "bundle.cjs");
    const cache = `${file}.cache`;
    writeBundle(file, "one");
    const first = start(file, cache);
    expect(first.script.state).toBe("absent");
    expect(first.seen).toEqual({ value: "one", file, sep: "/" });
    expect(first.script.save()).toBe(true);
    expect(readFileSync(cache, "latin1")).toMatch(new RegExp(`^warren-code-cache 1 ${process.version} ${process.arch} \\d+ [\\d.]+\\n`));
    const second = start(file, cache);
    expect(second.script.state).toBe("used");
    expect(second.seen?.value).toBe("one");
  });

  it("compiles from source when the cache is damaged, and rewrites it", () => {
    const file = join(dir, "bundle.cjs");
    const cache = `${file}.cache`;
    writeBundle(file, "one");
    const first = start(file, cache);
    first.script.save();
    // the stamp line intact, V8's data after it not
    const text = readFileSync(cache);
    const end = text.indexOf(10) + 1;
    writeFileSync(cache, Buffer.concat([text.subarray(0, end), Buffer.alloc(text.length - end, 0x5a)]));
    const damaged = start(file, cache);
    expect(damaged.script.state).toBe("rejected");
    expect(damaged.seen?.value).toBe("one");
    expect(damaged.script.save()).toBe(true);
    expect(start(file, cache).script.state).toBe("used");
  });

  it("ignores a cache made by another node, or that is not a cache at all", () => {
    const file = join(dir, "bundle.cjs");
    const cache = `${file}.cache`;
    writeBundle(file, "one");
    const first = start(file, cache);
    first.script.save();
    const text = readFileSync(cache, "latin1");
    writeFileSync(cache, text.replace(process.version, "v99.0.0"), "latin1");
    const foreign = start(file, cache);
    expect(foreign.script.state).toBe("absent");
    expect(foreign.seen?.value).toBe("one");
    writeFileSync(cache, "garbage without a line end");
    expect(start(file, cache).seen?.value).toBe("one");
    writeFileSync(cache, "");
    expect(start(file, cache).seen?.value).toBe("one");
  });

  it("runs a rebuilt bundle's code, not the cache of the old one, even at the same length", () => {
    const file = join(dir, "bundle.cjs");
    const cache = `${file}.cache`;
    writeBundle(file, "old");
    start(file, cache).script.save();
    // V8 checks the source's length, not its content: only the stamp tells these two apart
    writeBundle(file, "new");
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    const rebuilt = start(file, cache);
    expect(rebuilt.seen?.value).toBe("new");
    expect(rebuilt.script.state).toBe("absent");
  });

  it("keeps the cache of a bundle rebuilt with the same build id, as npm start rebuilds it", () => {
    const file = join(dir, "bundle.cjs");
    const cache = `${file}.cache`;
    writeBundle(file, "one", "a".repeat(32));
    start(file, cache).script.save();
    expect(readFileSync(cache, "latin1")).toMatch(/^warren-code-cache 1 \S+ \S+ build a{32}\n/);
    writeBundle(file, "one", "a".repeat(32));
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    const rebuilt = start(file, cache);
    expect(rebuilt.script.state).toBe("used");
    expect(rebuilt.seen?.value).toBe("one");
  });

  it("runs a rebuilt bundle's code when its build id differs, even at the same length", () => {
    const file = join(dir, "bundle.cjs");
    const cache = `${file}.cache`;
    writeBundle(file, "old", "a".repeat(32));
    start(file, cache).script.save();
    writeBundle(file, "new", "b".repeat(32));
    const rebuilt = start(file, cache);
    expect(rebuilt.seen?.value).toBe("new");
    expect(rebuilt.script.state).toBe("absent");
  });

  it("starts, and reports it could not save, where the cache cannot be written", () => {
    const file = join(dir, "bundle.cjs");
    writeBundle(file, "one");
    // a directory that cannot exist (a path under a file): unwritable even for root
    const blocker = join(dir, "not-a-directory");
    writeFileSync(blocker, "");
    const cache = join(blocker, "bundle.cjs.cache");
    const script = start(file, cache);
    expect(script.seen?.value).toBe("one");
    expect(script.script.save()).toBe(false);
  });

  it("neither reads nor writes a cache when told not to", () => {
    const file = join(dir, "bundle.cjs");
    const cache = `${file}.cache`;
    writeBundle(file, "one");
    start(file, cache).script.save();
    const off = start(file, cache, false);
    expect(off.script.state).toBe("absent");
    expect(off.script.save()).toBe(false);
  });
});
