/**
 * How much memory the broker may count on, for the memory high watermark: RabbitMQ's
 * `total_memory_available_override_value` when set, else the container's memory limit when there
 * is one (cgroup v2 `memory.max`, cgroup v1 `memory.limit_in_bytes`, the lowest along the
 * process's cgroup path), else the machine's RAM. RabbitMQ 3.10 itself reads only the machine's
 * RAM (/proc/meminfo) and relies on the override in containers (its Kubernetes operator sets it
 * from the limit); reading the limit makes the default watermark right in any container. Read once
 * at start, from files under `root` ("/" but for tests).
 */
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";

export interface TotalMemory {
  readonly bytes: number;
  readonly source: "override" | "cgroup" | "os";
}

/** cgroup v1 writes a page-rounded 2^63-1 for "no limit"; anything this large is no limit. */
const UNLIMITED = 2 ** 62;

function readLimit(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, "latin1").trim();
  } catch {
    return null;
  }
  if (!/^\d+$/.test(text)) return null; // "max" (v2): no limit
  const n = Number(text);
  return n > 0 && n < UNLIMITED ? n : null;
}

/** The lowest limit in `file` of the cgroup directory `dir` and each of its parents up to `top`. */
function lowestUpTo(top: string, cgroupPath: string, file: string): number | null {
  let best: number | null = null;
  const parts = cgroupPath.split("/").filter(Boolean);
  for (let i = parts.length; i >= 0; i--) {
    const v = readLimit(join(top, ...parts.slice(0, i), file));
    if (v !== null && (best === null || v < best)) best = v;
  }
  return best;
}

/**
 * The memory limit of the cgroup this process runs in, or null when there is none (or no cgroup
 * file system). Both hierarchies are tried: hybrid systems have the memory controller on v1.
 */
export function containerMemoryLimit(root = "/"): number | null {
  let lines: string[];
  try {
    lines = readFileSync(join(root, "proc/self/cgroup"), "latin1").split("\n");
  } catch {
    return null;
  }
  const cgroupFs = join(root, "sys/fs/cgroup");
  const found: number[] = [];
  for (const line of lines) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === "") {
      // cgroup v2: the unified hierarchy, mounted at /sys/fs/cgroup (or /sys/fs/cgroup/unified on hybrid systems)
      for (const top of [cgroupFs, join(cgroupFs, "unified")]) {
        const v = lowestUpTo(top, path, "memory.max");
        if (v !== null) found.push(v);
      }
    } else if (controllers!.split(",").includes("memory")) {
      const v = lowestUpTo(join(cgroupFs, "memory"), path, "memory.limit_in_bytes");
      if (v !== null) found.push(v);
    }
  }
  return found.length === 0 ? null : Math.min(...found);
}

/** The total the watermark is a fraction of, and where it came from. */
export function totalMemory(override: number | undefined, root = "/", osTotal: number = totalmem()): TotalMemory {
  if (override !== undefined) return { bytes: override, source: "override" };
  const limit = containerMemoryLimit(root);
  if (limit !== null && limit < osTotal) return { bytes: limit, source: "cgroup" };
  return { bytes: osTotal, source: "os" };
}
