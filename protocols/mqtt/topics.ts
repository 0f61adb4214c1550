/**
 * MQTT topic names and filters, and how they map onto AMQP routing keys on amq.topic — the
 * mapping RabbitMQ's MQTT plugin uses, so MQTT and AMQP clients of one broker see each other's
 * messages: `/` becomes `.`, the filter wildcard `+` becomes `*`, `#` stays `#`.
 * Only this protocol folder knows MQTT's syntax; the core sees AMQP topic keys.
 */

/** The exchange every MQTT publish goes to and every subscription queue is bound to. */
export const MQTT_EXCHANGE = "amq.topic";

/** MQTT topic name → AMQP routing key. */
export function topicToRoutingKey(topic: string): string {
  return topic.indexOf("/") === -1 ? topic : topic.replaceAll("/", ".");
}

/** AMQP routing key → MQTT topic name, for messages that did not come from MQTT. */
export function routingKeyToTopic(key: string): string {
  return key.indexOf(".") === -1 ? key : key.replaceAll(".", "/");
}

/** MQTT topic filter → AMQP binding key. */
export function filterToBindingKey(filter: string): string {
  return filter.replaceAll("/", ".").replaceAll("+", "*");
}

/**
 * Why a PUBLISH topic name is not acceptable, or null: no wildcards [MQTT-3.3.2-2], at least one
 * character [MQTT-4.7.3-1], no U+0000 [MQTT-1.5.3-2]. mqtt-packet decodes strings leniently, so
 * ill-formed UTF-8 arrives as U+FFFD and is refused here too [MQTT-1.5.3-1].
 */
export function topicNameProblem(topic: string): string | null {
  if (topic.length === 0) return "empty topic name";
  if (/[+#]/.test(topic)) return "wildcard in topic name";
  if (/[\u0000\uFFFD]/.test(topic)) return "invalid UTF-8 in topic name";
  return null;
}

/**
 * Why a topic filter is not acceptable, or null [MQTT-4.7.1-2, MQTT-4.7.1-3]: `#` only as the
 * whole last level, `+` only as a whole level.
 */
export function topicFilterProblem(filter: string): string | null {
  if (filter.length === 0) return "empty topic filter";
  if (/[\u0000\uFFFD]/.test(filter)) return "invalid UTF-8 in topic filter";
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes("#") && (l !== "#" || i !== levels.length - 1)) return "'#' must be the last level on its own";
    if (l.includes("+") && l !== "+") return "'+' must be a level on its own";
  }
  return null;
}

/**
 * Whether `topic` matches `filter` with MQTT's rules, including that a filter starting with a
 * wildcard does not match topics starting with `$` [MQTT-4.7.2-1]. Used for retained messages
 * and per-subscription options, never on the routing path (amq.topic's trie does that).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === "#") return true;
    if (i >= t.length) return false;
    if (level !== "+" && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** A shared subscription `$share/{group}/{filter}` (MQTT 5 §4.8.2), or null. */
export function parseSharedFilter(filter: string): { group: string; filter: string } | null {
  if (!filter.startsWith("$share/")) return null;
  const rest = filter.slice(7);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  if (/[+#]/.test(group)) return null;
  return { group, filter: rest.slice(slash + 1) };
}
