// re2js costs ~20 ms of CPU to import, a sixth of the broker's start-up: the core requires it at the
// first pattern that needs an automaton (src/core/patterns.ts), never for `.*` and plain names.
// This file imports nothing from re2js itself, so any load counted here is the broker's.
import { createRequire } from "node:module";
import { describe, expect, it, vi } from "vitest";
import { compilePattern, PatternError, startBroker } from "warren";

const imported = vi.hoisted(() => ({ re2js: 0 }));
vi.mock("re2js", async (importOriginal) => {
  imported.re2js++;
  return importOriginal();
});

/** Whether re2js is loaded in this process: imported as a module, or its CommonJS build required. */
const re2jsLoaded = () =>
  imported.re2js > 0 || Object.keys(createRequire(import.meta.url).cache).some((k) => /re2js[\\/]build[\\/]index\.cjs$/.test(k));

describe("name patterns", () => {
  it("leave re2js unloaded through a start with the default user's .* permissions, then load it for a real regex", async () => {
    const broker = await startBroker({ amqp: { port: 0 } });
    try {
      expect(re2jsLoaded()).toBe(false);
      for (const p of [".*", "", "^$", "^amq\\.", "^orders$", "\\.dlq$", "a/b:c@d e-f_g"]) {
        expect(compilePattern(p)).not.toBeInstanceOf(PatternError);
      }
      expect(re2jsLoaded()).toBe(false);

      const re = compilePattern("^(orders|invoices)\\.[0-9]+$");
      expect(re2jsLoaded()).toBe(true);
      expect(re).not.toBeInstanceOf(PatternError);
      expect((re as { test(n: string): boolean }).test("orders.42")).toBe(true);
      expect((re as { test(n: string): boolean }).test("orders.x")).toBe(false);
      // refusals still come from RE2
      expect(compilePattern("(a")).toBeInstanceOf(PatternError);
      expect(compilePattern("(?=a)")).toBeInstanceOf(PatternError);
    } finally {
      await broker.close();
    }
  });
});
