/**
 * A published JMS message read only as far as the broker needs it (loose encoding): where it goes,
 * its transaction, the few headers the core routes and expires by, where its content and
 * properties lie, and where the two fields a delivery changes (the message id's broker sequence,
 * the redelivery counter) sit in its bytes. Everything else is stepped over, strings checked as
 * the full decoder would check them but not built; the full decode happens only if someone asks
 * for the neutral properties (another protocol, a selector, the store).
 */
import {
  type AnyActiveMQDestination,
  type AnyMessage,
  type AnyTransactionId,
  DataType,
  readAnyActiveMQDestination,
  readAnyTransactionId,
  readConsumerId,
  readDataStructure,
} from "./codec/commands.generated.js";
import { DecodeError, type Reader } from "./codec/primitives.js";

/** The message types' codes (ActiveMQMessage to ActiveMQBlobMessage). */
export type MessageType = AnyMessage["dataType"];

export interface ScannedMessage {
  readonly dataType: MessageType;
  readonly commandId: number;
  readonly responseRequired: boolean;
  readonly destination: AnyActiveMQDestination | null;
  readonly transactionId: AnyTransactionId | null;
  readonly persistent: boolean;
  readonly expiration: number;
  readonly priority: number;
  readonly timestamp: number;
  /** JMSXGroupID (null for most messages, which belong to no group) and JMSXGroupSeq. */
  readonly groupID: string | null;
  readonly groupSequence: number;
  /** Offsets in the command's bytes (type octet at 0); length -1 for a null content/properties. */
  readonly contentAt: number;
  readonly contentLength: number;
  readonly propertiesAt: number;
  readonly propertiesLength: number;
  readonly compressed: boolean;
  /** Offset of the message id's brokerSequenceId (a long), -1 without a message id. */
  readonly sequenceAt: number;
  /** Offset of the redeliveryCounter (an int). */
  readonly redeliveryAt: number;
  /** Offset of the jmsxGroupFirstForConsumer flag (a boolean), -1 before version 10. */
  readonly groupFirstAt: number;
}

/** Checks `n` bytes of modified UTF-8 at the reader's position as decodeModifiedUtf8 would, and steps over them. */
function skipModifiedUtf8(r: Reader, n: number): void {
  r.need(n);
  const b = r.buf;
  const end = r.pos + n;
  for (let i = r.pos; i < end; ) {
    const c = b[i]!;
    if (c < 0x80) i++;
    else if ((c & 0xe0) === 0xc0 && i + 1 < end) i += 2;
    else if ((c & 0xf0) === 0xe0 && i + 2 < end) i += 3;
    else throw new DecodeError("malformed modified UTF-8 string");
  }
  r.pos = end;
}

function skipString(r: Reader): void {
  if (!r.boolean()) return;
  r.need(2);
  const n = r.buf.readUInt16BE(r.pos);
  r.pos += 2;
  skipModifiedUtf8(r, n);
}

function skip(r: Reader, n: number): void {
  r.need(n);
  r.pos += n;
}

function skipBytes(r: Reader): number {
  if (!r.boolean()) return -1;
  const n = r.int();
  if (n < 0) throw new DecodeError(`negative byte array length ${n}`);
  skip(r, n);
  return n;
}

function skipProducerId(r: Reader): void {
  if (!r.boolean()) return;
  const t = r.byte();
  if (t !== DataType.ProducerId) throw new DecodeError(`type ${t} where a ProducerId belongs`);
  skipString(r); // connectionId
  skip(r, 16); // value, sessionId
}

function skipBrokerIds(r: Reader): void {
  if (!r.boolean()) return;
  const n = r.short();
  if (n < 0) throw new DecodeError(`negative array length ${n}`);
  for (let i = 0; i < n; i++) {
    if (!r.boolean()) throw new DecodeError("null array element");
    const t = r.byte();
    if (t !== DataType.BrokerId) throw new DecodeError(`type ${t} where a BrokerId belongs`);
    skipString(r);
  }
}

/** Whether `buf[at, at + a.length)` holds `a`'s bytes (compared from the end, where ids and names differ most). */
export function sameBytes(a: Buffer, buf: Buffer, at: number): boolean {
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== buf[at + i]) return false;
  return true;
}

/**
 * The destination a connection's last message named, with its bytes as sent: a producer sends
 * one destination over and over, decoded once (the name's string, the object) while the bytes
 * stay the same. The object is shared by those messages' scans: nobody changes it.
 */
export class DestinationMemo {
  /** A view of the message that named it (stored bytes never change). */
  bytes: Buffer | null = null;
  value: AnyActiveMQDestination | null = null;
}

function readDestination(r: Reader, memo: DestinationMemo | null): AnyActiveMQDestination | null {
  if (memo === null) return readAnyActiveMQDestination(r);
  const at = r.pos;
  const b = memo.bytes;
  if (b !== null && at + b.length <= r.end && sameBytes(b, r.buf, at)) {
    r.pos = at + b.length;
    return memo.value;
  }
  const d = readAnyActiveMQDestination(r);
  memo.bytes = r.buf.subarray(at, r.pos);
  memo.value = d;
  return d;
}

/**
 * A `ScannedMessage` whose fields the next scan overwrites: a connection keeps one for the messages
 * it reads (nothing keeps a scan past its command's handling), so a send allocates no scan object.
 */
export class ScanResult implements ScannedMessage {
  dataType: MessageType = DataType.ActiveMQMessage;
  commandId = 0;
  responseRequired = false;
  destination: AnyActiveMQDestination | null = null;
  transactionId: AnyTransactionId | null = null;
  persistent = false;
  expiration = 0;
  priority = 0;
  timestamp = 0;
  groupID: string | null = null;
  groupSequence = 0;
  contentAt = 0;
  contentLength = -1;
  propertiesAt = 0;
  propertiesLength = -1;
  compressed = false;
  sequenceAt = -1;
  redeliveryAt = 0;
  groupFirstAt = -1;
}

/**
 * The message command of type `dataType` from `r` (positioned after the type octet, at offset 1 of
 * the command; `r.buf` the message's own bytes when a `memo` is given, since it keeps a view),
 * read into `into` (a new result unless given).
 */
export function scanMessage(
  dataType: MessageType,
  r: Reader,
  memo: DestinationMemo | null = null,
  into: ScanResult = new ScanResult(),
): ScannedMessage {
  const v = r.version;
  const o = into;
  o.dataType = dataType;
  o.commandId = r.int();
  o.responseRequired = r.boolean();
  skipProducerId(r);
  o.destination = readDestination(r, memo);
  o.transactionId = readAnyTransactionId(r);
  readAnyActiveMQDestination(r); // originalDestination
  let sequenceAt = -1;
  if (r.boolean()) {
    const t = r.byte();
    if (t !== DataType.MessageId) throw new DecodeError(`type ${t} where a MessageId belongs`);
    if (v >= 10) skipString(r); // textView
    skipProducerId(r);
    skip(r, 8); // producerSequenceId
    sequenceAt = r.pos;
    skip(r, 8);
  }
  o.sequenceAt = sequenceAt;
  readAnyTransactionId(r); // originalTransactionId
  // built only for the grouped messages that carry one: the queue keeps groups by it
  o.groupID = r.string();
  o.groupSequence = r.int();
  skipString(r); // correlationId
  o.persistent = r.boolean();
  o.expiration = r.long();
  o.priority = r.byte();
  readAnyActiveMQDestination(r); // replyTo
  o.timestamp = r.long();
  skipString(r); // type
  const contentLength = skipBytes(r);
  o.contentLength = contentLength;
  o.contentAt = r.pos - Math.max(0, contentLength);
  const propertiesLength = skipBytes(r);
  o.propertiesLength = propertiesLength;
  o.propertiesAt = r.pos - Math.max(0, propertiesLength);
  readDataStructure(r);
  readConsumerId(r); // targetConsumerId
  o.compressed = r.boolean();
  o.redeliveryAt = r.pos;
  skip(r, 4);
  skipBrokerIds(r); // brokerPath
  skip(r, 8); // arrival
  skipString(r); // userID
  skip(r, 1); // recievedByDFBridge
  if (v >= 2) skip(r, 1); // droppable
  if (v >= 3) {
    skipBrokerIds(r); // cluster
    skip(r, 16); // brokerInTime, brokerOutTime
  }
  o.groupFirstAt = v >= 10 ? r.pos : -1;
  if (v >= 10) skip(r, 1); // jmsxGroupFirstForConsumer
  if (dataType === DataType.ActiveMQBlobMessage) {
    skipString(r); // remoteBlobUrl
    skipString(r); // mimeType
    skip(r, 1); // deletedByBroker
  }
  return o;
}
