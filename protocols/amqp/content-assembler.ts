import { BrokerError, ReplyCode } from "../../src/core/index.js";
import { decodeContentHeader } from "./codec/frames.js";
import { METHOD_IDS } from "./codec/methods.js";
import type { ConnectionContext } from "./connection-context.js";
import { DEFAULT_LIMITS } from "./limits.js";

const BASIC_PUBLISH = METHOD_IDS["basic.publish"];

/** A basic.publish whose content header and body frames are still arriving (§4.2.6). */
export interface PendingPublish {
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  /** -1 until the content header arrives. */
  bodySize: number;
  properties: Buffer | null;
  body: Buffer | null;
  received: number;
}

/** A publish with all its content: what the assembler hands back once the last frame is in. */
export interface AssembledPublish extends PendingPublish {
  properties: Buffer;
  body: Buffer;
}

/** How the assembler refuses content (the channel implements it). */
export interface ContentHost {
  readonly ctx: ConnectionContext;
  /** A soft error about the publish: the channel closes. */
  refusePublish(err: BrokerError): void;
}

/**
 * Method + content header + body frames → one publish, for one channel. A body that arrives in a
 * single frame is kept as a view of the read buffer (copied only when the view would pin a much
 * larger one); a body split over frames is copied once into a buffer of the declared size.
 */
export class ContentAssembler {
  /** The publish waiting for its content; a method frame now is an UNEXPECTED_FRAME. */
  pending: PendingPublish | null = null;

  constructor(private readonly host: ContentHost) {}

  /** basic.publish was accepted: its content frames come next. */
  start(exchange: string, routingKey: string, mandatory: boolean): void {
    this.pending = { exchange, routingKey, mandatory, bodySize: -1, properties: null, body: null, received: 0 };
  }

  /** A content header; returns the publish when its body is empty. */
  header(payload: Buffer): AssembledPublish | null {
    const ctx = this.host.ctx;
    const p = this.pending;
    if (p === null || p.bodySize !== -1) {
      ctx.connectionError(ReplyCode.UNEXPECTED_FRAME, "UNEXPECTED_FRAME - expected method frame, got non method frame instead", 0, 0);
      return null;
    }
    const h = decodeContentHeader(payload);
    if (h.classId !== 60) {
      ctx.connectionError(
        ReplyCode.UNEXPECTED_FRAME,
        `UNEXPECTED_FRAME - expected content header for class 60, got one for class ${h.classId} instead`,
        BASIC_PUBLISH[0],
        BASIC_PUBLISH[1],
      );
      return null;
    }
    if (h.bodySize > ctx.maxMessageSize) {
      this.pending = null;
      this.host.refusePublish(
        new BrokerError(
          ReplyCode.PRECONDITION_FAILED,
          // RabbitMQ words it differently when the limit is its built-in one
          `message size ${h.bodySize} is larger than ${ctx.maxMessageSize === DEFAULT_LIMITS.maxMessageSize ? "" : "configured "}max size ${ctx.maxMessageSize}`,
        ),
      );
      return null;
    }
    p.bodySize = h.bodySize;
    // Keep our own copy: the payload is a view into a socket read buffer we don't own for long
    p.properties = Buffer.from(h.properties);
    if (h.bodySize === 0) return this.complete(p, Buffer.alloc(0));
    return null;
  }

  /** A body frame; returns the publish when it was the last one. */
  body(payload: Buffer): AssembledPublish | null {
    const p = this.pending;
    if (p === null || p.bodySize === -1) {
      this.host.ctx.connectionError(
        ReplyCode.UNEXPECTED_FRAME,
        "UNEXPECTED_FRAME - expected method frame, got non method frame instead",
        0,
        0,
      );
      return null;
    }
    if (p.received + payload.length > p.bodySize) {
      this.host.ctx.connectionError(ReplyCode.FRAME_ERROR, "FRAME_ERROR - body larger than declared in the content header", 0, 0);
      return null;
    }
    if (p.received === 0 && payload.length === p.bodySize) {
      // Whole body in one frame: copy only when the view would pin a much larger read buffer
      const body = payload.length * 2 >= payload.buffer.byteLength ? payload : Buffer.from(payload);
      return this.complete(p, body);
    }
    p.body ??= Buffer.allocUnsafe(p.bodySize);
    payload.copy(p.body, p.received);
    p.received += payload.length;
    if (p.received === p.bodySize) return this.complete(p, p.body);
    return null;
  }

  private complete(p: PendingPublish, body: Buffer): AssembledPublish {
    this.pending = null;
    p.body = body;
    // the header set properties before any body could complete the publish
    return p as AssembledPublish;
  }
}
