// Conformance scenarios only: `npm run conformance -- --amqp URL` (or set WARREN_CONFORMANCE_AMQP)
// runs them against any broker; without a URL each file starts an embedded Warren.
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  resolve: {
    alias: { warren: fileURLToPath(new URL("../src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["conformance/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    globalSetup: ["conformance/python-deps.ts"],
    // Two cores: two files at a time keeps the broker under test, not the runner, the bottleneck.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
