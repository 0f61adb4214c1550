import { createHash } from "node:crypto";
import { appendFileSync, chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, type Plugin } from "esbuild";
import { defineConfig } from "tsup";

/** The bundles' own dependencies: bundled, so a start resolves and reads no node_modules files for them. */
const BUNDLED = ["zod", "ws", "mqtt-packet", "pino", "commander", "fastify", "prom-client"];
/**
 * Of those, the ones the CLI's script loads only at a first use (the first WebSocket upgrade, MQTT
 * client, management request, scrape): left in node_modules, where `require` finds them then,
 * rather than in a script every start reads and deserializes (2.0 of its 3.6 MB).
 */
const LOADED_ON_FIRST_USE = ["ws", "mqtt-packet", "fastify", "prom-client"];

export default defineConfig({
  // the library (ES modules); the CLI is built below as one script, see cliBundle
  entry: { index: "src/index.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  splitting: true,
  noExternal: BUNDLED,
  esbuildPlugins: [lazyPinoTransport(), lazyBuiltins()],
  // the management web UI is plain files: served from dist/ui next to the bundle
  onSuccess: async () => {
    cpSync("src/management/ui", "dist/ui", { recursive: true });
    await cliBundle();
    for (const dir of ["dist", "dist/cli"]) asciiComments(dir);
    stampBuildId("dist/cli/warren.cjs");
  },
  banner: { js: 'import { createRequire as __warrenCreateRequire } from "node:module"; const require = __warrenCreateRequire(import.meta.url);' },
});

/**
 * The `warren` command, for a start through V8's code cache (src/cli/code-cache.ts):
 * - dist/cli/warren.cjs: src/cli/main.ts and everything it imports as one CommonJS script (no
 *   chunks: the front-ends that `import()` loads become functions initialised at their first call),
 *   written as a function expression taking CommonJS's module arguments, which code-cache.ts
 *   compiles with `vm.Script` and calls;
 * - dist/cli/main.js: the launcher (src/cli/bin.ts), CommonJS too (dist/cli/package.json), so
 *   node starts it without its ES module loader.
 */
async function cliBundle(): Promise<void> {
  const common = {
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    charset: "ascii",
    logLevel: "warning",
  } as const;
  await build({
    ...common,
    entryPoints: ["src/cli/main.ts"],
    outfile: "dist/cli/warren.cjs",
    sourcemap: true,
    // Whitespace only: 1.78 -> 1.21 MB, which node holds as an external string for as long as the
    // process runs (-0.5 MiB of idle memory; bench/README.md, "Start-up: built-ins and a smaller
    // script"). Identifiers are not minified, so stack traces keep every function's name; their
    // positions are line 1..125, column n, which the source map beside the script maps back to
    // src/ (node --enable-source-maps, bench/profile-top.mjs). Syntax minification saved 0.05 MiB
    // more and keepNames cost 0.4 MiB (it wraps every function): neither is used.
    minifyWhitespace: true,
    external: ["etcd3", "re2js", ...LOADED_ON_FIRST_USE],
    // a script has no import.meta, and `import()` in a vm.Script needs a loader callback: require
    supported: { "dynamic-import": false },
    define: { "import.meta.url": "__warrenImportMetaUrl" },
    // "use strict" first in the function: the sources are ES modules, strict throughout
    banner: {
      js: '(function (exports, require, module, __filename, __dirname) { "use strict"; const __warrenImportMetaUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    footer: { js: "})" },
    plugins: [lazyPinoTransport(), lazyBuiltins()],
  });
  await build({
    ...common,
    entryPoints: ["src/cli/bin.ts"],
    outfile: "dist/cli/main.js",
    banner: { js: "#!/usr/bin/env node" },
  });
  chmodSync("dist/cli/main.js", 0o755);
  writeFileSync("dist/cli/package.json", `${JSON.stringify({ type: "commonjs" })}\n`);
}

/**
 * Ends the CLI's bundle with a hash of its content, which names the bundle in its code cache
 * (src/cli/code-cache.ts): a rebuild that produces the same script, as `npm start` does at every
 * start, keeps its cache, and one that changes it does not.
 */
function stampBuildId(file: string): void {
  const id = createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 32);
  appendFileSync(file, `\n//# warren-build-id=${id}\n`);
}

/**
 * pino requires its transport module (thread-stream, a worker thread's plumbing) when it is
 * loaded, for `pino.transport()` and the `transport` option, neither of which Warren uses: its logs
 * go to stderr and a file through sonic-boom. esbuild evaluates a bundled CommonJS module at its
 * first `require`, so pino gets a stand-in whose function requires the real module when called:
 * the code stays in the bundle, and is evaluated only if an embedder's pino ever asks for a transport.
 */
function lazyPinoTransport(): Plugin {
  return {
    name: "lazy-pino-transport",
    setup(build) {
      build.onResolve({ filter: /^\.\/(lib\/)?transport$/ }, (args) => {
        if (!/[\\/]pino[\\/](lib[\\/])?[^\\/]+\.js$/.test(args.importer)) return undefined;
        const real = join(dirname(args.importer), args.path.startsWith("./lib/") ? "lib/transport.js" : "transport.js");
        // one stand-in for both requirers, named without this machine's paths
        return { path: "pino/lib/transport.js", namespace: "lazy-pino-transport", pluginData: real };
      });
      build.onLoad({ filter: /.*/, namespace: "lazy-pino-transport" }, (args) => ({
        contents: `module.exports = function transport(...args) { return require(${JSON.stringify(args.pluginData)})(...args); };`,
        loader: "js",
        resolveDir: dirname(args.pluginData as string),
      }));
    },
  };
}

/**
 * Node built-ins that a bundled dependency requires when it is loaded but uses only on a path a
 * start never takes: sonic-boom's `assert` (node's assert with its assertion-error and colour
 * modules, 1-1.6 ms of start-up CPU) checks one thing when a destination is closed. Each becomes
 * a stand-in that requires the real module at its first call, so a start never loads it
 * (test/server/startup-modules.test.ts). A replacement that no longer matches its source — a new
 * version of the package — fails the build rather than silently loading the module again.
 * (commander's `node:child_process` is not one: node's `net` loads it through `cluster` at the
 * first `listen`, so a broker has it anyway.)
 */
function lazyBuiltins(): Plugin {
  const rewrites: { file: RegExp; from: string; to: string }[] = [
    {
      file: /[\\/]sonic-boom[\\/]index\.js$/,
      from: "const assert = require('assert')",
      to: "const assert = (...args) => require('assert')(...args)",
    },
  ];
  return {
    name: "lazy-builtins",
    setup(build) {
      build.onLoad({ filter: /[\\/]sonic-boom[\\/]index\.js$/ }, (args) => {
        let contents = readFileSync(args.path, "utf8");
        for (const r of rewrites) {
          if (!r.file.test(args.path)) continue;
          if (contents.split(r.from).length !== 2) throw new Error(`lazy-builtins: ${args.path} no longer has exactly one \`${r.from}\``);
          contents = contents.replace(r.from, r.to);
        }
        return { contents, loader: "js" };
      });
    },
  };
}

/**
 * V8 keeps a module's source text as long as the module lives, and a single character outside
 * Latin-1 makes the whole text a two-byte string: twice the memory for the broker's ~1.3 MB of
 * start-up chunks. esbuild already escapes strings, templates and regexes (charset ascii); what it
 * leaves are comments it keeps (JSDoc on class members, licences), so their non-ASCII characters
 * become "?", one per UTF-16 unit, leaving every column — and so the source maps — where it was.
 */
function asciiComments(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !/\.c?js$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8");
    if (!/[^\x00-\x7f]/.test(text)) continue;
    const lines = text.split("\n").map((line, i) => {
      const at = line.search(/[^\x00-\x7f]/);
      if (at < 0) return line;
      const before = line.slice(0, at);
      if (!/^\s*(\*|\/\*|\/\/|\(\*)/.test(line) && !before.includes("//") && !before.includes("/*")) {
        throw new Error(`${file}:${i + 1}: a non-ASCII character outside a comment: ${line.trim().slice(0, 120)}`);
      }
      return line.replace(/[^\x00-\x7f]/g, (c) => "?".repeat(c.length));
    });
    writeFileSync(file, lines.join("\n"));
  }
}
