// Starting the management listener and serving a request prints nothing but the broker's own log:
// no Node process warnings (fastify deprecations) and no console output from the libraries
// (ajv's strict-mode notes about the request schemas), which an operator would read as faults.
import { afterEach, expect, it, vi } from "vitest";
import { api, startWithManagement } from "./helpers.js";

const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);

afterEach(() => {
  process.off("warning", onWarning);
  vi.restoreAllMocks();
});

it("starts and answers without process warnings or library console output", async () => {
  process.on("warning", onWarning);
  const printed: string[] = [];
  for (const level of ["log", "warn", "error", "info"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
  }
  const broker = await startWithManagement({ logLevel: "silent" });
  try {
    expect((await api(broker, "PUT", "/api/users/quiet", { password: "p", tags: ["management"] })).status).toBe(201);
    expect((await api(broker, "GET", `/api/queues/%2F/${"q".repeat(200)}`)).status).toBe(404);
  } finally {
    await broker.close();
  }
  // process warnings are emitted on the next tick
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(warnings).toEqual([]);
  expect(printed).toEqual([]);
});
