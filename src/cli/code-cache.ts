/**
 * Runs the CLI's bundle (dist/cli/warren.cjs) through V8's code cache. Node 20 compiles every
 * ES module from source at every start, and for the broker that was about a fifth of its start-up
 * CPU (bench/README.md, "Start-up: a code cache"). The CLI is therefore also built as one CommonJS
 * script written as a function expression, compiled here with `vm.Script` and the cached data a
 * previous start left beside it; V8 then deserializes the compiled code instead of parsing and
 * compiling it. The cache is written once a start has compiled what a start needs (the "started"
 * event), and only when none was usable.
 *
 * The cache file begins with one line naming what it was made from: node's version and
 * architecture, and the bundle's build id (a hash of its content that the build appends as its
 * last line; a bundle without one is named by its size and modification time instead). V8 checks
 * its own version, flags and the source's length, but not the source's content, so a rebuilt
 * bundle of the same length would otherwise run stale code; and `npm start` rebuilds the bundle at
 * every start, so a stamp of the file's time alone would never match there. Any mismatch, a damaged file or V8's rejection means the script is
 * compiled from source as without a cache; nothing here fails a start: a cache that cannot be
 * read is ignored, one that cannot be written (a read-only install) is not written.
 */
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Script } from "node:vm";

/** Emitted on `process` by the CLI once the broker has started: the moment to write the cache. */
export const STARTED_EVENT = "warren:started";

/** How the cache served this start: used, rejected (stale, damaged, another node), or absent. */
export type CacheState = "used" | "rejected" | "absent";

export interface CachedScript {
  readonly state: CacheState;
  /** Runs the bundle as a CommonJS module (its own `require`, `module`, `__filename`, `__dirname`). */
  run(): void;
  /**
   * Writes the cache from what V8 has compiled so far (a temporary file renamed into place, so a
   * concurrent start reads either the old file or the new one). False when it could not be
   * written, e.g. in a read-only directory; never throws.
   */
  save(): boolean;
}

/** The bundle: a function expression taking CommonJS's module arguments. */
type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

const MAGIC = "warren-code-cache 1";

/** The line the build ends the bundle with (tsup.config.ts, `stampBuildId`). */
const BUILD_ID = /\/\/# warren-build-id=([0-9a-f]{16,64})\s*$/;

/** The bundle's build id, from its last line, if it has one. */
function buildIdOf(source: string): string | undefined {
  return BUILD_ID.exec(source.slice(-100))?.[1];
}

/** The cache file's first line for this node and this build of the bundle. */
function stampOf(buildId: string | undefined, fileStamp: string): string {
  return `${MAGIC} ${process.version} ${process.arch} ${buildId === undefined ? fileStamp : `build ${buildId}`}\n`;
}

/** The cached data in `cacheFile` if its first line is `stamp`, else undefined. */
function readCache(cacheFile: string, stamp: string): Buffer | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const end = raw.indexOf(10);
  if (end < 0 || raw.toString("latin1", 0, end + 1) !== stamp) return undefined;
  return raw.subarray(end + 1);
}

/**
 * Compiles `file` (ASCII JavaScript whose value is a function expression, see `ModuleFunction`)
 * with the cache in `cacheFile` when there is a matching one. `useCache: false` neither reads it
 * nor (through `save`) writes it.
 */
export function compileCached(file: string, cacheFile: string, useCache = true): CachedScript {
  // stat before reading: a bundle rebuilt in between is then newer than its stamp, never older
  const st = statSync(file);
  // the build leaves only ASCII in the bundle (tsup.config.ts): latin1 reads it without decoding UTF-8
  const source = readFileSync(file, "latin1");
  const stamp = stampOf(buildIdOf(source), `${st.size} ${st.mtimeMs}`);
  const cachedData = useCache ? readCache(cacheFile, stamp) : undefined;
  const script = new Script(source, { filename: file, ...(cachedData !== undefined && { cachedData }) });
  const state: CacheState = cachedData === undefined ? "absent" : script.cachedDataRejected === true ? "rejected" : "used";
  return {
    state,
    run() {
      const fn = script.runInThisContext() as ModuleFunction;
      const module = { exports: {} };
      fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
    },
    save() {
      if (!useCache) return false;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      let fd: number | undefined;
      try {
        const data = script.createCachedData();
        fd = openSync(tmp, "w", 0o644);
        writeSync(fd, stamp, null, "latin1");
        writeSync(fd, data);
        closeSync(fd);
        fd = undefined;
        renameSync(tmp, cacheFile);
        return true;
      } catch {
        if (fd !== undefined) closeSync(fd);
        try {
          unlinkSync(tmp);
        } catch {
          // never created
        }
        return false;
      }
    },
  };
}
