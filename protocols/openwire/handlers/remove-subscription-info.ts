import { BrokerError } from "../../../src/core/index.js";
import type { RemoveSubscriptionInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { durableQueueName, missingText } from "../durable-subscriptions.js";
import { INVALID_DESTINATION, JMS_EXCEPTION, OpenWireRefusal, refusalOf } from "../exceptions.js";

/**
 * RemoveSubscriptionInfo (Session.unsubscribe): the durable subscription and the messages it
 * kept go, unless a subscriber is active on it.
 */
export function removeSubscriptionInfo(conn: OpenWireConnection, info: RemoveSubscriptionInfo): OpenWireRefusal | null {
  const clientId = info.clientId ?? conn.clientId ?? "";
  const name = info.subcriptionName ?? ""; // ActiveMQ spells the field so
  const v = conn.vhost!;
  const q = v.queue(durableQueueName(clientId, name), conn.client);
  if (q instanceof BrokerError) return new OpenWireRefusal(INVALID_DESTINATION, missingText(clientId, name));
  if (q.consumerCount > 0) return new OpenWireRefusal(JMS_EXCEPTION, "Durable consumer is in use");
  const denied = conn.access!.check("queue", q.name, "configure");
  if (denied) return refusalOf(denied);
  const r = v.deleteQueue(q.name, {}, conn.client);
  return r instanceof BrokerError ? refusalOf(r) : null;
}
