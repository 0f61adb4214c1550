/**
 * ActiveMQ's scheduled delivery (a broker with schedulerSupport): a message whose
 * AMQ_SCHEDULED_DELAY (ms) or AMQ_SCHEDULED_PERIOD (ms) is positive is delivered after the delay,
 * then AMQ_SCHEDULED_REPEAT more times, a period apart. As ActiveMQ 5.17 delivers them, the copies
 * lose the AMQ_SCHEDULED_* properties and gain `scheduledJobId` (an id of the broker's, one per send); a
 * repeated message's copies each get a new JMSMessageID (the client would drop repeats of one id
 * as duplicates). The copies wait in the core (VirtualHost.publishLater: one heap, one timer on the
 * injected clock; persistent ones in the store across a restart).
 */
import { integerValue, type Message, stringValue, type FieldTable, type FieldValue } from "../../src/core/index.js";
import { type AnyMessage, makeMessageId, makeProducerId } from "./codec/commands.generated.js";
import { Reader, Writer } from "./codec/primitives.js";
import { coreMessageOf } from "./message.js";
import { readPrimitiveMap, writePrimitiveMap } from "./primitive-map.js";

export const SCHEDULED_DELAY = "AMQ_SCHEDULED_DELAY";
export const SCHEDULED_PERIOD = "AMQ_SCHEDULED_PERIOD";
export const SCHEDULED_REPEAT = "AMQ_SCHEDULED_REPEAT";
export const SCHEDULED_CRON = "AMQ_SCHEDULED_CRON";
/** More copies than this from one send are refused: each is held in memory until due. */
export const MAX_REPEAT = 1000;

export interface Schedule {
  delay: number;
  period: number;
  repeat: number;
}

/**
 * The schedule a message's properties ask for; null for none (also when delay and period are not
 * positive, as ActiveMQ then delivers at once); a string: why it is refused.
 */
export function scheduleOf(h: FieldTable | undefined): Schedule | string | null {
  if (h === undefined) return null;
  const d = h[SCHEDULED_DELAY];
  const p = h[SCHEDULED_PERIOD];
  if (h[SCHEDULED_CRON] !== undefined) return "AMQ_SCHEDULED_CRON is not supported by this broker";
  if (d === undefined && p === undefined) return null;
  const delay = longOf(d);
  const period = longOf(p);
  if (delay <= 0 && period <= 0) return null;
  const repeat = longOf(h[SCHEDULED_REPEAT]);
  if (repeat < 0 || repeat > MAX_REPEAT) return `AMQ_SCHEDULED_REPEAT must be between 0 and ${MAX_REPEAT} on this broker`;
  return { delay: Math.max(0, delay), period: Math.max(0, period), repeat: period > 0 ? repeat : 0 };
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

let scheduledSequence = 0;
let scheduledJobs = 0;
const SCHEDULER = makeProducerId({ connectionId: "ID:warren-scheduler", sessionId: 0, value: 0 });

/**
 * The copies of `m` a schedule delivers, each with its due time (clock ms from `now`), published
 * to (exchange, routingKey). `m` is the decoded send, restored before returning.
 */
export function scheduledCopies(
  exchange: string,
  routingKey: string,
  m: AnyMessage,
  s: Schedule,
  now: number,
  version: number,
  individualDlq: boolean,
): { due: number; message: Message }[] {
  const { marshalledProperties, messageId } = m;
  const props =
    marshalledProperties !== null && marshalledProperties.length > 0
      ? readPrimitiveMap(new Reader(marshalledProperties, 0, marshalledProperties.length, 1, false))
      : new Map();
  for (const k of [SCHEDULED_DELAY, SCHEDULED_PERIOD, SCHEDULED_REPEAT]) props.delete(k);
  // one job id for all of a send's copies, made by the broker as ActiveMQ's scheduler makes one
  props.set("scheduledJobId", `ID:warren-scheduler:${++scheduledJobs}`);
  const pw = new Writer(256);
  writePrimitiveMap(pw, props);
  m.marshalledProperties = pw.take(0);
  const out: { due: number; message: Message }[] = [];
  for (let i = 0; i <= s.repeat; i++) {
    if (s.repeat > 0) m.messageId = makeMessageId({ producerId: SCHEDULER, producerSequenceId: ++scheduledSequence });
    out.push({ due: now + s.delay + i * s.period, message: coreMessageOf(exchange, routingKey, m, version, individualDlq) });
  }
  m.marshalledProperties = marshalledProperties;
  m.messageId = messageId;
  return out;
}
