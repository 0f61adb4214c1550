import { BrokerError, bindVirtualTopic, type Queue } from "../../src/core/index.js";
import type { StompHeaders } from "./frame-parser.js";
import { boolHeader, queueArguments } from "./message-headers.js";
import type { SessionContext } from "./session-context.js";

/**
 * /queue/x destinations: shared queues declared durable on every use, as RabbitMQ does, so
 * declaring one with other properties elsewhere earns the same precondition_failed. Like
 * RabbitMQ's route state, a session declares a queue once and then just uses it. A virtual
 * topic's consumer queue (ActiveMQ's Consumer.A.VirtualTopic.X) is bound to its topic then.
 */
export class DeclaredQueues {
  /** /queue/ names this session has declared already. */
  private readonly declared = new Set<string>();

  constructor(private readonly ctx: SessionContext) {}

  /** The queue behind /queue/`name`, declared (durable unless the headers say otherwise) if needed. */
  ensure(name: string, h: StompHeaders): Queue | BrokerError {
    const { vhost: v, client } = this.ctx;
    if (this.declared.has(name)) {
      const q = v.queue(name, client);
      if (!(q instanceof BrokerError)) return q;
    }
    const denied = this.ctx.access.check("queue", name, "configure");
    if (denied) return denied;
    const ok = v.declareQueue(
      name,
      {
        durable: boolHeader(h["durable"], true),
        autoDelete: boolHeader(h["auto-delete"], false),
        exclusive: boolHeader(h["exclusive"], false),
        args: queueArguments(h),
      },
      client,
    );
    if (ok instanceof BrokerError) return ok;
    // ActiveMQ's virtual topics: Consumer.A.VirtualTopic.X gets what is sent to topic VirtualTopic.X
    const unbound = bindVirtualTopic(v, this.ctx.access, ok.queue, client);
    if (unbound !== null) return unbound;
    this.declared.add(name);
    return v.queue(ok.queue, client);
  }
}
