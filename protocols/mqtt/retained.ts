import type { Message } from "../../src/core/index.js";
import { topicMatches } from "./topics.js";

/**
 * Retained messages, one per topic per vhost (MQTT 3.1.1 §3.3.1.3). In memory: they survive a
 * client's reconnect but not a broker restart until the store exists.
 */
export class RetainedStore {
  private readonly byVhost = new Map<string, Map<string, Message>>();

  /** A retained publish replaces the topic's message; an empty one clears it [MQTT-3.3.1-10]. */
  set(vhost: string, topic: string, message: Message): void {
    let topics = this.byVhost.get(vhost);
    if (message.bodySize === 0) {
      topics?.delete(topic);
      return;
    }
    if (!topics) this.byVhost.set(vhost, (topics = new Map()));
    topics.set(topic, message);
  }

  /** Retained messages whose topic matches the filter, for a new subscription [MQTT-3.3.1-6]. */
  *matching(vhost: string, filter: string): Iterable<[string, Message]> {
    const topics = this.byVhost.get(vhost);
    if (!topics) return;
    const exact = !/[+#]/.test(filter);
    if (exact) {
      const m = topics.get(filter);
      if (m) yield [filter, m];
      return;
    }
    for (const entry of topics) if (topicMatches(filter, entry[0])) yield entry;
  }

  get size(): number {
    let n = 0;
    for (const t of this.byVhost.values()) n += t.size;
    return n;
  }
}
