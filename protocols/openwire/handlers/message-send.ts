import { BrokerError } from "../../../src/core/index.js";
import { type AnyActiveMQDestination, type AnyMessage, makeActiveMQQueue, makeActiveMQTopic } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { type Composite, destinationText, publishTarget, type Target, targetOf } from "../destinations.js";
import { INVALID_DESTINATION, OpenWireRefusal, refusalOf, UNSUPPORTED } from "../exceptions.js";
import { coreMessage, decodeStoredMessage, memberCopy, messageProblem, propertiesOf, scannedProperties } from "../message.js";
import type { ScannedMessage } from "../message-scan.js";
import type { PrimitiveMap } from "../primitive-map.js";
import {
  browsedJobCopy,
  isManagementDestination,
  managementAction,
  mayBeScheduled,
  type ScheduleRefusal,
  scheduledTemplate,
  scheduleOf,
} from "../scheduled.js";
import type { JobSpec } from "../../../src/core/index.js";
import { queueFor } from "./queues.js";
import { tempsOf } from "../temp-destinations.js";

/**
 * What a destination object stands for on the core: kept on the connection with the object (the
 * scan hands the same one to a run of sends to a destination), so such a run works it out once.
 * `exchange` and `key` are empty for a composite or a refused destination.
 */
export interface SendTarget {
  readonly destination: AnyActiveMQDestination;
  readonly target: Target | Composite | string;
  readonly exchange: string;
  readonly key: string;
  /** The scheduler's management destination: a send there is an action, never delivered. */
  readonly management: boolean;
}

function sendTargetOf(destination: AnyActiveMQDestination): SendTarget {
  const target = targetOf(destination);
  if (typeof target === "string" || target.kind === "composite") return { destination, target, exchange: "", key: "", management: false };
  const [exchange, key] = publishTarget(target);
  return { destination, target, exchange, key, management: isManagementDestination(target.name) };
}

/**
 * Refused when `t` cannot take a send now: a deleted temporary destination, or a queue this
 * connection may not declare (declared on first use).
 */
function unavailable(conn: OpenWireConnection, t: Target, destination: AnyActiveMQDestination): OpenWireRefusal | null {
  if (t.temp) {
    // ActiveMQ's client refuses this itself once it has the deletion's advisory
    if (tempsOf(conn.server).get(conn.vhost!.name, destination) === undefined) {
      return new OpenWireRefusal(INVALID_DESTINATION, `Cannot publish to a deleted Destination: ${destinationText(destination)}`);
    }
  } else if (t.kind === "queue") {
    const q = queueFor(conn, t.name);
    if (q instanceof OpenWireRefusal) return q;
  }
  return null;
}

/**
 * A JMS message from a producer (`s`: what the scan read of `frame`, its command bytes), published
 * on the core with those bytes as its encoding. True when a durable queue took it persistently (its
 * Response then waits for the disk). One sent in a transaction waits in it for the commit. A send
 * to a composite destination or with a schedule is decoded in full: the broker rewrites its copies.
 */
export function messageSend(conn: OpenWireConnection, s: ScannedMessage, frame: Buffer): boolean | OpenWireRefusal {
  if (s.destination === null) return new OpenWireRefusal(INVALID_DESTINATION, "a message needs a destination");
  const problem = messageProblem(s);
  if (problem !== null) return new OpenWireRefusal(UNSUPPORTED, problem);
  let st = conn.sendTarget;
  if (st === null || st.destination !== s.destination) st = conn.sendTarget = sendTargetOf(s.destination);
  const t = st.target;
  if (typeof t === "string") return new OpenWireRefusal(INVALID_DESTINATION, t);
  // read here so that a malformed map is refused with its message, and to see a schedule
  const props: PrimitiveMap | null = scannedProperties(s, frame);
  if (t.kind === "composite") return compositeSend(conn, decodeStoredMessage(frame, conn.wire!.version), t, mayBeScheduled(props));
  const { exchange, key } = st;
  // the scheduler's management destination: an action on the vhost's jobs, never delivered (nor declared)
  if (st.management) {
    const denied = conn.access!.checkPublish(exchange, key);
    return denied ? refusalOf(denied) : management(conn, frame);
  }
  const missing = unavailable(conn, t, s.destination);
  if (missing !== null) return missing;
  const denied = conn.access!.checkPublish(exchange, key);
  if (denied) return refusalOf(denied);
  // ActiveMQ's scheduled delivery
  if (mayBeScheduled(props)) {
    const m = decodeStoredMessage(frame, conn.wire!.version);
    const schedule = scheduleOf(propertiesOf(m).headers);
    if (schedule !== null) return scheduledSend(conn, m, exchange, key, schedule);
  }
  const msg = coreMessage(exchange, key, s, frame, conn.wire!.version, conn.individualDlq);
  msg.publisher = conn.client; // for noLocal consumers
  if (s.transactionId !== null) {
    const tx = conn.transaction(s.transactionId);
    if (tx instanceof OpenWireRefusal) return tx;
    tx.send(exchange, key, msg); // routed at commit
    return false;
  }
  const r = conn.vhost!.publish(exchange, key, msg);
  if (r instanceof BrokerError) return refusalOf(r);
  return r.persisted > 0;
}

/**
 * A send to a composite destination: a copy to every member (its destination the member, its
 * originalDestination the composite), each member checked before any is sent to. `scheduled`:
 * its properties name an AMQ_SCHEDULED_* key (a schedule is refused here).
 */
function compositeSend(conn: OpenWireConnection, m: AnyMessage, c: Composite, scheduled: boolean): boolean | OpenWireRefusal {
  const routes: [string, string][] = [];
  for (const t of c.members) {
    if (t.kind === "queue") {
      const q = queueFor(conn, t.name);
      if (q instanceof OpenWireRefusal) return q;
    }
    const route = publishTarget(t);
    const denied = conn.access!.checkPublish(route[0], route[1]);
    if (denied) return refusalOf(denied);
    routes.push(route);
  }
  const tx = m.transactionId === null ? null : conn.transaction(m.transactionId);
  if (tx instanceof OpenWireRefusal) return tx;
  if (scheduled && scheduleOf(propertiesOf(m).headers) !== null) {
    return new OpenWireRefusal(UNSUPPORTED, "scheduled delivery to a composite destination is not supported by this broker");
  }
  let persisted = false;
  for (let i = 0; i < routes.length; i++) {
    const t = c.members[i]!;
    const [exchange, key] = routes[i]!;
    const member = t.kind === "queue" ? makeActiveMQQueue({ physicalName: t.name }) : makeActiveMQTopic({ physicalName: t.name });
    const msg = memberCopy(exchange, key, m, member, conn.wire!.version, conn.individualDlq);
    msg.publisher = conn.client;
    if (tx !== null) {
      tx.send(exchange, key, msg);
      continue;
    }
    const r = conn.vhost!.publish(exchange, key, msg);
    if (r instanceof BrokerError) return refusalOf(r);
    if (r.persisted > 0) persisted = true;
  }
  return persisted;
}

/**
 * A scheduled send (AMQ_SCHEDULED_DELAY/PERIOD/REPEAT/CRON): a job in the core (in a transaction,
 * from its commit). Refused for a schedule ActiveMQ refuses, or this broker does not serve.
 */
function scheduledSend(
  conn: OpenWireConnection,
  m: AnyMessage,
  exchange: string,
  key: string,
  schedule: JobSpec | ScheduleRefusal,
): boolean | OpenWireRefusal {
  if ("exceptionClass" in schedule) return new OpenWireRefusal(schedule.exceptionClass, schedule.message);
  const v = conn.vhost!;
  const tx = m.transactionId === null ? null : conn.transaction(m.transactionId);
  if (tx instanceof OpenWireRefusal) return tx;
  const jobId = v.newJobId();
  const message = scheduledTemplate(exchange, key, m, jobId, conn.wire!.version, conn.individualDlq);
  message.publisher = conn.client;
  if (tx !== null) tx.send(exchange, key, message, { id: jobId, spec: schedule });
  else v.scheduleJob(message, jobId, schedule);
  return false;
}

/**
 * A message to ActiveMQ.Scheduler.Management: REMOVE one job, REMOVEALL (in a window of next
 * times), BROWSE them (to its JMSReplyTo; ActiveMQ ignores a BROWSE without one).
 */
function management(conn: OpenWireConnection, frame: Buffer): false | OpenWireRefusal {
  const m = decodeStoredMessage(frame, conn.wire!.version);
  const action = managementAction(propertiesOf(m).headers);
  const v = conn.vhost!;
  if (action?.action === "REMOVE") v.removeScheduledJob(action.jobId);
  else if (action?.action === "REMOVEALL") v.removeScheduledJobs(action.start, action.end);
  else if (action?.action === "BROWSE" && m.replyTo !== null) return browseJobs(conn, m.replyTo, action.start, action.end);
  return false;
}

/** BROWSE: a copy of each job next due in [start, end] goes to `replyTo`, earliest first; the jobs go on. */
function browseJobs(conn: OpenWireConnection, replyTo: AnyActiveMQDestination, start: number, end: number): false | OpenWireRefusal {
  const { target: t, exchange, key } = sendTargetOf(replyTo);
  if (typeof t === "string") return new OpenWireRefusal(INVALID_DESTINATION, t);
  if (t.kind === "composite") return new OpenWireRefusal(INVALID_DESTINATION, "a scheduler BROWSE replies to one destination");
  const missing = unavailable(conn, t, replyTo);
  if (missing !== null) return missing;
  const denied = conn.access!.checkPublish(exchange, key);
  if (denied) return refusalOf(denied);
  const v = conn.vhost!;
  for (const job of v.scheduledJobs(start, end)) {
    v.publish(exchange, key, browsedJobCopy(job, replyTo, exchange, key, conn.wire!.version, conn.individualDlq));
  }
  return false;
}
