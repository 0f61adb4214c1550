// ActiveMQ's job scheduler with its own Java client (java/Scheduler.java): AMQ_SCHEDULED_CRON,
// the schedules a broker refuses, and removing and browsing jobs through ActiveMQ.Scheduler.Management. Each
// passes against an embedded Warren and against ActiveMQ 5.17 with schedulerSupport
// (npm run conformance -- --openwire tcp://127.0.0.1:<WARREN_ACTIVEMQ_OPENWIRE_PORT>). A file of
// its own: the cron scenario waits for a minute boundary, beside the other files.
import { describe, expect, it } from "vitest";
import { runJavaWithin } from "./java.js";
import { uniquePrefix, useJmsScenarios } from "./scenarios.js";

const broker = useJmsScenarios();
const run = <T>(scenario: string, ms = 30_000) => runJavaWithin<T>(ms, "Scheduler", broker.url, scenario, uniquePrefix());

describe("the job scheduler (ActiveMQ with schedulerSupport, as conformance/activemq.sh starts it)", () => {
  it.concurrent("AMQ_SCHEDULED_CRON * * * * * delivers a copy at the next minute boundary", { timeout: 100_000 }, async () => {
    expect(await run("cron", 90_000)).toEqual({
      early: false,
      // a JMSMessageID of its own, the job's id, no AMQ_SCHEDULED_CRON
      copy: { text: "every minute", sameId: false, hasJobId: true, cron: null },
      atMinuteBoundary: true,
    });
  });

  it.concurrent("a bad cron expression or a repeat over 1000 is refused, and nothing is delivered", { timeout: 40_000 }, async () => {
    expect(await run("refused")).toEqual({
      // the broker's exceptions, which the client wraps in a JMSException with their text
      tokens: "javax.jms.JMSException: Not a valid cron entry - wrong number of tokens(3): * * *",
      number: 'javax.jms.JMSException: For input string: "x"',
      zeroStep: "javax.jms.JMSException: / by zero",
      repeat: "javax.jms.MessageFormatException: The scheduled repeat value is too large",
      // ActiveMQ's client checks a cron property when it is set
      client: "javax.jms.MessageFormatException: Invalid token: Minutes:70",
      delivered: false,
    });
  });

  it.concurrent("ActiveMQ.Scheduler.Management's REMOVE with a copy's scheduledJobId stops its job", { timeout: 40_000 }, async () => {
    expect(await run("remove")).toEqual({ twoCopies: true, sameJob: true, stopped: true });
  });

  it.concurrent("BROWSE sends a copy of each job's message to the JMSReplyTo, in a window of next times too; REMOVE then takes them", {
    timeout: 40_000,
  }, async () => {
    // as ActiveMQ's SchedulerBroker sends them: the message as sent, its schedule included, with
    // the job's id, a JMSMessageID of the scheduler's, JMSType "Advisory", non-persistent
    const copy = { hasJobId: true, newId: true, persistent: false, toReplies: true, type: "Advisory" };
    expect(await run("browse")).toEqual({
      all: [
        { ...copy, text: "in a minute", delay: "Long 60000", app: "x" },
        { ...copy, text: "in an hour", delay: "Long 3600000", app: null },
      ],
      window: ["in a minute"],
      afterRemove: false,
      delivered: false,
    });
  });
});
