import { configDefaults, defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: {
    alias: { warren: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts", "conformance/**/*.test.ts"],
    // not in `npm test`, each with its own command that .ci/run runs: conformance/go needs Go
    // (npm run conformance -- conformance/go), conformance/openwire a JDK and ActiveMQ's Java
    // client (npm run conformance -- conformance/openwire), test/browser a Chromium (npm run test:browser),
    // test/root root and unshare (npm run test:root), test/monitoring a Prometheus (npm run
    // test:monitoring)
    exclude: [...configDefaults.exclude, "conformance/go/**", "conformance/openwire/**", "test/browser/**", "test/root/**", "test/monitoring/**"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    globalSetup: ["conformance/python-deps.ts"],
  },
});
