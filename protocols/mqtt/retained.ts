import type { Message } from "../../src/core/index.js";
import { topicMatches } from "./topics.js";

/**
 * Retained messages, one per topic per vhost (MQTT 3.1.1 §3.3.1.3). In memory, saved to the
 * data dir by the server's state file so they survive a restart.
 */
export class RetainedStore {
  private readonly byVhost = new Map<string, Map<string, Message>>();
  /** Told after every change (the state file saves them). */
  onChange: () => void = () => undefined;

  /** Every retained message, for saving. */
  *entries(): Iterable<[string, string, Message]> {
    for (const [vhost, topics] of this.byVhost) for (const [topic, m] of topics) yield [vhost, topic, m];
  }

  /** A retained publish replaces the topic's message; an empty one clears it [MQTT-3.3.1-10]. */
  set(vhost: string, topic: string, message: Message): void {
    let topics = this.byVhost.get(vhost);
    if (message.bodySize === 0) {
      if (topics?.delete(topic)) this.onChange();
      return;
    }
    if (!topics) this.byVhost.set(vhost, (topics = new Map()));
    topics.set(topic, message);
    this.onChange();
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
