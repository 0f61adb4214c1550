/**
 * ActiveMQ's scheduled delivery (a broker with schedulerSupport). A send naming AMQ_SCHEDULED_CRON
 * (a cron expression, src/core/cron.ts), or a positive AMQ_SCHEDULED_DELAY or _PERIOD (ms),
 * becomes a job in the core (VirtualHost.scheduleJob: one heap, one timer per vhost on the injected
 * clock; persistent ones in the store across a restart), which delivers after the delay, then
 * AMQ_SCHEDULED_REPEAT more times a period apart (-1: until removed), or at each cron time
 * (src/core/scheduled-jobs.ts has how cron combines with the rest). As ActiveMQ 5.17 delivers
 * them, the copies lose the AMQ_SCHEDULED_* properties and gain `scheduledJobId`; the copies of a
 * cron or repeating job each get a new JMSMessageID (the client would drop repeats of one id as
 * duplicates). Sends to ActiveMQ.Scheduler.Management remove and browse jobs (`managementAction`).
 */
import {
  CronError,
  integerValue,
  JOB_ID_HEADER,
  nextCronTime,
  parseCron,
  stringValue,
  type FieldTable,
  type FieldValue,
  type JobSpec,
  type Message,
  type ScheduledJobEntry,
} from "../../src/core/index.js";
import type { AnyActiveMQDestination, AnyMessage } from "./codec/commands.generated.js";
import { Reader, Writer } from "./codec/primitives.js";
import { coreMessageOf, jmsMessageOf, schedulerMessageId } from "./message.js";
import { type PrimitiveValue, readPrimitiveMap, writePrimitiveMap } from "./primitive-map.js";

export const SCHEDULED_DELAY = "AMQ_SCHEDULED_DELAY";
export const SCHEDULED_PERIOD = "AMQ_SCHEDULED_PERIOD";
export const SCHEDULED_REPEAT = "AMQ_SCHEDULED_REPEAT";
export const SCHEDULED_CRON = "AMQ_SCHEDULED_CRON";
/** The property naming a job: on each copy, and in a REMOVE sent to the management destination. */
export const SCHEDULED_ID = JOB_ID_HEADER;
/** ActiveMQ's cap (SchedulerBroker's maxRepeatAllowed): a larger repeat is refused. */
export const MAX_REPEAT = 1000;
export const MANAGEMENT_DESTINATION = "ActiveMQ.Scheduler.Management";

/** A schedule refused: the Java exception class ActiveMQ (or its client) gives, and its text. */
export interface ScheduleRefusal {
  readonly exceptionClass: string;
  readonly message: string;
}

const MESSAGE_FORMAT = "javax.jms.MessageFormatException";
/** The Java exception each cron rejection is in ActiveMQ's CronParser. */
const CRON_EXCEPTIONS: Record<CronError["code"], string> = {
  tokens: "java.lang.IllegalArgumentException",
  number: "java.lang.NumberFormatException",
  "zero-step": "java.lang.ArithmeticException",
  range: MESSAGE_FORMAT,
};

/**
 * The job a message's properties ask for; null for none (also when there is no cron and delay and
 * period are not positive, as ActiveMQ then delivers at once); a ScheduleRefusal: why it is refused.
 */
export function scheduleOf(h: FieldTable | undefined): JobSpec | ScheduleRefusal | null {
  if (h === undefined) return null;
  const c = h[SCHEDULED_CRON];
  const d = h[SCHEDULED_DELAY];
  const p = h[SCHEDULED_PERIOD];
  // ActiveMQ takes the property's text, whatever its type; an empty one is no cron
  const cronText = c === undefined ? "" : textOf(c);
  if (cronText === "" && d === undefined && p === undefined) return null;
  const delay = longOf(d);
  const period = longOf(p);
  const repeat = longOf(h[SCHEDULED_REPEAT]);
  if (repeat > MAX_REPEAT) return { exceptionClass: MESSAGE_FORMAT, message: "The scheduled repeat value is too large" };
  if (cronText !== "") {
    const parsed = parseCron(cronText);
    if (parsed instanceof CronError) return { exceptionClass: CRON_EXCEPTIONS[parsed.code], message: parsed.message };
    // one that matches no time (`0 0 31 2 *`): ActiveMQ's parser fails to compute a time for it too
    if (nextCronTime(parsed, Date.now()) === null) {
      return { exceptionClass: "java.lang.ArithmeticException", message: "Unable to compute next scheduled exection time." };
    }
    if (repeat < 0) {
      // ActiveMQ would start another never-ending job at every cron time: a client could make the
      // broker hold without bound, so Warren refuses it
      return {
        exceptionClass: "java.lang.UnsupportedOperationException",
        message: "an unlimited AMQ_SCHEDULED_REPEAT with AMQ_SCHEDULED_CRON is not supported by this broker",
      };
    }
    return { cron: cronText, delay: Math.max(0, delay), period: Math.max(0, period), repeat };
  }
  if (delay <= 0 && period <= 0) return null;
  // a repeat needs a period: without one ActiveMQ would deliver every copy at once (or, unlimited, loop)
  return { cron: null, delay: Math.max(0, delay), period: Math.max(0, period), repeat: period > 0 ? repeat : 0 };
}

/** Whether a published message's property map holds any AMQ_SCHEDULED_* key (then its schedule is read). */
export function mayBeScheduled(props: ReadonlyMap<string, unknown> | null): boolean {
  if (props === null) return false;
  for (const k of props.keys()) if (k.startsWith("AMQ_SCHEDULED_")) return true;
  return false;
}

/** A Long, Integer or numeric String property as ActiveMQ converts it; 0 when absent or not a number. */
function longOf(v: FieldValue | undefined): number {
  if (v === undefined) return 0;
  const n = integerValue(v);
  if (n !== undefined) return n;
  const s = stringValue(v)?.trim();
  return s !== undefined && /^-?\d+$/.test(s) ? Number(s) : 0;
}

/** A property's text (Java's toString of its value). */
function textOf(v: FieldValue): string {
  const s = stringValue(v);
  if (s !== undefined) return s;
  const n = integerValue(v);
  return n !== undefined ? String(n) : String(v);
}

/**
 * The message job `jobId` delivers, published to (exchange, routingKey): `m` (the decoded send,
 * restored before returning) without its AMQ_SCHEDULED_* properties, with scheduledJobId.
 */
export function scheduledTemplate(
  exchange: string,
  routingKey: string,
  m: AnyMessage,
  jobId: string,
  version: number,
  individualDlq: boolean,
): Message {
  const { marshalledProperties } = m;
  const props =
    marshalledProperties !== null && marshalledProperties.length > 0
      ? readPrimitiveMap(new Reader(marshalledProperties, 0, marshalledProperties.length, 1, false))
      : new Map();
  for (const k of [SCHEDULED_DELAY, SCHEDULED_PERIOD, SCHEDULED_REPEAT, SCHEDULED_CRON]) props.delete(k);
  props.set(SCHEDULED_ID, jobId);
  const pw = new Writer(256);
  writePrimitiveMap(pw, props);
  m.marshalledProperties = pw.take(0);
  const msg = coreMessageOf(exchange, routingKey, m, version, individualDlq);
  m.marshalledProperties = marshalledProperties;
  return msg;
}

/** Whether a destination's physical name is the scheduler's management destination (ActiveMQ: any case, as a prefix). */
export function isManagementDestination(physicalName: string): boolean {
  return MANAGEMENT_PREFIX.test(physicalName); // per send: fails at the first character, allocates nothing
}
const MANAGEMENT_PREFIX = /^activemq\.scheduler\.management/i;

/** What a message to the management destination asks: AMQ_SCHEDULER_ACTION REMOVE, REMOVEALL or BROWSE. */
export type ManagementAction = { action: "REMOVE"; jobId: string } | { action: "REMOVEALL" | "BROWSE"; start: number; end: number } | null;

export function managementAction(h: FieldTable | undefined): ManagementAction {
  if (h === undefined) return null;
  const action = h.AMQ_SCHEDULER_ACTION;
  const a = action === undefined ? undefined : stringValue(action);
  if (a === "REMOVE") {
    const id = h[SCHEDULED_ID];
    const jobId = id === undefined ? undefined : stringValue(id);
    return jobId === undefined ? null : { action: "REMOVE", jobId };
  }
  if (a === "REMOVEALL" || a === "BROWSE") {
    const s = h.ACTION_START_TIME;
    const e = h.ACTION_END_TIME;
    // ActiveMQ: a window on the jobs' next times only when both ends are given
    if (s !== undefined && e !== undefined) return { action: a, start: longOf(s), end: longOf(e) };
    return { action: a, start: -Infinity, end: Infinity };
  }
  return null;
}

/**
 * What BROWSE sends for a job, as ActiveMQ's scheduler does: the job's message as it was sent
 * (its AMQ_SCHEDULED_* properties again, from the job), with `scheduledJobId`, a JMSMessageID of
 * the scheduler's, JMSType "Advisory", non-persistent, to `replyTo` (published on exchange and
 * routingKey), its own destination kept as the original one.
 */
export function browsedJobCopy(
  entry: ScheduledJobEntry,
  replyTo: AnyActiveMQDestination,
  exchange: string,
  routingKey: string,
  version: number,
  individualDlq: boolean,
): Message {
  const { job } = entry;
  const m = jmsMessageOf(entry.message);
  const mp = m.marshalledProperties;
  const props = mp !== null && mp.length > 0 ? readPrimitiveMap(new Reader(mp, 0, mp.length, 1, false)) : new Map<string, PrimitiveValue>();
  if (job.delay > 0) props.set(SCHEDULED_DELAY, { long: job.delay });
  if (job.period > 0) props.set(SCHEDULED_PERIOD, { long: job.period });
  if (job.repeat !== 0) props.set(SCHEDULED_REPEAT, { int: job.repeat });
  if (job.cron !== null) props.set(SCHEDULED_CRON, job.cron);
  props.set(SCHEDULED_ID, job.id);
  const w = new Writer(256);
  writePrimitiveMap(w, props);
  m.marshalledProperties = w.take(0);
  m.messageId = schedulerMessageId();
  m.type = "Advisory";
  m.persistent = false;
  m.originalDestination = m.destination;
  m.destination = replyTo;
  m.transactionId = null;
  m.originalTransactionId = null;
  m.responseRequired = false;
  return coreMessageOf(exchange, routingKey, m, version, individualDlq);
}
