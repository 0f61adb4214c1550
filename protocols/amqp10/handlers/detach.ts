import type { Detach } from "../codec/types.generated.js";
import { Amqp10Error } from "../errors.js";
import type { Session } from "../session.js";

/**
 * detach: the link goes (a consumer is cancelled, its private queue deleted; a durable
 * subscription's queue only when the detach closes the link), answered with a detach that says
 * the same.
 */
export function handleDetach(s: Session, f: Detach): void {
  // the answer to a detach of ours (a refused attach, a deleted queue, a link error)
  if (s.detaching.delete(f.handle)) return;
  if (!s.links.has(f.handle)) throw new Amqp10Error("amqp:session:unattached-handle", `no link attached on handle ${f.handle}`, "session");
  if (f.error !== undefined) s.conn.log.info({ condition: f.error.condition }, `AMQP 1.0 client detached a link with ${f.error.condition}`);
  s.detach(f.handle, undefined, true, f.closed);
}
