import type { Flow } from "../codec/types.generated.js";
import { Amqp10Error } from "../errors.js";
import type { Session } from "../session.js";

/** flow: the session's windows, and a link's credit (drain, echo) when it names one. */
export function handleFlow(s: Session, f: Flow): void {
  // what the peer will still take from us: its window counted from its next-incoming-id
  s.remoteIncomingWindow = ((f.nextIncomingId ?? 0) + f.incomingWindow - s.nextOutgoingId) | 0;
  if (f.handle === undefined) {
    if (f.echo) s.sendFlow(null);
    s.resumeLinks();
    return;
  }
  const link = s.links.get(f.handle);
  if (link === undefined && s.detaching.has(f.handle)) return;
  if (link === undefined) throw new Amqp10Error("amqp:session:unattached-handle", `no link attached on handle ${f.handle}`, "session");
  if (link.role === "sender") {
    link.flow(f);
    return;
  }
  // a sender's flow tells us its delivery count; we only answer an echo
  if (f.echo) s.sendFlow(link, true);
}
