/**
 * MQTT 5 topic aliases (MQTT 5 §3.3.2.3.4): small integers standing for topics, separately in
 * each direction of one connection.
 */
import type { IPublishPacket } from "mqtt-packet";

/** Aliases a client sets on its publishes; answers the topic, or why the packet is refused. */
export class InboundAliases {
  private readonly topics = new Map<number, string>();

  constructor(private readonly maximum: number) {}

  /** "invalid" → DISCONNECT 0x94 [MQTT-3.3.2-8, MQTT-3.3.2-9]; "unknown" → 0x82. */
  resolve(topic: string, alias: number): string | "invalid" | "unknown" {
    if (alias === 0 || alias > this.maximum) return "invalid";
    if (topic !== "") {
      this.topics.set(alias, topic);
      return topic;
    }
    return this.topics.get(alias) ?? "unknown";
  }
}

/**
 * Aliases Warren sets towards a client that allows them: each topic's first publish carries the
 * topic and a new alias, later ones only the alias. Aliases are never reassigned, so once the
 * client's maximum is used up the remaining topics go out in full.
 */
export class OutboundAliases {
  private readonly aliases = new Map<string, number>();

  constructor(private readonly maximum: number) {}

  /** Rewrites the packet; returns the topic if it just got a new alias (see `forget`). */
  apply(packet: IPublishPacket): string | null {
    const topic = packet.topic;
    const known = this.aliases.get(topic);
    if (known !== undefined) {
      packet.properties = { ...packet.properties, topicAlias: known };
      packet.topic = "";
      return null;
    }
    if (this.aliases.size >= this.maximum) return null;
    const alias = this.aliases.size + 1;
    this.aliases.set(topic, alias);
    packet.properties = { ...packet.properties, topicAlias: alias };
    return topic;
  }

  /** The packet that introduced this alias was never sent: take it back (it is the latest one). */
  forget(topic: string): void {
    this.aliases.delete(topic);
  }
}
