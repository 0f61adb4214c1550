import type { Message } from "../../src/core/index.js";
import { destinationFor } from "./destinations.js";
import { escapeHeader } from "./frame-encoder.js";
import type { StompVersion } from "./frame-parser.js";
import { headersFromProperties } from "./message-headers.js";

/** Where a MESSAGE frame is encoded: the transport's output, reserved in place (see StompTransport.reserve). */
export interface FrameOutput {
  reserve(size: number): number;
  readonly slab: Buffer;
  commit(): void;
}

const REDELIVERED_FALSE = Buffer.from("\nredelivered:false\n");
const REDELIVERED_TRUE = Buffer.from("\nredelivered:true\n");
const CONTENT_LENGTH = Buffer.from("content-length:");
/** Reused for the header pairs of a message's properties; emptied before each use. */
const scratch: [string, string][] = [];

/**
 * The MESSAGE frames of one subscription, encoded straight into the connection's output: the
 * bytes that are the same for every delivery (the command, the subscription, the destination and
 * the start of the message-id, the start of the `ack` header) are encoded once per subscription
 * (per destination), and a delivery adds only its tag, its properties' headers and its body. The
 * bytes are those `encodeFrame` writes for the same headers, in the same order (the order
 * `Subscriptions.deliver` lists them).
 */
export class MessageFrames {
  /** The exchange and routing key `head` was encoded for. */
  private exchange: string | null = null;
  private routingKey = "";
  /** `MESSAGE\nsubscription:…\ndestination:…\nmessage-id:T_…@@…@@`: the tag follows. */
  private head: Buffer = Buffer.alloc(0);
  /** `ack:T_…@@…@@` (STOMP 1.2, acked modes): the tag and an EOL follow. Null: no such header. */
  private readonly ackHead: Buffer | null;
  /** The escaped `T_<subscription>@@<session>@@`. */
  private readonly idPrefix: string;
  private readonly subscriptionLine: string;

  constructor(
    subscriptionId: string,
    sessionId: string,
    private readonly version: StompVersion,
    ackHeader: boolean,
  ) {
    this.idPrefix = `T_${escapeHeader(subscriptionId, version)}@@${escapeHeader(sessionId, version)}@@`;
    this.subscriptionLine = `MESSAGE\nsubscription:${escapeHeader(subscriptionId, version)}\n`;
    this.ackHead = ackHeader ? Buffer.from(`ack:${this.idPrefix}`) : null;
  }

  /** Queues the MESSAGE frame of delivery `tag` of `m` on `out`. */
  write(out: FrameOutput, tag: number, m: Message, redelivered: boolean): void {
    if (m.exchange !== this.exchange || m.routingKey !== this.routingKey) this.encodeHead(m.exchange, m.routingKey);
    const head = this.head;
    const ackHead = this.ackHead;
    const red = redelivered ? REDELIVERED_TRUE : REDELIVERED_FALSE;
    const tagDigits = digits(tag);
    scratch.length = 0;
    headersFromProperties(m.properties, scratch);
    const props = scratch.length === 0 ? "" : this.propertyLines(scratch);
    const propsBytes = props === "" ? 0 : Buffer.byteLength(props);
    const body = m.body;
    const bodyLen = body.length;
    const size =
      head.length +
      tagDigits +
      red.length +
      (ackHead === null ? 0 : ackHead.length + tagDigits + 1) +
      propsBytes +
      CONTENT_LENGTH.length +
      digits(bodyLen) +
      2 +
      bodyLen +
      1;
    let at = out.reserve(size);
    const b = out.slab;
    at += head.copy(b, at);
    at = writeDigits(b, at, tag, tagDigits);
    at += red.copy(b, at);
    if (ackHead !== null) {
      at += ackHead.copy(b, at);
      at = writeDigits(b, at, tag, tagDigits);
      b[at++] = 0x0a;
    }
    if (propsBytes > 0) at += b.write(props, at, "utf8");
    at += CONTENT_LENGTH.copy(b, at);
    at = writeDigits(b, at, bodyLen, digits(bodyLen));
    b[at++] = 0x0a;
    b[at++] = 0x0a;
    at += body.copy(b, at);
    b[at] = 0;
    out.commit();
  }

  private encodeHead(exchange: string, routingKey: string): void {
    this.exchange = exchange;
    this.routingKey = routingKey;
    const dest = escapeHeader(destinationFor(exchange, routingKey), this.version);
    this.head = Buffer.from(`${this.subscriptionLine}destination:${dest}\nmessage-id:${this.idPrefix}`);
  }

  private propertyLines(headers: readonly (readonly [string, string])[]): string {
    const v = this.version;
    let s = "";
    for (const [k, val] of headers) s += `${escapeHeader(k, v)}:${escapeHeader(val, v)}\n`;
    return s;
  }
}

/** Decimal digits of a non-negative safe integer. */
function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes `n` in `count` ASCII digits at `at`; returns the offset after them. */
function writeDigits(b: Buffer, at: number, n: number, count: number): number {
  for (let i = at + count - 1; i >= at; i--) {
    b[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + count;
}
