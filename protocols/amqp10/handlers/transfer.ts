import type { Transfer } from "../codec/types.generated.js";
import { Amqp10Error } from "../errors.js";
import type { Session } from "../session.js";

/** transfer: counted against the session window, then handed to its receiving link. */
export function handleTransfer(s: Session, t: Transfer, buf: Buffer, start: number, end: number): void {
  if (!s.mayReceive()) throw new Amqp10Error("amqp:session:window-violation", "transfer beyond the session's incoming window", "session");
  s.transferReceived();
  const link = s.links.get(t.handle);
  // transfers on a link we detached, sent before the client saw our detach
  if (link === undefined && s.detaching.has(t.handle)) return;
  if (link === undefined) throw new Amqp10Error("amqp:session:unattached-handle", `no link attached on handle ${t.handle}`, "session");
  if (link.role !== "receiver") throw new Amqp10Error("amqp:not-allowed", `handle ${t.handle} is a link we send on`, "session");
  try {
    link.transfer(t, buf, start, end);
  } catch (err) {
    if (err instanceof Amqp10Error && err.scope === "link") return s.fail(err, t.handle);
    throw err;
  }
}
