/**
 * Resource alarms as RabbitMQ raises them (memory high watermark, disk free limit). The core only
 * holds the state; a monitor in src/server measures, and front-ends stop reading publishers while
 * any alarm is on (AMQP: connection.blocked / connection.unblocked).
 */
export type AlarmResource = "memory" | "disk";

export type AlarmListener = (blocked: boolean, reason: string) => void;

export class ResourceAlarms {
  private readonly active = new Set<AlarmResource>();
  private readonly listeners = new Set<AlarmListener>();

  /** Whether publishers must be blocked. */
  get blocked(): boolean {
    return this.active.size > 0;
  }

  /** RabbitMQ's connection.blocked reason text for the alarms now on. */
  get reason(): string {
    if (this.active.has("memory")) return "low on memory";
    if (this.active.has("disk")) return "low on disk";
    return "";
  }

  isSet(r: AlarmResource): boolean {
    return this.active.has(r);
  }

  set(r: AlarmResource, on: boolean): void {
    const was = this.blocked;
    if (on) this.active.add(r);
    else this.active.delete(r);
    if (this.blocked !== was) for (const l of [...this.listeners]) l(this.blocked, this.reason);
  }

  /** Hears every change between blocked and unblocked; returns the unsubscribe. */
  subscribe(l: AlarmListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
