// the callback statfs: node:fs/promises would be loaded at start for this one call (~2 ms)
import { statfs as statfsCallback } from "node:fs";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { runInNewContext } from "node:vm";
import type { ResourceAlarms } from "../core/index.js";
import type { Logger } from "./logger.js";
import { type TotalMemory, totalMemory } from "./memory-limit.js";

export interface ResourceLimits {
  /** Fraction of total RAM (RabbitMQ's vm_memory_high_watermark, default 0.4)… */
  memoryHighWatermark: number;
  /**
   * …or an absolute limit in bytes, which wins when set (compared with `allocatedMemory()`); as
   * RabbitMQ does, never more than the total memory.
   */
  memoryHighWatermarkBytes?: number;
  /** RabbitMQ's total_memory_available_override_value: the total memory, instead of the container's limit or the RAM. */
  totalMemoryOverride?: number;
  /** Free bytes the data dir's filesystem must keep (RabbitMQ's disk_free_limit, default 50 MB). */
  diskFreeLimit: number;
  /** How often usage is sampled, in ms (one timer for the whole broker). */
  checkIntervalMs: number;
  /**
   * While memory reads over the limit, a full collection is forced before believing it, at most
   * once per this many ms (a full collection of a large heap takes tens of ms).
   */
  collectIntervalMs: number;
}

export const DEFAULT_LIMITS: ResourceLimits = {
  memoryHighWatermark: 0.4,
  diskFreeLimit: 50_000_000,
  checkIntervalMs: 1000,
  collectIntervalMs: 5000,
};

/** How the memory alarm measures: what is in use, and a full collection to make that exact. */
export interface MemoryReader {
  /** Bytes in use now. */
  used(): number;
  /** Frees what is garbage, so that `used()` counts only live memory. */
  collect(): void;
}

/**
 * The memory the alarm compares against (RabbitMQ's "allocated" strategy): the live JavaScript heap
 * plus the ArrayBuffers behind every Buffer (message bodies, socket reads). Not the process RSS:
 * glibc's malloc keeps freed Buffer memory mapped, so after draining 160 MB of messages RSS stayed
 * at 176-188 MB through full collections while this went back to its idle ≈ 11 MB (see
 * docs/configuration.md). Node's native baseline (≈ 45 MB of RSS: code, libuv, stacks) is not
 * counted.
 */
export function allocatedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

let fullCollection: (() => void) | null = null;

/** node:v8 (with its heap-utils and promise-hooks internals, ~1 ms of start-up CPU) only once an alarm needs a collection. */
const nodeRequire = createRequire(import.meta.url);

const statfs = promisify(statfsCallback);

/**
 * A full V8 collection. Garbage is only found by a collection, and a broker whose publishers are
 * blocked allocates little, so without one a drained heap would still count its dead messages and
 * the alarm would never clear. `--expose-gc` set at run time gives `gc` to contexts made after it.
 */
function collectGarbage(): void {
  if (fullCollection === null) {
    (nodeRequire("node:v8") as typeof import("node:v8")).setFlagsFromString("--expose-gc");
    fullCollection = runInNewContext("gc") as () => void;
  }
  // measured: one collection left 50 of 64 dropped 1 MiB Buffers counted (their backing stores are
  // released by the next one), a second brings the count back to where it was
  fullCollection();
  fullCollection();
}

export const PROCESS_MEMORY: MemoryReader = { used: allocatedMemory, collect: collectGarbage };

/** Samples memory and the data dir's free space; sets and clears the broker's alarms. */
export class ResourceMonitor {
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private lastCollect = -Infinity;
  /** Checks failed in a row: the first failure is logged, then nothing until one works again. */
  private failures = 0;
  /** What `check()` last measured, for the management API's mem_used. */
  memoryUsed = 0;
  /** What the watermark is a fraction of: the override, the container's limit or the RAM (read once). */
  readonly totalMemory: TotalMemory;

  constructor(
    private readonly alarms: ResourceAlarms,
    private readonly dataDir: string,
    public limits: ResourceLimits,
    private readonly log: Logger,
    private readonly memory: MemoryReader = PROCESS_MEMORY,
    /** Where /proc and /sys/fs/cgroup are read from ("/"; tests give a fake tree). */
    root = "/",
  ) {
    this.totalMemory = totalMemory(limits.totalMemoryOverride, root);
  }

  /** The memory high watermark in bytes (RabbitMQ's interpret_limit: a fraction of the total, or an absolute capped at it). */
  get memoryLimit(): number {
    const total = this.totalMemory.bytes;
    const abs = this.limits.memoryHighWatermarkBytes;
    return abs !== undefined ? Math.min(abs, total) : Math.trunc(this.limits.memoryHighWatermark * total);
  }

  start(): void {
    const t = this.totalMemory;
    const mib = (n: number) => Math.trunc(n / 1048576);
    this.log.info(
      { memoryLimit: this.memoryLimit, totalMemory: t.bytes, source: t.source },
      `memory high watermark set to ${mib(this.memoryLimit)} MiB (${this.memoryLimit} bytes) of ${mib(t.bytes)} MiB (${t.bytes} bytes) total (${t.source === "cgroup" ? "the container's memory limit" : t.source === "override" ? "total_memory_available_override_value" : "the machine's RAM"})`,
    );
    this.timer = setInterval(() => void this.check(), this.limits.checkIntervalMs);
    this.timer.unref();
  }

  /** One measurement now; resolves once alarms reflect it. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const memLimit = this.memoryLimit;
      let used = this.memory.used();
      const now = Date.now();
      if (used > memLimit && now - this.lastCollect >= this.limits.collectIntervalMs) {
        // over the limit: is it live memory or garbage not yet collected?
        this.lastCollect = now;
        this.memory.collect();
        used = this.memory.used();
      }
      this.memoryUsed = used;
      this.update("memory", used > memLimit, { used, limit: Math.round(memLimit) });
      const fsInfo = await statfs(this.dataDir);
      const free = fsInfo.bavail * fsInfo.bsize;
      this.update("disk", free < this.limits.diskFreeLimit, { free, limit: this.limits.diskFreeLimit, dataDir: this.dataDir });
      if (this.failures > 0) this.log.info({ failedChecks: this.failures }, "resource checks work again");
      this.failures = 0;
    } catch (err) {
      // with every descriptor taken (an idle-socket flood) process.memoryUsage() fails with EMFILE
      // once a second: say so once, not once a check
      if (this.failures++ === 0) this.log.warn({ err }, "resource check failed; alarms keep their state until a check works again");
    } finally {
      this.checking = false;
    }
  }

  private update(r: "memory" | "disk", on: boolean, detail: object): void {
    if (this.alarms.isSet(r) === on) return;
    if (on) this.log.warn(detail, `${r} alarm set: publishers are blocked`);
    else this.log.warn(detail, `${r} alarm cleared: publishers may continue`);
    this.alarms.set(r, on);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
