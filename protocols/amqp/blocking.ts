import type { FieldTable } from "../../src/core/index.js";
import type { SocketReads } from "../../src/transport/socket-reads.js";
import type { Frame } from "./codec/frames.js";
import type { AmqpMethod } from "./codec/methods.js";

/** What blocking needs of its connection (the connection implements it). */
export interface BlockableConnection {
  readonly capabilities: FieldTable;
  /** Whether the connection is open (connection.open-ok sent, not closing). */
  readonly running: boolean;
  send(channel: number, m: AmqpMethod): void;
  /**
   * The alarm cleared: handle the held content header (if any) and the frames read after it.
   * Returns false when the connection closed meanwhile, so the socket stays paused.
   */
  resumeReading(held: Frame | null): boolean;
}

/**
 * Resource alarms for one connection, as RabbitMQ's reader blocks publishers: a publish's content
 * header that arrives under an alarm waits (not routed, not confirmed), the socket is no longer
 * read, and clients that announced the capability hear connection.blocked / connection.unblocked.
 * Consumers on other connections keep draining.
 */
export class PublisherBlocking {
  /** Sent content (published) at least once: blocked by resource alarms, as RabbitMQ blocks publishers. */
  publisher = false;
  /** The socket is not read because of an alarm. */
  paused = false;
  /** The content header of a publish waiting for the alarm to clear. */
  private held: Frame | null = null;
  private toldBlocked = false;

  constructor(
    private readonly reads: SocketReads,
    private readonly conn: BlockableConnection,
  ) {}

  /** A publish's content header while an alarm is on: it waits, and the socket with it. */
  hold(frame: Frame, reason: string): void {
    this.held = frame;
    this.publisher = true;
    this.pause();
    this.tellBlocked(reason);
  }

  /**
   * An alarm changed. A connection that has published is blocked at once (connection.blocked, the
   * socket no longer read); others only when they publish (hold). On clearing, the held publish
   * goes on and, as RabbitMQ resets should_block, the connection counts as a publisher only again
   * once it publishes.
   */
  alarmChanged(blocked: boolean, reason: string): void {
    if (!this.conn.running) return;
    if (blocked) {
      if (!this.publisher) return;
      this.tellBlocked(reason);
      this.pause();
      return;
    }
    if (this.toldBlocked) {
      this.toldBlocked = false;
      this.conn.send(0, { kind: "connection.unblocked" });
    }
    this.publisher = false;
    if (!this.paused) return;
    this.paused = false;
    const held = this.held;
    this.held = null;
    const open = this.conn.resumeReading(held);
    if (this.paused || !open) return;
    this.reads.resume();
  }

  /** The connection is closing: a publisher paused by an alarm is read again, so that its close reaches us. */
  unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.reads.resume();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.reads.pause();
  }

  /** connection.blocked once per blocking, for clients that announced the capability (RabbitMQ's extension). */
  private tellBlocked(reason: string): void {
    if (this.toldBlocked || this.capabilities["connection.blocked"] !== true) return;
    this.toldBlocked = true;
    this.conn.send(0, { kind: "connection.blocked", reason });
  }

  private get capabilities(): FieldTable {
    return this.conn.capabilities;
  }
}
