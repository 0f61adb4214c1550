import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

// Tests that need root (PID namespaces through util-linux's unshare): `npm run test:root`, which
// .ci/run runs; `npm test` leaves them out so that it passes as any user.
export default defineConfig({
  resolve: {
    alias: { warren: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/root/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
