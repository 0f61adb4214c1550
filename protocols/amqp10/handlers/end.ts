import { type End, writeEnd } from "../codec/types.generated.js";
import type { Amqp10Connection } from "../connection.js";
import { Amqp10Error } from "../errors.js";

/** end: the session's links go (unsettled deliveries back to their queues), answered with end. */
export function handleEnd(c: Amqp10Connection, channel: number, f: End): void {
  const s = c.sessions.get(channel);
  if (s === undefined) throw new Amqp10Error("amqp:not-allowed", `no session on channel ${channel}`);
  if (f.error !== undefined) c.log.info({ condition: f.error.condition }, `AMQP 1.0 client ended a session with ${f.error.condition}`);
  c.sessions.delete(channel);
  s.ended();
  if (s.endSent) return;
  const start = c.beginFrame(channel);
  writeEnd(c.out, {});
  c.endFrame(start);
}
