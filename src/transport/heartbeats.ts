import { type Clock, type ClockTimer, systemClock } from "../core/index.js";

/**
 * What the sweeper needs of a connection: the peer's silence limit, and, for protocols where the
 * server sends heartbeats too (AMQP, STOMP; not MQTT, whose client pings), our send interval.
 */
export interface HeartbeatWatched {
  /** The peer is gone once it has sent nothing for longer than this (ms); 0: never. */
  readonly heartbeatTimeoutMs: number;
  /** When the last bytes arrived (ms since the epoch). */
  readonly lastRead: number;
  /** Send a heartbeat once we have written nothing for this long (ms); 0 or absent: we send none. */
  readonly heartbeatSendMs?: number;
  /** When we last wrote (ms since the epoch); read only with a heartbeatSendMs. */
  readonly lastWrite?: number;
  /** Writes the protocol's heartbeat (an AMQP heartbeat frame, a STOMP EOL); called only with a heartbeatSendMs. */
  sendHeartbeat?(): void;
  /**
   * The peer was silent past heartbeatTimeoutMs. The sweeper has stopped watching: the connection
   * closes, or, if its silence is ours (not read under a resource alarm), moves lastRead on and
   * calls watch again.
   */
  heartbeatTimedOut(): void;
}

/** A sweep's wakes are at least this far apart whatever the intervals (1 s AMQP heartbeats give 125 ms). */
const MIN_GAP_MS = 10;
/** ...and at most this far apart when something is due: 1.5 × a long MQTT keep-alive is still kept to 500 ms. */
const MAX_GAP_MS = 500;

/**
 * How close together two wakes may be: a quarter of the smallest interval in use, so each duty
 * happens at most a quarter of its interval late, between MIN_GAP_MS and MAX_GAP_MS.
 */
export function sweepGap(smallestIntervalMs: number): number {
  return Math.max(MIN_GAP_MS, Math.min(MAX_GAP_MS, Math.floor(smallestIntervalMs / 4)));
}

/**
 * Heartbeats and keep-alives of every connection of every protocol on one timer, instead of a
 * timer per connection: with thousands of idle clients a Timeout and its closure each would cost
 * more than the rest of the connection; here a connection costs one Set entry.
 *
 * The timer is set for the earliest moment some connection is due (a heartbeat to send, a peer
 * silent past its limit), but never closer than sweepGap(smallest interval) after the previous
 * sweep, so many connections due at scattered moments share wakes and a duty is at most that gap
 * late. Idle connections with long intervals wake the process only when they are due. The clock's
 * timers take any delay, so intervals past setTimeout's 2^31-1 ms are kept exactly. The timer runs
 * only while something is watched.
 */
export class HeartbeatSweeper {
  private readonly watched = new Set<HeartbeatWatched>();
  private timer: ClockTimer | null = null;
  /** When the timer fires (ms since the epoch); Infinity while none is set. */
  private wakeAt = Infinity;
  private lastSweep = -Infinity;
  /** The smallest interval among the watched, as of the last sweep or watch (may be stale-small after an unwatch). */
  private smallest = Infinity;
  private sweeping = false;

  constructor(private readonly clock: Clock = systemClock) {}

  /** Connections watched now (for tests and metrics). */
  get size(): number {
    return this.watched.size;
  }

  /** Starts (or resumes) both duties for `c`; its intervals are read at every sweep. */
  watch(c: HeartbeatWatched): void {
    this.watched.add(c);
    this.smallest = Math.min(this.smallest, smallestInterval(c));
    // a watch from inside a sweep (a connection that keeps going) is scheduled by the sweep itself
    if (this.sweeping) return;
    const due = nextDue(c, Infinity);
    if (due < this.wakeAt) this.arm(due);
  }

  unwatch(c: HeartbeatWatched): void {
    if (!this.watched.delete(c) || this.watched.size > 0) return;
    this.stop();
  }

  /** Does each duty that is due now, then sets the timer for the next one. */
  sweep(): void {
    const now = this.clock.now();
    this.timer = null;
    this.wakeAt = Infinity;
    this.lastSweep = now;
    this.sweeping = true;
    let next = Infinity;
    let smallest = Infinity;
    try {
      for (const c of this.watched) {
        const timeoutMs = c.heartbeatTimeoutMs;
        if (timeoutMs > 0 && now - c.lastRead > timeoutMs) {
          this.watched.delete(c);
          c.heartbeatTimedOut();
          continue;
        }
        const sendMs = c.heartbeatSendMs ?? 0;
        let sentAt = -Infinity;
        if (sendMs > 0 && now - (c.lastWrite ?? -Infinity) >= sendMs) {
          c.sendHeartbeat?.();
          // a batched writer notes the write when it flushes; the next one is due from now
          sentAt = now;
        }
        next = nextDue(c, next, sentAt);
        smallest = Math.min(smallest, smallestInterval(c));
      }
    } finally {
      this.sweeping = false;
    }
    this.smallest = smallest;
    if (this.watched.size === 0) this.stop();
    else this.arm(next);
  }

  /** Stops the timer (the connections stay watched until they unwatch; a watch sets it again). */
  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.wakeAt = Infinity;
  }

  private arm(due: number): void {
    if (due === Infinity) return;
    const at = Math.max(due, this.lastSweep + sweepGap(this.smallest));
    this.timer?.cancel();
    this.wakeAt = at;
    this.timer = this.clock.schedule(this.onTimer, at - this.clock.now());
  }

  private readonly onTimer = (): void => this.sweep();
}

function smallestInterval(c: HeartbeatWatched): number {
  const send = c.heartbeatSendMs !== undefined && c.heartbeatSendMs > 0 ? c.heartbeatSendMs : Infinity;
  const timeout = c.heartbeatTimeoutMs > 0 ? c.heartbeatTimeoutMs : Infinity;
  return Math.min(send, timeout);
}

/** The earlier of `next` and `c`'s next duty: a heartbeat after `sendMs` quiet, a timeout just past its limit. */
function nextDue(c: HeartbeatWatched, next: number, sentAt = -Infinity): number {
  const sendMs = c.heartbeatSendMs ?? 0;
  if (sendMs > 0) next = Math.min(next, Math.max(sentAt, c.lastWrite ?? -Infinity) + sendMs);
  if (c.heartbeatTimeoutMs > 0) next = Math.min(next, c.lastRead + c.heartbeatTimeoutMs + 1);
  return next;
}

/** The one sweeper of the process: AMQP heartbeats, STOMP heart-beating and MQTT keep-alives. */
export const heartbeats = new HeartbeatSweeper();
