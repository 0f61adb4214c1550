import { statfs } from "node:fs/promises";
import { totalmem } from "node:os";
import type { ResourceAlarms } from "../core/index.js";
import type { Logger } from "./logger.js";

export interface ResourceLimits {
  /** Fraction of total RAM (RabbitMQ's vm_memory_high_watermark, default 0.4)… */
  memoryHighWatermark: number;
  /** …or an absolute RSS limit in bytes, which wins when set. */
  memoryHighWatermarkBytes?: number;
  /** Free bytes the data dir's filesystem must keep (RabbitMQ's disk_free_limit, default 50 MB). */
  diskFreeLimit: number;
  /** How often usage is sampled, in ms (one timer for the whole broker). */
  checkIntervalMs: number;
}

export const DEFAULT_LIMITS: ResourceLimits = { memoryHighWatermark: 0.4, diskFreeLimit: 50_000_000, checkIntervalMs: 1000 };

/** Samples RSS and the data dir's free space; sets and clears the broker's alarms. */
export class ResourceMonitor {
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly alarms: ResourceAlarms,
    private readonly dataDir: string,
    public limits: ResourceLimits,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.limits.checkIntervalMs);
    this.timer.unref();
  }

  /** One measurement now; resolves once alarms reflect it. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const rss = process.memoryUsage.rss();
      const memLimit = this.limits.memoryHighWatermarkBytes ?? this.limits.memoryHighWatermark * totalmem();
      this.update("memory", rss > memLimit, { rss, limit: Math.round(memLimit) });
      const fsInfo = await statfs(this.dataDir);
      const free = fsInfo.bavail * fsInfo.bsize;
      this.update("disk", free < this.limits.diskFreeLimit, { free, limit: this.limits.diskFreeLimit, dataDir: this.dataDir });
    } catch (err) {
      this.log.warn({ err }, "resource check failed");
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
