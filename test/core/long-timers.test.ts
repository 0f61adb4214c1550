import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock, MAX_TIMER_MS, systemClock } from "../../src/core/clock.js";
import { BrokerError } from "../../src/core/errors.js";
import { Message, type MessageProperties } from "../../src/core/message.js";
import { VirtualHost } from "../../src/core/vhost.js";
import { watchTimerOverflows } from "../helpers/timer-overflows.js";

// Durations past setTimeout's 2^31-1 ms (24.8 days): Node fires those after 1 ms and prints a
// TimeoutOverflowWarning, so each must wait its full length and warn nothing.
const LONG = 3_000_000_000; // 34.7 days
const DAY = 86_400_000;

function ok<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw new Error(`unexpected ${r.toString()}`);
  return r;
}

const msg = (body: string, props: MessageProperties = {}) => new Message("", "q", Buffer.from(body), props);

const overflows = watchTimerOverflows();
afterEach(() => {
  vi.useRealTimers();
});
const nextTurn = () => new Promise((r) => setImmediate(r));

describe("the system clock with delays past 2^31-1 ms", () => {
  it("fires once the whole delay has passed, not at setTimeout's limit", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const fired = vi.fn();
    systemClock.schedule(fired, LONG);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(LONG - MAX_TIMER_MS - 2);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10 * LONG);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it("can be cancelled after it has re-armed", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const fired = vi.fn();
    const t = systemClock.schedule(fired, 3 * LONG);
    vi.advanceTimersByTime(LONG);
    t.cancel();
    vi.advanceTimersByTime(10 * LONG);
    expect(fired).not.toHaveBeenCalled();
  });

  it("emits no TimeoutOverflowWarning", async () => {
    const t = systemClock.schedule(() => undefined, 0xffffffff * 1000);
    await nextTurn();
    t.cancel();
    expect(overflows()).toEqual([]);
  });
});

function world() {
  const clock = new ManualClock();
  const v = new VirtualHost("/", undefined, clock);
  return { clock, v };
}

describe("queue timers past 2^31-1 ms (injected clock)", () => {
  it("x-message-ttl", () => {
    const { clock, v } = world();
    ok(v.declareQueue("q", { args: { "x-message-ttl": LONG } }, null));
    ok(v.publish("", "q", msg("a")));
    clock.advance(MAX_TIMER_MS + 1);
    expect(v.queues.get("q")!.messageCount).toBe(1);
    clock.advance(LONG - MAX_TIMER_MS - 1);
    expect(v.queues.get("q")!.messageCount).toBe(0);
  });

  it("per-message expiration", () => {
    const { clock, v } = world();
    ok(v.declareQueue("q", {}, null));
    ok(v.publish("", "q", msg("a", { expiration: String(LONG) })));
    clock.advance(MAX_TIMER_MS + 1);
    expect(v.queues.get("q")!.messageCount).toBe(1);
    clock.advance(LONG - MAX_TIMER_MS - 1);
    expect(v.queues.get("q")!.messageCount).toBe(0);
  });

  it("x-expires", () => {
    const { clock, v } = world();
    ok(v.declareQueue("q", { args: { "x-expires": LONG } }, null));
    clock.advance(MAX_TIMER_MS + 1);
    expect(v.queues.has("q")).toBe(true);
    clock.advance(LONG - MAX_TIMER_MS - 1);
    expect(v.queues.has("q")).toBe(false);
  });
});

describe("the delayed-message exchange past 2^31-1 ms", () => {
  function delayed(v: VirtualHost) {
    ok(v.declareExchange("later", { type: "x-delayed-message", args: { "x-delayed-type": "direct" } }));
    ok(v.declareQueue("q", {}, null));
    ok(v.bindQueue("q", "later", "k", {}, null));
    return () => v.queues.get("q")!.messageCount;
  }

  it("holds a 30-day x-delay on the vhost's injected clock", () => {
    const { clock, v } = world();
    const count = delayed(v);
    ok(v.publish("later", "k", new Message("later", "k", Buffer.from("x"), { headers: { "x-delay": 30 * DAY } })));
    clock.advance(MAX_TIMER_MS + 1);
    expect(count()).toBe(0);
    clock.advance(30 * DAY - MAX_TIMER_MS - 2);
    expect(count()).toBe(0);
    clock.advance(1);
    expect(count()).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it("emits no TimeoutOverflowWarning on the system clock", async () => {
    const v = new VirtualHost("/");
    delayed(v);
    ok(v.publish("later", "k", new Message("later", "k", Buffer.from("x"), { headers: { "x-delay": 40 * DAY } })));
    await nextTurn();
    v.stopTimers();
    expect(overflows()).toEqual([]);
  });
});

describe("scheduled publishes (OpenWire's AMQ_SCHEDULED_DELAY) past 2^31-1 ms", () => {
  it("publish to their own exchange and routing key at their due time, in due order, on the injected clock", () => {
    const { clock, v } = world();
    ok(v.declareQueue("q", {}, null));
    const count = () => v.queues.get("q")!.messageCount;
    const now = clock.now();
    const delayed = (delay: number) => ({ cron: null, delay, period: 0, repeat: 0 });
    v.scheduleJob(msg("second"), "second", delayed(30 * DAY + 5));
    v.scheduleJob(msg("first"), "first", delayed(30 * DAY));
    expect(v.scheduledCount).toBe(2);
    clock.advance(MAX_TIMER_MS + 1);
    expect(count()).toBe(0);
    clock.advance(30 * DAY - MAX_TIMER_MS - 2);
    expect(count()).toBe(0);
    clock.advance(1);
    expect(count()).toBe(1);
    clock.advance(5);
    expect(count()).toBe(2);
    expect(
      v.queues
        .get("q")!
        .browse(2)
        .map((e) => e.message.body.toString()),
    ).toEqual(["first", "second"]);
    expect(v.scheduledCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
