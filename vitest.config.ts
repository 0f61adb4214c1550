import { configDefaults, defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: {
    alias: { warren: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts", "conformance/**/*.test.ts"],
    // tests that need more than Node and npm have their own commands (.ci/run runs them):
    // test/browser a Chromium (npm run test:browser), test/root root and unshare (npm run test:root)
    exclude: [...configDefaults.exclude, "test/browser/**", "test/root/**"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    globalSetup: ["conformance/python-deps.ts"],
  },
});
