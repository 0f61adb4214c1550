// Scheduled jobs in the core (OpenWire's AMQ_SCHEDULED_CRON / _DELAY / _PERIOD / _REPEAT): one
// held entry and one timer per vhost however often a job fires, on the injected clock; removal;
// and a persistent job across a restart of the real store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { amqpPropertiesCodec, encodeProperties } from "../../protocols/amqp/codec/properties.js";
import { Broker } from "../../src/core/broker.js";
import { ManualClock, MAX_TIMER_MS } from "../../src/core/clock.js";
import { BrokerError } from "../../src/core/errors.js";
import { Message } from "../../src/core/message.js";
import type { JobSpec } from "../../src/core/scheduled-jobs.js";
import { VirtualHost } from "../../src/core/vhost.js";
import { acquireDataDirLock } from "../../src/store/lock.js";
import { DiskPersistence } from "../../src/store/persistence.js";

const MINUTE = 60_000;
const DAY = 86_400_000;
/** 2026-12-07T12:00:30Z: half a minute past a minute boundary. */
const START = Date.parse("2026-12-07T12:00:30Z");

function ok<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw new Error(`unexpected ${r.toString()}`);
  return r;
}

const job = (over: Partial<JobSpec>): JobSpec => ({ cron: null, delay: 0, period: 0, repeat: 0, ...over });
const persistent = (body: string) => new Message("", "q", Buffer.from(body), { deliveryMode: 2, messageId: "sent" });

function world() {
  const clock = new ManualClock(START);
  const v = new VirtualHost("/", undefined, clock);
  ok(v.declareQueue("q", {}, null));
  return { clock, v };
}

/** How many messages queue q holds. */
function count(v: VirtualHost): number {
  return v.queues.get("q")!.messageCount;
}

describe("scheduled jobs on the injected clock", () => {
  it("cron * * * * *: a copy at each minute boundary, one held entry and one timer", () => {
    const { clock, v } = world();
    expect(v.scheduleJob(persistent("tick"), "job-1", job({ cron: "* * * * *" }))).toBe(true);
    clock.advance(30_000 - 1);
    expect(count(v)).toBe(0);
    clock.advance(1); // 12:01:00
    expect(count(v)).toBe(1);
    clock.advance(MINUTE - 1);
    expect(count(v)).toBe(1);
    clock.advance(1); // 12:02:00
    expect(count(v)).toBe(2);
    clock.advance(10 * MINUTE);
    expect(count(v)).toBe(12);
    expect(v.scheduledCount).toBe(1);
    expect(clock.pendingTimers).toBe(1);
  });

  it("each copy of a repeating job has a message id of its own", () => {
    const { clock, v } = world();
    v.scheduleJob(persistent("again"), "job-ids", job({ period: 100, repeat: 2 }));
    clock.advance(1000);
    const q = v.queues.get("q")!;
    expect(q.messageCount).toBe(3);
    expect(v.scheduledCount).toBe(0);
    const ids = new Set([1, 2, 3].map(() => q.get(true)?.message.properties.messageId));
    expect(ids.size).toBe(3);
    expect(ids.has("sent")).toBe(false);
  });

  it("cron with delay, period and repeat: at each cron time a new run of 1 + repeat copies starts", () => {
    const { clock, v } = world();
    // every 5 minutes: 12:05, 12:10...; delay 1 s, then 2 more a 2 s period apart
    v.scheduleJob(persistent("burst"), "job-2", job({ cron: "*/5 * * * *", delay: 1000, period: 2000, repeat: 2 }));
    const at = (iso: string) => Date.parse(iso) - clock.now();
    // the first cron time is also delayed (ActiveMQ: its cron job's first run is at cron + delay)
    clock.advance(at("2026-12-07T12:05:01Z"));
    expect(count(v)).toBe(0); // the cron job started the run: its first copy is a delay later
    clock.advance(1000);
    expect(count(v)).toBe(1);
    clock.advance(2000);
    expect(count(v)).toBe(2);
    clock.advance(2000);
    expect(count(v)).toBe(3);
    clock.advance(MINUTE);
    expect(count(v)).toBe(3);
    // 12:10:00 starts the next run: 12:10:01, :03, :05
    clock.advance(at("2026-12-07T12:10:01Z"));
    expect(count(v)).toBe(4);
    clock.advance(4000);
    expect(count(v)).toBe(6);
    expect(v.scheduledCount).toBe(1); // only the cron job is left
  });

  it("an unlimited repeat goes on past 2^31 ms periods until the job is removed", () => {
    const { clock, v } = world();
    const period = 30 * DAY; // past setTimeout's 2^31-1 ms
    v.scheduleJob(persistent("monthly"), "job-3", job({ period, repeat: -1 }));
    clock.advance(MAX_TIMER_MS + 1);
    expect(count(v)).toBe(0);
    clock.advance(period - MAX_TIMER_MS - 1);
    expect(count(v)).toBe(1);
    clock.advance(3 * period);
    expect(count(v)).toBe(4);
    expect(v.scheduledCount).toBe(1);
    expect(v.removeScheduledJob("other")).toBe(0);
    expect(v.removeScheduledJob("job-3")).toBe(1);
    expect(v.scheduledCount).toBe(0);
    clock.advance(3 * period);
    expect(count(v)).toBe(4);
    expect(clock.pendingTimers).toBe(0);
  });

  it("REMOVEALL removes every job, or those next due within a window", () => {
    const { clock, v } = world();
    v.scheduleJob(persistent("a"), "a", job({ delay: 1000 }));
    v.scheduleJob(persistent("b"), "b", job({ delay: 5000 }));
    v.scheduleJob(persistent("c"), "c", job({ cron: "* * * * *" }));
    // a window on the next times: b only
    expect(v.removeScheduledJobs(START + 2000, START + 6000)).toBe(1);
    clock.advance(10_000);
    expect(count(v)).toBe(1); // a
    expect(v.removeScheduledJobs()).toBe(1); // c
    clock.advance(10 * MINUTE);
    expect(count(v)).toBe(1);
  });
});

describe("a persistent scheduled job across a restart (the store, the injected clock)", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const log = { warn: () => {}, error: () => {} };
  const codec = { properties: amqpPropertiesCodec, encode: encodeProperties };

  async function open(dir: string, clock: ManualClock) {
    const persistence = new DiskPersistence({ dataDir: dir, codec, log, lock: await acquireDataDirLock(dir) });
    const broker = new Broker({ clock, seedDefaults: false });
    if (!persistence.restore(broker)) {
      broker.addVhost("/");
      broker.users.add("guest", "guest", ["administrator"]);
    }
    const v = ok(broker.vhost("/"));
    if (!v.queues.has("q")) ok(v.declareQueue("q", { durable: true }, null));
    return { persistence, broker, v };
  }

  it("a cron job goes on after a restart: a time missed while down fires once, then the next cron times", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warren-jobs-"));
    dirs.push(dir);
    const clock = new ManualClock(START);
    let s = await open(dir, clock);
    s.v.scheduleJob(persistent("cron"), "job-d", job({ cron: "* * * * *" }));
    clock.advance(30_000); // 12:01:00
    expect(s.v.queues.get("q")!.messageCount).toBe(1);
    s.v.stopTimers();
    await s.persistence.close();
    // down from 12:01:10 to 12:04:10: three cron times missed
    clock.advance(3 * MINUTE + 10_000);
    s = await open(dir, clock);
    expect(s.v.scheduledCount).toBe(1);
    const before = s.v.queues.get("q")!.messageCount;
    clock.advance(0);
    expect(s.v.queues.get("q")!.messageCount).toBe(before + 1); // the missed time, once
    clock.advance(50_000 - 1); // 12:04:59.999
    expect(s.v.queues.get("q")!.messageCount).toBe(before + 1);
    clock.advance(1); // 12:05:00
    expect(s.v.queues.get("q")!.messageCount).toBe(before + 2);
    s.v.stopTimers();
    await s.persistence.close();
  });

  it("after a restart, each run a cron job starts names its own job in the copies, each with its own message id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warren-jobs-"));
    dirs.push(dir);
    const clock = new ManualClock(START);
    let s = await open(dir, clock);
    // as the OpenWire front-end makes a template: the job header names the cron job
    const template = new Message("", "q", Buffer.from("run"), { deliveryMode: 2, messageId: "sent", headers: { scheduledJobId: "job-c" } });
    s.v.scheduleJob(template, "job-c", job({ cron: "*/5 * * * *", delay: 1000, period: 1000, repeat: 1 }));
    s.v.stopTimers();
    await s.persistence.close();
    s = await open(dir, clock);
    // the cron job fires at 12:05:01 (cron time + delay) and starts a run, a job of its own: copies
    // at 12:05:02 and 12:05:03
    clock.advance(Date.parse("2026-12-07T12:05:03Z") - clock.now());
    const q = s.v.queues.get("q")!;
    expect(q.messageCount).toBe(2);
    const copies = [q.get(true)!.message.properties, q.get(true)!.message.properties];
    const jobIds = copies.map((p) => p.headers?.scheduledJobId);
    expect(jobIds[0]).toBe(jobIds[1]);
    expect(jobIds[0]).not.toBe("job-c");
    expect(typeof jobIds[0]).toBe("string");
    expect(new Set(copies.map((p) => p.messageId)).size).toBe(2);
    expect(copies.map((p) => p.messageId)).not.toContain("sent");
    s.v.stopTimers();
    await s.persistence.close();
  });

  it("a repeating job keeps its remaining copies across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warren-jobs-"));
    dirs.push(dir);
    const clock = new ManualClock(START);
    let s = await open(dir, clock);
    s.v.scheduleJob(persistent("rep"), "job-r", job({ delay: 100, period: 1000, repeat: 3 }));
    clock.advance(100);
    expect(s.v.queues.get("q")!.messageCount).toBe(1);
    s.v.stopTimers();
    await s.persistence.close();
    s = await open(dir, clock);
    const before = s.v.queues.get("q")!.messageCount;
    expect(s.v.scheduledCount).toBe(1);
    clock.advance(10_000);
    expect(s.v.queues.get("q")!.messageCount).toBe(before + 3);
    expect(s.v.scheduledCount).toBe(0);
    s.v.stopTimers();
    await s.persistence.close();
    // done: nothing comes back
    s = await open(dir, clock);
    expect(s.v.scheduledCount).toBe(0);
    await s.persistence.close();
  });
});
