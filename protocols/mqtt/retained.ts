import type { ClientRef, Message } from "../../src/core/index.js";
import { fromPublish, originOf, type PublishProperties, type QoS } from "./message.js";
import { topicMatches } from "./topics.js";

/** A retained message as the state file keeps it. */
export interface SavedRetained {
  vhost: string;
  topic: string;
  qos: QoS;
  payload: Buffer;
  properties: PublishProperties | undefined;
  publishedAt: number;
}

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

  /** Every retained message as the state file keeps it; `now` for one without an origin. */
  saved(now: number): SavedRetained[] {
    const saved: SavedRetained[] = [];
    for (const [vhost, topic, m] of this.entries()) {
      const o = originOf(m);
      saved.push({ vhost, topic, qos: o?.qos ?? 0, payload: m.body, properties: o?.properties, publishedAt: o?.publishedAt ?? now });
    }
    return saved;
  }

  /** What an earlier run saved, for the vhosts that still exist, published by `publisher`. */
  restore(saved: SavedRetained[], vhostExists: (name: string) => boolean, publisher: ClientRef): void {
    for (const r of saved) {
      if (!vhostExists(r.vhost)) continue;
      this.set(r.vhost, r.topic, fromPublish(r.topic, r.payload, r.qos, true, r.properties, publisher, r.publishedAt));
    }
  }
}
