import { BrokerError, bindVirtualTopic, type Queue } from "../../../src/core/index.js";
import type { OpenWireConnection } from "../connection.js";
import { type OpenWireRefusal, refusalOf } from "../exceptions.js";

/**
 * queue://x is declared (durable, as STOMP's /queue/x) on first use in this connection. A virtual
 * topic's consumer queue (Consumer.A.VirtualTopic.X) is bound to its topic then (src/core/virtual-topics.ts).
 */
export function queueFor(conn: OpenWireConnection, name: string): Queue | OpenWireRefusal {
  const v = conn.vhost!;
  if (!conn.declared.has(name)) {
    const denied = conn.access!.check("queue", name, "configure");
    if (denied) return refusalOf(denied);
    const ok = v.declareQueue(name, { durable: true, autoDelete: false, exclusive: false, args: {} }, conn.client);
    if (ok instanceof BrokerError) return refusalOf(ok);
    const unbound = bindVirtualTopic(v, conn.access!, name, conn.client);
    if (unbound !== null) return refusalOf(unbound);
    conn.declared.add(name);
  }
  const q = v.queue(name, conn.client);
  return q instanceof BrokerError ? refusalOf(q) : q;
}
