import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { totalmem, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ResourceAlarms } from "../../src/core/index.js";
import { createLogger } from "../../src/server/logger.js";
import { containerMemoryLimit, totalMemory } from "../../src/server/memory-limit.js";
import { DEFAULT_LIMITS, PROCESS_MEMORY, ResourceMonitor, type ResourceLimits } from "../../src/server/resource-monitor.js";

const GiB = 1024 ** 3;
const roots: string[] = [];

/** A fake root with the given files (path relative to "/" → content). */
async function fakeRoot(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "warren-cgroup-"));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});

const monitorWith = (root: string, limits: Partial<ResourceLimits> = {}) =>
  new ResourceMonitor(new ResourceAlarms(), tmpdir(), { ...DEFAULT_LIMITS, ...limits }, createLogger("silent"), PROCESS_MEMORY, root);

describe("the container's memory limit", () => {
  it("cgroup v2: memory.max of the process's cgroup (a namespaced container sees its own at the top)", async () => {
    const root = await fakeRoot({ "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": `${GiB}\n` });
    expect(containerMemoryLimit(root)).toBe(GiB);
  });

  it("cgroup v2: the lowest limit along the path; 'max' is no limit", async () => {
    const root = await fakeRoot({
      "proc/self/cgroup": "0::/system.slice/warren.service\n",
      "sys/fs/cgroup/system.slice/memory.max": `${2 * GiB}\n`,
      "sys/fs/cgroup/system.slice/warren.service/memory.max": "max\n",
    });
    expect(containerMemoryLimit(root)).toBe(2 * GiB);
  });

  it("cgroup v1: memory.limit_in_bytes of the memory controller; the 'unlimited' value is no limit", async () => {
    const root = await fakeRoot({
      "proc/self/cgroup": "12:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n",
      "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "536870912\n",
      "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
    });
    expect(containerMemoryLimit(root)).toBe(536870912);
    const unlimited = await fakeRoot({
      "proc/self/cgroup": "4:memory:/\n",
      "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
    });
    expect(containerMemoryLimit(unlimited)).toBeNull();
  });

  it("no cgroup file system: no limit", async () => {
    expect(containerMemoryLimit(await fakeRoot({}))).toBeNull();
  });

  it("the total is the override, else the limit when below the RAM, else the RAM", async () => {
    const root = await fakeRoot({ "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": `${GiB}\n` });
    expect(totalMemory(undefined, root, 8 * GiB)).toEqual({ bytes: GiB, source: "cgroup" });
    expect(totalMemory(3 * GiB, root, 8 * GiB)).toEqual({ bytes: 3 * GiB, source: "override" });
    expect(totalMemory(undefined, root, GiB / 2)).toEqual({ bytes: GiB / 2, source: "os" });
  });
});

describe("the memory high watermark", () => {
  it("is 0.4 of the container's limit, not of the machine's RAM", async () => {
    const limit = 512 * 1024 * 1024;
    const root = await fakeRoot({ "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": `${limit}\n` });
    const m = monitorWith(root);
    expect(m.totalMemory).toEqual({ bytes: limit, source: "cgroup" });
    expect(m.memoryLimit).toBe(Math.trunc(0.4 * limit));
    // without a container limit: the RAM, as before
    expect(monitorWith(await fakeRoot({})).memoryLimit).toBe(Math.trunc(0.4 * totalmem()));
  });

  it("honours total_memory_available_override_value over the container's limit", async () => {
    const root = await fakeRoot({ "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": `${GiB}\n` });
    const m = monitorWith(root, { totalMemoryOverride: 4 * GiB, memoryHighWatermark: 0.5 });
    expect(m.memoryLimit).toBe(2 * GiB);
  });

  it("caps an absolute watermark at the total memory, as RabbitMQ's interpret_limit does", async () => {
    const root = await fakeRoot({ "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": `${GiB}\n` });
    expect(monitorWith(root, { memoryHighWatermarkBytes: 2 * GiB }).memoryLimit).toBe(GiB);
    expect(monitorWith(root, { memoryHighWatermarkBytes: GiB / 4 }).memoryLimit).toBe(GiB / 4);
  });
});
