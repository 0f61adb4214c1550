import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

// Tests that drive a real Chromium (test/browser): `npm run test:browser`, which .ci/run runs after
// installing Debian's chromium; `npm test` leaves them out so that it needs only Node and npm.
export default defineConfig({
  resolve: {
    alias: { warren: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
