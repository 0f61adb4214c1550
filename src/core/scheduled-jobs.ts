/**
 * A scheduled job: what ActiveMQ's scheduler does with one send that names AMQ_SCHEDULED_DELAY,
 * _PERIOD, _REPEAT or _CRON, kept as one entry of the vhost's HeldMessages (one heap, one timer)
 * however often it fires. The job holds one message (its template) and its state; each fire
 * delivers a copy, and the job is held again at its next time.
 *
 * - No cron: first after `delay` (or `period` when there is no delay), then `repeat` more times a
 *   `period` apart (-1: until removed).
 * - Cron, repeat 0: at each cron time (the first one also `delay`, or `period`, later) a copy,
 *   until removed.
 * - Cron, repeat > 0: at each cron time a new job without cron starts (an id of its own) that
 *   delivers after `delay` (or `period`), then `repeat` more times a `period` apart; the cron job
 *   itself delivers nothing. ActiveMQ's KahaDB scheduler works the same way.
 */
import { type CronSchedule, nextCronTime, parseCron } from "./cron.js";

/** What a send asks for; `repeat` -1 is unlimited. */
export interface JobSpec {
  readonly cron: string | null;
  readonly delay: number;
  readonly period: number;
  readonly repeat: number;
}

export interface Job extends JobSpec {
  readonly id: string;
  /** Copies still to come after the next one (no cron); -1: unlimited. */
  left: number;
}

/** A job's next step once it fired at `now`. */
export interface JobStep {
  /** Deliver a copy now (not for a cron job that starts a repeating one). */
  deliver: boolean;
  /** When the job fires next; null: it is done. */
  next: number | null;
  /** A job without cron the cron job starts now, with its first time. */
  spawn: { job: Job; due: number } | null;
}

const crons = new Map<string, CronSchedule>();

/** A cron job's parsed schedule (parsed once per distinct expression; a stored one was checked when sent). */
function cronOf(text: string): CronSchedule | null {
  let c = crons.get(text);
  if (c === undefined) {
    const parsed = parseCron(text);
    if (parsed instanceof Error) return null;
    if (crons.size > 1000) crons.clear();
    crons.set(text, parsed);
    c = parsed;
  }
  return c;
}

/** When a new job fires first, sent at `now`; null when its cron expression never matches. */
export function firstDue(spec: JobSpec, now: number): number | null {
  const offset = spec.delay > 0 ? spec.delay : Math.max(0, spec.period);
  if (spec.cron === null) return now + offset;
  const c = cronOf(spec.cron);
  const t = c === null ? null : nextCronTime(c, now);
  return t === null ? null : t + offset;
}

/** What `job` does when it fires at `now` (`newId`: an id for a job it starts). */
export function fire(job: Job, now: number, newId: () => string): JobStep {
  if (job.cron === null) {
    // a period of 0 cannot repeat forever (it would fire in a loop); the senders never make one
    if (job.left === 0 || (job.left < 0 && job.period <= 0)) return { deliver: true, next: null, spawn: null };
    if (job.left > 0) job.left--;
    return { deliver: true, next: now + job.period, spawn: null };
  }
  const c = cronOf(job.cron);
  const next = c === null ? null : nextCronTime(c, now);
  if (job.repeat === 0) return { deliver: true, next, spawn: null };
  const sub: Job = { id: newId(), cron: null, delay: job.delay, period: job.period, repeat: job.repeat, left: job.repeat };
  return { deliver: false, next, spawn: { job: sub, due: firstDue(sub, now)! } };
}

/**
 * The header naming the job on each copy (ActiveMQ's `scheduledJobId`). A front-end's codec sets
 * it on the copies it renews; a template read back from the store is in neutral form, so the core
 * renames the job in it itself.
 */
export const JOB_ID_HEADER = "scheduledJobId";

/** Whether a job's copies each get a message id of their own (ActiveMQ: a cron job or a repeat). */
export const renewsIds = (job: Job): boolean => job.cron !== null || job.repeat !== 0;

/** The job as the store keeps it beside its message. */
export function encodeJob(job: Job): string {
  return JSON.stringify([job.id, job.cron, job.delay, job.period, job.repeat, job.left]);
}

/** A stored job; null for what is not one (the message is then held once, as a plain delay). */
export function decodeJob(text: string): Job | null {
  try {
    const a: unknown = JSON.parse(text);
    if (!Array.isArray(a) || a.length !== 6) return null;
    const [id, cron, delay, period, repeat, left] = a as unknown[];
    if (typeof id !== "string" || (cron !== null && typeof cron !== "string")) return null;
    if (![delay, period, repeat, left].every((n) => typeof n === "number" && Number.isFinite(n))) return null;
    return { id, cron, delay: delay as number, period: period as number, repeat: repeat as number, left: left as number };
  } catch {
    return null;
  }
}
