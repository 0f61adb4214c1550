import { cpSync } from "node:fs";
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
  },
  banner: { js: 'import { createRequire as __warrenCreateRequire } from "node:module"; const require = __warrenCreateRequire(import.meta.url);' },
});
