import { describe, expect, it } from "vitest";
import { tmpdir } from "node:os";
import { ResourceAlarms } from "../../src/core/index.js";
import { createLogger } from "../../src/server/logger.js";
import { DEFAULT_LIMITS, type MemoryReader, PROCESS_MEMORY, ResourceMonitor } from "../../src/server/resource-monitor.js";

/** A memory reader the test drives: `live` is what a collection leaves, `garbage` what it frees. */
class FakeMemory implements MemoryReader {
  live = 0;
  garbage = 0;
  collections = 0;
  used(): number {
    return this.live + this.garbage;
  }
  collect(): void {
    this.collections++;
    this.garbage = 0;
  }
}

function monitor(memory: MemoryReader, collectIntervalMs = 60_000) {
  const alarms = new ResourceAlarms();
  const changes: string[] = [];
  alarms.subscribe((blocked, reason) => changes.push(blocked ? `blocked ${reason}` : "unblocked"));
  const m = new ResourceMonitor(
    alarms,
    tmpdir(),
    {
      ...DEFAULT_LIMITS,
      memoryHighWatermarkBytes: 100,
      diskFreeLimit: 0,
      collectIntervalMs,
    },
    createLogger("silent"),
    memory,
  );
  return { alarms, changes, m };
}

describe("the memory alarm", () => {
  it("is set over the high watermark and clears once the memory is freed (set → drain → clear)", async () => {
    const memory = new FakeMemory();
    const { alarms, changes, m } = monitor(memory, 0);
    memory.live = 150;
    await m.check();
    expect(alarms.isSet("memory")).toBe(true);
    expect(m.memoryUsed).toBe(150);
    // drained: the messages are garbage, which only a collection finds
    memory.live = 10;
    memory.garbage = 140;
    await m.check();
    expect(alarms.isSet("memory")).toBe(false);
    expect(changes).toEqual(["blocked low on memory", "unblocked"]);
  });

  it("is not set by garbage: a reading over the limit is believed only after a collection", async () => {
    const memory = new FakeMemory();
    const { alarms, m } = monitor(memory);
    memory.live = 20;
    memory.garbage = 200;
    await m.check();
    expect(alarms.isSet("memory")).toBe(false);
    expect(memory.collections).toBe(1);
    // under the limit nothing is collected
    await m.check();
    expect(memory.collections).toBe(1);
  });

  it("forces at most one collection per interval while over the limit", async () => {
    const memory = new FakeMemory();
    const { alarms, m } = monitor(memory, 60_000);
    memory.live = 150;
    for (let i = 0; i < 5; i++) await m.check();
    expect(memory.collections).toBe(1);
    expect(alarms.isSet("memory")).toBe(true);
  });

  it("measures live memory with the process reader: a full collection brings dropped buffers down", () => {
    PROCESS_MEMORY.collect();
    const before = PROCESS_MEMORY.used();
    let held: Buffer[] | null = Array.from({ length: 64 }, () => Buffer.alloc(1 << 20, 1));
    expect(PROCESS_MEMORY.used() - before).toBeGreaterThan(60 << 20);
    expect(held.length).toBe(64);
    held = null;
    PROCESS_MEMORY.collect();
    expect(PROCESS_MEMORY.used() - before).toBeLessThan(8 << 20);
  });
});

describe("a resource check that fails", () => {
  it("is logged once while it keeps failing (EMFILE under an fd flood), and its recovery once", async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = createLogger(
      "info",
      { write: (l: string) => lines.push(JSON.parse(l) as { level: number; msg: string }) },
      undefined,
      "json",
    );
    let failing = true;
    const memory: MemoryReader = {
      used: () => {
        // what process.memoryUsage() throws when every descriptor is taken
        if (failing) throw Object.assign(new Error("EMFILE: too many open files, uv_resident_set_memory"), { code: "EMFILE" });
        return 10;
      },
      collect: () => undefined,
    };
    const m = new ResourceMonitor(
      new ResourceAlarms(),
      tmpdir(),
      { ...DEFAULT_LIMITS, memoryHighWatermarkBytes: 100, diskFreeLimit: 0 },
      logger,
      memory,
    );
    for (let i = 0; i < 5; i++) await m.check();
    expect(lines.map((l) => l.msg)).toEqual(["resource check failed; alarms keep their state until a check works again"]);
    failing = false;
    await m.check();
    await m.check();
    expect(lines.map((l) => l.msg).slice(1)).toEqual(["resource checks work again"]);
    failing = true;
    await m.check();
    expect(lines).toHaveLength(3);
  });
});
