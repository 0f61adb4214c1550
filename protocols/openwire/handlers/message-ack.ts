import type { MessageAck } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { OpenWireRefusal } from "../exceptions.js";
import { idKey } from "../ids.js";

/** MessageAck types (ActiveMQ's MessageAck constants). */
export const ACK_DELIVERED = 0;
export const ACK_POISON = 1;
export const ACK_STANDARD = 2;
export const ACK_REDELIVERED = 3;
export const ACK_INDIVIDUAL = 4;
export const ACK_UNMATCHED = 5;
export const ACK_EXPIRED = 6;

/** MessageAck: settles the consumer's deliveries up to (or just) the message it names. */
export function messageAck(conn: OpenWireConnection, ack: MessageAck): OpenWireRefusal | null {
  if (ack.consumerId === null) return null;
  const c = conn.consumers.get(idKey(ack.consumerId));
  const tag = ack.lastMessageId?.brokerSequenceId ?? 0;
  if (c === undefined) return null;
  // a transacted session's acks take effect at commit (delivered acks, which only free prefetch, at once)
  if (ack.transactionId !== null && (ack.ackType === ACK_STANDARD || ack.ackType === ACK_INDIVIDUAL)) {
    const tx = conn.transaction(ack.transactionId);
    if (tx instanceof OpenWireRefusal) return tx;
    tx.ack(c, tag, ack.ackType === ACK_INDIVIDUAL);
    return null;
  }
  switch (ack.ackType) {
    case ACK_DELIVERED:
      c.markDelivered(tag);
      break;
    case ACK_STANDARD:
    case ACK_UNMATCHED:
      c.ack(tag, false);
      break;
    case ACK_EXPIRED:
      c.expire(tag);
      break;
    case ACK_INDIVIDUAL:
      c.ack(tag, true);
      break;
    case ACK_POISON: {
      const cause = ack.poisonCause;
      // Throwable.toString(), as ActiveMQ writes it into dlqDeliveryFailureCause
      const text = cause === null ? null : cause.message === null ? cause.className : `${cause.className}: ${cause.message}`;
      c.poison(ack.firstMessageId?.brokerSequenceId ?? tag, tag, text);
      break;
    }
    case ACK_REDELIVERED:
      // the client redelivers by itself (Session.recover); ActiveMQ's broker does not count these
      // either: a later consumer sees the count of the broker's own deliveries
      break;
  }
  return null;
}
