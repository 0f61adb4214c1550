import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

// Tests that need a real Prometheus (Debian's `prometheus` package): `npm run test:monitoring`,
// which .ci/run runs after installing it; `npm test` leaves them out so that it passes with only
// Node and npm. Without the binary they fail, never skip.
export default defineConfig({
  resolve: {
    alias: { warren: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/monitoring/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
