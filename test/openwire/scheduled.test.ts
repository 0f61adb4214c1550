// ActiveMQ's scheduled delivery over OpenWire: AMQ_SCHEDULED_DELAY, _PERIOD and _REPEAT hold a
// send in the core until due; the copies lose those properties and gain scheduledJobId.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { BrokerError } from "../../src/core/index.js";
import {
  DataType,
  type ExceptionResponse,
  makeActiveMQBytesMessage,
  makeActiveMQQueue,
  makeMessageId,
  makeProducerId,
} from "../../protocols/openwire/codec/commands.generated.js";
import { Writer } from "../../protocols/openwire/codec/primitives.js";
import { type PrimitiveValue, writePrimitiveMap } from "../../protocols/openwire/primitive-map.js";
import { openSession, type RawPeer } from "./raw.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(dataDir?: string): Promise<RunningBroker> {
  return startBroker({ openwire: { port: 0 }, amqp: { port: 0 }, logLevel: "silent", ...(dataDir && { dataDir }) });
}

/** Messages the default vhost holds for later. */
function scheduled(b: RunningBroker): number {
  const v = b.core.vhost("/");
  if (v instanceof BrokerError) throw v;
  return v.scheduledCount;
}

let seq = 0;
/** A BytesMessage `body` to queue `queue` with typed properties `props`, sent as command `commandId`. */
function send(
  p: RawPeer,
  connection: string,
  commandId: number,
  queue: string,
  body: string,
  props: [string, PrimitiveValue][],
  persistent = true,
  replyTo: string | null = null,
) {
  const w = new Writer(64);
  writePrimitiveMap(w, new Map(props));
  const producerId = makeProducerId({ connectionId: connection, sessionId: 1, value: 1 });
  p.send(
    makeActiveMQBytesMessage({
      commandId,
      responseRequired: true,
      destination: makeActiveMQQueue({ physicalName: queue }),
      producerId,
      messageId: makeMessageId({ producerId, producerSequenceId: ++seq }),
      persistent,
      priority: 4,
      content: Buffer.from(body),
      marshalledProperties: w.take(0),
      replyTo: replyTo === null ? null : makeActiveMQQueue({ physicalName: replyTo }),
    }),
  );
}

/** Polls until `queue` holds `n` ready messages, or fails after `ms`. */
async function waitForCount(ch: amqp.Channel, queue: string, n: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { messageCount } = await ch.checkQueue(queue);
    if (messageCount >= n) return;
    if (Date.now() > deadline) throw new Error(`${queue} has ${messageCount} of ${n} messages after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("OpenWire scheduled delivery", () => {
  it("AMQ_SCHEDULED_DELAY holds the message until due; the copy has scheduledJobId and no AMQ_SCHEDULED_*", async () => {
    const broker = await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const p = await openSession(broker.ports.openwire!, "ID:sched-1");
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("sched.q", { durable: true });
      const sentAt = Date.now();
      send(p, "ID:sched-1", 3, "sched.q", "later", [
        ["AMQ_SCHEDULED_DELAY", { long: 400 }],
        ["kept", "yes"],
      ]);
      expect((await p.answerTo(3)).dataType).toBe(DataType.Response);
      expect((await ch.checkQueue("sched.q")).messageCount).toBe(0);
      await waitForCount(ch, "sched.q", 1);
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(390);
      const m = await ch.get("sched.q", { noAck: true });
      expect(m && m.content.toString()).toBe("later");
      expect(m && m.properties.headers).toEqual({ kept: "yes", scheduledJobId: expect.stringMatching(/^ID:warren-job-[0-9a-z]+:\d+$/) });
    } finally {
      p.close();
      await conn.close();
      await broker.close();
    }
  });

  it("AMQ_SCHEDULED_PERIOD and _REPEAT deliver 1 + repeat copies, each with its own message id", async () => {
    const broker = await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const p = await openSession(broker.ports.openwire!, "ID:sched-2");
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("sched.rep", { durable: true });
      send(
        p,
        "ID:sched-2",
        3,
        "sched.rep",
        "again",
        [
          ["AMQ_SCHEDULED_DELAY", { long: 50 }],
          ["AMQ_SCHEDULED_PERIOD", { long: 100 }],
          ["AMQ_SCHEDULED_REPEAT", { int: 2 }],
        ],
        false,
      );
      await p.answerTo(3);
      await waitForCount(ch, "sched.rep", 3);
      const ids = new Set<string>();
      const jobs = new Set<unknown>();
      for (let i = 0; i < 3; i++) {
        const m = await ch.get("sched.rep", { noAck: true });
        expect(m && m.content.toString()).toBe("again");
        ids.add(m ? String(m.properties.messageId) : "");
        jobs.add(m && m.properties.headers?.scheduledJobId);
      }
      expect(ids.size).toBe(3);
      expect(jobs.size).toBe(1); // one job
      expect(scheduled(broker)).toBe(0);
    } finally {
      p.close();
      await conn.close();
      await broker.close();
    }
  });

  it("a bad AMQ_SCHEDULED_CRON, a repeat over 1000 and an unlimited repeat with cron are refused with ActiveMQ's exceptions", async () => {
    const broker = await start();
    const p = await openSession(broker.ports.openwire!, "ID:sched-3");
    try {
      const refused = async (commandId: number, props: [string, PrimitiveValue][]) => {
        send(p, "ID:sched-3", commandId, "sched.cron", "x", props);
        const r = (await p.answerTo(commandId)) as ExceptionResponse;
        expect(r.dataType).toBe(DataType.ExceptionResponse);
        return { className: r.exception?.className, message: r.exception?.message };
      };
      // the texts ActiveMQ 5.17.2 gives (its broker for the first three, its client's check for the range)
      expect(await refused(3, [["AMQ_SCHEDULED_CRON", "* * *"]])).toEqual({
        className: "java.lang.IllegalArgumentException",
        message: "Not a valid cron entry - wrong number of tokens(3): * * *",
      });
      expect(await refused(4, [["AMQ_SCHEDULED_CRON", "x * * * *"]])).toEqual({
        className: "java.lang.NumberFormatException",
        message: 'For input string: "x"',
      });
      expect(await refused(5, [["AMQ_SCHEDULED_CRON", "*/0 * * * *"]])).toEqual({
        className: "java.lang.ArithmeticException",
        message: "/ by zero",
      });
      expect(await refused(6, [["AMQ_SCHEDULED_CRON", "70 * * * *"]])).toEqual({
        className: "javax.jms.MessageFormatException",
        message: "Invalid token: Minutes:70",
      });
      expect(
        await refused(7, [
          ["AMQ_SCHEDULED_PERIOD", { long: 100 }],
          ["AMQ_SCHEDULED_REPEAT", { int: 1001 }],
        ]),
      ).toEqual({ className: "javax.jms.MessageFormatException", message: "The scheduled repeat value is too large" });
      expect(
        await refused(8, [
          ["AMQ_SCHEDULED_CRON", "* * * * *"],
          ["AMQ_SCHEDULED_REPEAT", { int: -1 }],
        ]),
      ).toMatchObject({ className: "java.lang.UnsupportedOperationException" });
      expect(scheduled(broker)).toBe(0);
      // a good one is held as one job
      send(p, "ID:sched-3", 9, "sched.cron", "x", [["AMQ_SCHEDULED_CRON", "*/5 * * * *"]]);
      expect((await p.answerTo(9)).dataType).toBe(DataType.Response);
      expect(scheduled(broker)).toBe(1);
    } finally {
      p.close();
      await broker.close();
    }
  });

  it("an unlimited repeat goes on until ActiveMQ.Scheduler.Management's REMOVE names its scheduledJobId; REMOVEALL removes the rest", async () => {
    const broker = await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const p = await openSession(broker.ports.openwire!, "ID:sched-5");
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("sched.forever", { durable: true });
      send(p, "ID:sched-5", 3, "sched.forever", "again", [
        ["AMQ_SCHEDULED_PERIOD", { long: 20 }],
        ["AMQ_SCHEDULED_REPEAT", { int: -1 }],
      ]);
      expect((await p.answerTo(3)).dataType).toBe(DataType.Response);
      send(p, "ID:sched-5", 4, "sched.other", "cron", [["AMQ_SCHEDULED_CRON", "0 0 1 1 *"]]);
      await p.answerTo(4);
      expect(scheduled(broker)).toBe(2);
      await waitForCount(ch, "sched.forever", 5); // past 1 + repeat of any bounded job
      const m = await ch.get("sched.forever", { noAck: true });
      const jobId = m && m.properties.headers?.scheduledJobId;
      expect(jobId).toEqual(expect.any(String));
      send(p, "ID:sched-5", 5, "ActiveMQ.Scheduler.Management", "", [
        ["AMQ_SCHEDULER_ACTION", "REMOVE"],
        ["scheduledJobId", String(jobId)],
      ]);
      expect((await p.answerTo(5)).dataType).toBe(DataType.Response);
      expect(scheduled(broker)).toBe(1);
      await ch.purgeQueue("sched.forever");
      const { messageCount } = await ch.checkQueue("sched.forever");
      expect(messageCount).toBe(0);
      // the management destination is an action, not a queue
      await expect(broker.core.vhost("/")).not.toBeInstanceOf(BrokerError);
      expect((broker.core.vhost("/") as { queues: Map<string, unknown> }).queues.has("ActiveMQ.Scheduler.Management")).toBe(false);
      send(p, "ID:sched-5", 6, "ActiveMQ.Scheduler.Management", "", [["AMQ_SCHEDULER_ACTION", "REMOVEALL"]]);
      await p.answerTo(6);
      expect(scheduled(broker)).toBe(0);
    } finally {
      p.close();
      await conn.close();
      await broker.close();
    }
  });

  it("BROWSE sends each job's message to the JMSReplyTo, also for a job read back from the store, and the jobs go on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warren-sched-"));
    dirs.push(dir);
    let broker = await start(dir);
    let p = await openSession(broker.ports.openwire!, "ID:sched-6");
    send(p, "ID:sched-6", 3, "sched.browsed", "later", [
      ["AMQ_SCHEDULED_DELAY", { long: 3_600_000 }],
      ["app", "x"],
    ]);
    await p.answerTo(3);
    p.close();
    await broker.close();
    // read back from the store: the message has no OpenWire encoding any more
    broker = await start(dir);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    p = await openSession(broker.ports.openwire!, "ID:sched-7");
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("sched.replies", { durable: true });
      // no JMSReplyTo: nothing to answer (ActiveMQ ignores it too)
      send(p, "ID:sched-7", 3, "ActiveMQ.Scheduler.Management", "", [["AMQ_SCHEDULER_ACTION", "BROWSE"]]);
      expect((await p.answerTo(3)).dataType).toBe(DataType.Response);
      send(p, "ID:sched-7", 4, "ActiveMQ.Scheduler.Management", "", [["AMQ_SCHEDULER_ACTION", "BROWSE"]], false, "sched.replies");
      expect((await p.answerTo(4)).dataType).toBe(DataType.Response);
      await waitForCount(ch, "sched.replies", 1);
      const m = await ch.get("sched.replies", { noAck: true });
      expect(m && m.content.toString()).toBe("later");
      expect(m && m.properties.type).toBe("Advisory");
      expect(m && m.properties.deliveryMode).not.toBe(2);
      expect(m && m.properties.headers).toMatchObject({ app: "x", AMQ_SCHEDULED_DELAY: 3_600_000, scheduledJobId: expect.any(String) });
      // a window of next times that holds no job sends nothing
      send(
        p,
        "ID:sched-7",
        5,
        "ActiveMQ.Scheduler.Management",
        "",
        [
          ["AMQ_SCHEDULER_ACTION", "BROWSE"],
          ["ACTION_START_TIME", { long: 0 }],
          ["ACTION_END_TIME", { long: 1 }],
        ],
        false,
        "sched.replies",
      );
      await p.answerTo(5);
      expect((await ch.checkQueue("sched.replies")).messageCount).toBe(0);
      expect(scheduled(broker)).toBe(1);
    } finally {
      p.close();
      await conn.close();
      await broker.close();
    }
  });

  it("a persistent scheduled message survives a restart and is delivered once due", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warren-sched-"));
    dirs.push(dir);
    let broker = await start(dir);
    const p = await openSession(broker.ports.openwire!, "ID:sched-4");
    send(p, "ID:sched-4", 3, "sched.durable", "kept", [["AMQ_SCHEDULED_DELAY", { long: 1500 }]]);
    await p.answerTo(3);
    p.close();
    await broker.close();
    broker = await start(dir);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    try {
      const ch = await conn.createChannel();
      expect(scheduled(broker)).toBe(1);
      await waitForCount(ch, "sched.durable", 1);
      const m = await ch.get("sched.durable", { noAck: true });
      expect(m && m.content.toString()).toBe("kept");
    } finally {
      await conn.close();
      await broker.close();
    }
    // released: not held again after another restart
    broker = await start(dir);
    try {
      expect(scheduled(broker)).toBe(0);
    } finally {
      await broker.close();
    }
  });
});
