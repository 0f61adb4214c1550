import { BrokerError, ReplyCode } from "../../../src/core/index.js";
import type { MethodOf } from "../codec/methods.js";
import type { ChannelScope } from "../channel-scope.js";

/** The confirm class (85, RabbitMQ's extension): select. Confirms themselves are confirms.ts. */

export function confirmSelect(ch: ChannelScope, m: MethodOf<"confirm.select">): BrokerError | void {
  if (ch.tx) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "cannot switch from tx to confirm mode");
  ch.confirms.enabled = true;
  if (!m.nowait) ch.send({ kind: "confirm.select-ok" });
}
