import { describe, expect, it } from "vitest";
import { type ClockTimer, ManualClock, MAX_TIMER_MS } from "../../src/core/index.js";
import { HeartbeatSweeper, type HeartbeatWatched, sweepGap } from "../../src/transport/heartbeats.js";

/** A ManualClock that counts the timers set on it: each is one wake of the sweeper. */
class CountingClock extends ManualClock {
  wakes = 0;

  override schedule(callback: () => void, delayMs: number): ClockTimer {
    this.wakes++;
    return super.schedule(callback, delayMs);
  }
}

/** A connection as the sweeper sees it, recording what it was made to do (times relative to its start). */
class Peer implements HeartbeatWatched {
  lastRead: number;
  lastWrite: number;
  readonly sent: number[] = [];
  readonly timedOut: number[] = [];
  /** Not read (a resource alarm): silence is ours, so a timeout keeps the connection. */
  paused = false;
  private readonly start: number;

  constructor(
    private readonly clock: ManualClock,
    private readonly sweeper: HeartbeatSweeper,
    readonly heartbeatSendMs: number,
    readonly heartbeatTimeoutMs: number,
  ) {
    this.start = this.lastRead = this.lastWrite = clock.now();
    sweeper.watch(this);
  }

  sendHeartbeat(): void {
    this.lastWrite = this.clock.now();
    this.sent.push(this.clock.now() - this.start);
  }

  heartbeatTimedOut(): void {
    if (this.paused) {
      this.lastRead = this.clock.now();
      this.sweeper.watch(this);
      return;
    }
    this.timedOut.push(this.clock.now() - this.start);
  }

  /** Bytes from the peer. */
  hear(): void {
    this.lastRead = this.clock.now();
  }

  /** Bytes from us (not a heartbeat). */
  say(): void {
    this.lastWrite = this.clock.now();
  }
}

function setup(): { clock: CountingClock; sweeper: HeartbeatSweeper } {
  const clock = new CountingClock();
  return { clock, sweeper: new HeartbeatSweeper(clock) };
}

describe("HeartbeatSweeper", () => {
  it("sends a heartbeat after the send interval of quiet, at most a quarter of it late", () => {
    const { clock, sweeper } = setup();
    // AMQP with heartbeat=1: a frame after 500 ms quiet, the peer gone after 2 s
    const p = new Peer(clock, sweeper, 500, 2000);
    for (let i = 0; i < 6; i++) {
      clock.advance(250);
      p.hear();
    }
    expect(p.sent.length).toBe(3);
    for (const [i, at] of p.sent.entries()) {
      expect(at).toBeGreaterThanOrEqual(500 * (i + 1));
      expect(at).toBeLessThanOrEqual(500 * (i + 1) + sweepGap(500));
    }
    expect(p.timedOut).toEqual([]);
  });

  it("sends nothing while the connection writes on its own", () => {
    const { clock, sweeper } = setup();
    const p = new Peer(clock, sweeper, 500, 2000);
    for (let i = 0; i < 20; i++) {
      clock.advance(400);
      p.say();
      p.hear();
    }
    expect(p.sent).toEqual([]);
  });

  it("closes a peer silent past its limit, not before, and stops watching it", () => {
    const { clock, sweeper } = setup();
    const p = new Peer(clock, sweeper, 500, 2000);
    clock.advance(2000);
    expect(p.timedOut).toEqual([]);
    clock.advance(sweepGap(500) + 1);
    expect(p.timedOut.length).toBe(1);
    expect(p.timedOut[0]).toBeGreaterThan(2000);
    expect(sweeper.size).toBe(0);
    // nothing watched: no timer left
    expect(clock.pendingTimers).toBe(0);
    clock.advance(10_000);
    expect(p.timedOut.length).toBe(1);
  });

  it("keeps a peer whose silence is ours (not read under an alarm) and closes it once read again and silent", () => {
    const { clock, sweeper } = setup();
    const p = new Peer(clock, sweeper, 500, 2000);
    p.paused = true;
    clock.advance(10_000);
    expect(p.timedOut).toEqual([]);
    // heartbeats still go out while we are not reading
    expect(p.sent.length).toBeGreaterThanOrEqual(19);
    p.paused = false;
    p.hear();
    clock.advance(2000);
    expect(p.timedOut).toEqual([]);
    clock.advance(1000);
    expect(p.timedOut.length).toBe(1);
  });

  it("watches any number of connections on one timer, and none once they are gone", () => {
    const { clock, sweeper } = setup();
    const peers: Peer[] = [];
    for (let i = 0; i < 1000; i++) {
      peers.push(new Peer(clock, sweeper, 30_000, 120_000));
      clock.advance(7);
      expect(clock.pendingTimers).toBe(1);
    }
    clock.advance(60_000);
    expect(clock.pendingTimers).toBe(1);
    for (const p of peers) expect(p.sent.length).toBeGreaterThanOrEqual(1);
    for (const p of peers) sweeper.unwatch(p);
    expect(clock.pendingTimers).toBe(0);
  });

  it("follows the smallest interval in use: a 1 s connection beside 60 s ones is served on time", () => {
    const { clock, sweeper } = setup();
    for (let i = 0; i < 10; i++) new Peer(clock, sweeper, 30_000, 120_000);
    clock.advance(1000);
    const fast = new Peer(clock, sweeper, 500, 2000);
    for (let i = 0; i < 8; i++) {
      clock.advance(250);
      fast.hear();
    }
    expect(fast.sent.length).toBe(4);
    for (const [i, at] of fast.sent.entries()) expect(at - 500 * (i + 1)).toBeLessThanOrEqual(sweepGap(500));
  });

  it("wakes only when something is due when intervals are long", () => {
    const { clock, sweeper } = setup();
    // MQTT keep-alive 60 s: 90 s limit, nothing to send; the client pings every 60 s
    const p = new Peer(clock, sweeper, 0, 90_000);
    for (let i = 0; i < 10; i++) {
      clock.advance(60_000);
      p.hear();
    }
    // a wake at each 90 s deadline, which the last ping pushed back: about one per ping, not one per 500 ms
    expect(clock.wakes).toBeLessThanOrEqual(11);
    expect(p.timedOut).toEqual([]);
    clock.advance(90_000 + sweepGap(90_000));
    expect(p.timedOut.length).toBe(1);
  });

  it("keeps intervals past setTimeout's 2^31-1 ms exactly, without waking in between", () => {
    const { clock, sweeper } = setup();
    // STOMP heart-beat:5000000000,5000000000: an EOL half the interval before the client's deadline
    const send = 5_000_000_000 - MAX_TIMER_MS;
    const p = new Peer(clock, sweeper, send, 10_000_000_000);
    clock.advance(MAX_TIMER_MS + 1);
    expect(p.sent).toEqual([]);
    clock.advance(send - MAX_TIMER_MS - 2);
    expect(p.sent).toEqual([]);
    clock.advance(1);
    expect(p.sent).toEqual([send]);
    expect(clock.wakes).toBe(2);
    clock.advance(10_000_000_000 - send - 1);
    expect(p.timedOut).toEqual([]);
    clock.advance(sweepGap(send) + 1);
    expect(p.timedOut).toEqual([10_000_000_001]);
  });

  it("spaces wakes at least the gap apart however scattered the deadlines", () => {
    const { clock, sweeper } = setup();
    // 500 connections whose 1 s sends fall due 1 ms apart
    for (let i = 0; i < 500; i++) {
      new Peer(clock, sweeper, 1000, 0);
      clock.advance(1);
    }
    const before = clock.wakes;
    clock.advance(10_000);
    expect(clock.wakes - before).toBeLessThanOrEqual(10_000 / sweepGap(1000) + 1);
  });
});
