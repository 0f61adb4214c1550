/**
 * What of the MQTT front-end outlives a restart beyond the durable queues themselves: retained
 * messages and persistent sessions' subscription options and expiry. The session queues, their
 * bindings and their persistent messages are the store's (definitions.json and the queue logs);
 * this file holds the rest, in `<dataDir>/mqtt/state.json`, rewritten atomically (temp file,
 * fsync, rename) at most every 100 ms and on close. A crash can lose the last 100 ms of retained
 * updates; it never leaves a torn file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../src/server/logger.js";
import type { PublishProperties } from "./message.js";
import type { SavedRetained } from "./retained.js";
import type { SubscriptionOptions } from "./session.js";

export interface SavedSession {
  vhost: string;
  clientId: string;
  /** Seconds; 0xFFFFFFFF never expires. */
  expiry: number;
  /** When its connection went (ms since the epoch), or null while connected. */
  disconnectedAt: number | null;
  subscriptions: [string, SubscriptionOptions][];
}

export interface MqttState {
  retained: SavedRetained[];
  sessions: SavedSession[];
}

const VERSION = 1;
const SAVE_DELAY_MS = 100;

/** v5 publish properties as JSON: Buffers become base64. */
function propsToJson(p: PublishProperties | undefined): unknown {
  if (p === undefined) return undefined;
  return { ...p, ...(p.correlationData !== undefined && { correlationData: p.correlationData.toString("base64") }) };
}

function propsFromJson(p: unknown): PublishProperties | undefined {
  if (p === undefined || p === null) return undefined;
  const o = p as PublishProperties & { correlationData?: unknown };
  return {
    ...o,
    ...(typeof o.correlationData === "string" && { correlationData: Buffer.from(o.correlationData, "base64") }),
  };
}

export class MqttStateFile {
  private readonly path: string;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly snapshot: () => MqttState,
    private readonly log: Logger,
    private readonly written?: (path: string, bytes: Buffer) => void,
  ) {
    this.path = join(dir, "state.json");
  }

  /** What the last run saved; empty when there is no file (first start) or it cannot be read. */
  load(): MqttState {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch {
      return { retained: [], sessions: [] };
    }
    try {
      const raw = JSON.parse(text) as {
        version: number;
        retained: (Omit<SavedRetained, "payload" | "properties"> & { payload: string; properties?: unknown })[];
        sessions: SavedSession[];
      };
      if (raw.version !== VERSION) throw new Error(`unknown version ${raw.version}`);
      return {
        retained: raw.retained.map((r) => ({ ...r, payload: Buffer.from(r.payload, "base64"), properties: propsFromJson(r.properties) })),
        sessions: raw.sessions,
      };
    } catch (err) {
      this.log.error(
        { path: this.path, err: (err as Error).message },
        "MQTT state file unreadable; starting without retained messages and sessions",
      );
      return { retained: [], sessions: [] };
    }
  }

  /** Something changed: written soon, once for everything that changes meanwhile. */
  changed(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  /** Writes now (also on close). */
  save(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const state = this.snapshot();
    const text = JSON.stringify({
      version: VERSION,
      retained: state.retained.map((r) => ({ ...r, payload: r.payload.toString("base64"), properties: propsToJson(r.properties) })),
      sessions: state.sessions,
    });
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${this.path}.tmp`;
      const fd = openSync(tmp, "w");
      const bytes = Buffer.from(text);
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      this.written?.(this.path, bytes);
    } catch (err) {
      this.log.error({ path: this.path, err: (err as Error).message }, "could not write the MQTT state file");
    }
  }

  /** Stops the pending write timer, writing what it would have written. */
  close(): void {
    if (this.timer !== null) this.save();
  }
}
