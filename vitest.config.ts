import { configDefaults, defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: {
    alias: { warren: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts", "conformance/**/*.test.ts"],
    // the Go client scenarios need Go: run by `npm run conformance -- conformance/go` (see conformance/go/go.ts)
    exclude: [...configDefaults.exclude, "conformance/go/**"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    globalSetup: ["conformance/python-deps.ts"],
  },
});
