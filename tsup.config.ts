import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "cli/main": "src/cli/main.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  splitting: true,
  noExternal: ["zod", "ws", "mqtt-packet", "pino", "commander", "fastify", "prom-client"],
  // the management web UI is plain files: served from dist/ui next to the bundle
  onSuccess: async () => {
    cpSync("src/management/ui", "dist/ui", { recursive: true });
    for (const dir of ["dist", "dist/cli"]) asciiComments(dir);
  },
  banner: { js: 'import { createRequire as __warrenCreateRequire } from "node:module"; const require = __warrenCreateRequire(import.meta.url);' },
});

/**
 * V8 keeps a module's source text as long as the module lives, and a single character outside
 * Latin-1 makes the whole text a two-byte string: twice the memory for the broker's ~1.3 MB of
 * start-up chunks. esbuild already escapes strings, templates and regexes (charset ascii); what it
 * leaves are comments it keeps (JSDoc on class members, licences), so their non-ASCII characters
 * become "?", one per UTF-16 unit, leaving every column — and so the source maps — where it was.
 */
function asciiComments(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".js")) continue;
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
