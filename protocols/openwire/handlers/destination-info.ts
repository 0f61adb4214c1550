import { BrokerError } from "../../../src/core/index.js";
import type { DestinationInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { destinationText, targetOf } from "../destinations.js";
import { INVALID_DESTINATION, JMS_EXCEPTION, OpenWireRefusal, refusalOf } from "../exceptions.js";
import { DEST_ADD, DEST_REMOVE, tempsOf } from "../temp-destinations.js";
import { queueFor } from "./queues.js";

/**
 * DestinationInfo: the Java client adds a temporary queue or topic (createTemporaryQueue/Topic)
 * and removes it (delete). A temporary queue is a core queue owned by this connection (gone when
 * it closes); a temporary topic routes through amq.topic as a topic does. Both are announced on
 * the advisory topics (temp-destinations.ts). Adding an ordinary queue declares it.
 */
export function destinationInfo(conn: OpenWireConnection, info: DestinationInfo): OpenWireRefusal | null {
  const d = info.destination;
  if (d === null) return new OpenWireRefusal(INVALID_DESTINATION, "DestinationInfo without a destination");
  const t = targetOf(d);
  if (typeof t === "string") return new OpenWireRefusal(INVALID_DESTINATION, t);
  if (t.kind === "composite") {
    // adding a composite adds its queues; removing one leaves them, as removing a queue does
    if (info.operationType !== DEST_ADD) return null;
    for (const m of t.members) {
      const q = m.kind === "queue" ? queueFor(conn, m.name) : null;
      if (q instanceof OpenWireRefusal) return q;
    }
    return null;
  }
  const v = conn.vhost!;
  switch (info.operationType) {
    case DEST_ADD:
      if (!t.temp) {
        if (t.kind === "queue") {
          const q = queueFor(conn, t.name);
          if (q instanceof OpenWireRefusal) return q;
        }
        return null;
      }
      if (t.kind === "queue") {
        const ok = v.declareQueue(t.name, { durable: false, autoDelete: false, exclusive: true, args: {} }, conn.client);
        if (ok instanceof BrokerError) return refusalOf(ok);
      }
      tempsOf(conn.server).add(conn, d);
      return null;
    case DEST_REMOVE: {
      if (!t.temp) return null;
      const owned = tempsOf(conn.server).get(v.name, d);
      if (owned === undefined) return null;
      if (owned.owner !== conn) return new OpenWireRefusal(JMS_EXCEPTION, `${destinationText(d)} belongs to another connection`);
      if (t.kind === "queue") {
        const q = v.queue(t.name, conn.client);
        if (!(q instanceof BrokerError) && q.consumerCount > 0) {
          return new OpenWireRefusal(JMS_EXCEPTION, `Destination still has an active subscription: ${destinationText(d)}`);
        }
        v.deleteQueue(t.name, {}, conn.client);
      }
      tempsOf(conn.server).remove(v.name, d);
      return null;
    }
    default:
      return new OpenWireRefusal(JMS_EXCEPTION, `unknown DestinationInfo operation ${info.operationType}`);
  }
}
