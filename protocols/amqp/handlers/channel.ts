import { BrokerError, ReplyCode } from "../../../src/core/index.js";
import type { MethodOf } from "../codec/methods.js";
import type { ChannelScope } from "../channel-scope.js";

/** The channel class (20): open, close, flow. */

export function channelOpen(ch: ChannelScope): BrokerError | void {
  if (ch.state !== "open" || ch.opened) return new BrokerError(ReplyCode.CHANNEL_ERROR, "second 'channel.open' seen");
  ch.opened = true;
  ch.send({ kind: "channel.open-ok", reserved1: Buffer.alloc(0) });
}

export function channelClose(ch: ChannelScope): void {
  ch.release();
  ch.send({ kind: "channel.close-ok" });
  ch.finishClose();
}

/** RabbitMQ 3.10 supports flow only as active=true. */
export function channelFlow(ch: ChannelScope, m: MethodOf<"channel.flow">): BrokerError | void {
  if (!m.active) return new BrokerError(ReplyCode.NOT_IMPLEMENTED, "active=false");
  ch.send({ kind: "channel.flow-ok", active: true });
}
