import { DataType, type MessageAck } from "../codec/commands.generated.js";
import type { Reader } from "../codec/primitives.js";
import type { OpenWireConnection } from "../connection.js";
import type { OpenWireConsumer } from "../consumer.js";
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
  if (c === undefined) {
    // a browser's acks only pace it (whatever their type: the messages stay in the queue)
    if (ack.ackType !== ACK_REDELIVERED) conn.browsers.get(idKey(ack.consumerId))?.ack(tag);
    return null;
  }
  // a transacted session's acks take effect at commit (delivered acks, which only free prefetch, at once)
  if (ack.transactionId !== null && (ack.ackType === ACK_STANDARD || ack.ackType === ACK_INDIVIDUAL)) {
    const tx = conn.transaction(ack.transactionId);
    if (tx instanceof OpenWireRefusal) return tx;
    tx.ack(c, tag, ack.ackType === ACK_INDIVIDUAL);
    return null;
  }
  const cause = ack.poisonCause;
  // Throwable.toString(), as ActiveMQ writes it into dlqDeliveryFailureCause
  const text = cause === null ? null : cause.message === null ? cause.className : `${cause.className}: ${cause.message}`;
  settle(c, ack.ackType, ack.firstMessageId?.brokerSequenceId ?? tag, tag, text);
  return null;
}

/** A non-transacted ack of `ackType` from `firstTag` (poison acks only) up to `tag`. */
function settle(c: OpenWireConsumer, ackType: number, firstTag: number, tag: number, cause: string | null): void {
  switch (ackType) {
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
    case ACK_POISON:
      c.poison(firstTag, tag, cause);
      break;
    case ACK_REDELIVERED:
      // the client redelivers by itself (Session.recover); ActiveMQ's broker does not count these
      // either: a later consumer sees the count of the broker's own deliveries
      break;
  }
}

// The common ack read without building it: a client acks every message or so, and the decoded
// ack (ids with their strings, the destination) was as much garbage as a message.

function skipString(r: Reader): void {
  if (!r.boolean()) return;
  r.need(2);
  const n = r.buf.readUInt16BE(r.pos);
  r.need(2 + n);
  r.pos += 2 + n;
}

/** A MessageId's brokerSequenceId (0 when null), the reader past it; -1 for what only the decoder may judge. */
function messageIdSequence(r: Reader): number {
  if (!r.boolean()) return 0;
  if (r.byte() !== DataType.MessageId) return -1;
  if (r.version >= 10) skipString(r);
  if (r.boolean()) {
    if (r.byte() !== DataType.ProducerId) return -1;
    skipString(r);
    r.need(16);
    r.pos += 16;
  }
  r.need(8);
  r.pos += 8;
  return r.long();
}

/**
 * A MessageAck frame (`r` after its type octet) settled without a decode when it is the usual
 * kind: no transaction, no poison cause, for a consumer of this connection whose id is in the
 * bytes as we encode it. False, the reader's position undefined, for anything else: the caller
 * decodes it and takes the general path (which also judges malformed input and strings).
 */
export function quickAck(conn: OpenWireConnection, r: Reader): boolean {
  if (r.end - r.pos < 6) return false;
  r.pos += 4; // commandId
  if (r.boolean()) return false; // responseRequired: the general path answers it
  if (r.boolean()) {
    const t = r.byte();
    if (t < DataType.ActiveMQQueue || t > DataType.ActiveMQTempTopic) return false;
    skipString(r);
  }
  if (r.boolean()) return false; // a transaction
  const idAt = r.pos;
  if (!r.boolean() || r.byte() !== DataType.ConsumerId) return false;
  skipString(r);
  r.need(16);
  r.pos += 16;
  const c = conn.consumerByIdBytes(r.buf, idAt, r.pos);
  if (c === undefined) return false;
  r.need(1);
  const ackType = r.buf.readInt8(r.pos++);
  if (ackType === ACK_POISON) return false;
  const first = messageIdSequence(r);
  if (first < 0) return false;
  const tag = messageIdSequence(r);
  if (tag < 0) return false;
  r.need(4);
  r.pos += 4; // messageCount
  if (r.version >= 7 && r.boolean()) return false; // poisonCause
  if (r.pos !== r.end) return false;
  settle(c, ackType, first, tag, null);
  return true;
}
