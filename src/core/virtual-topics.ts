/**
 * ActiveMQ's virtual topics with its default settings (the VirtualTopicInterceptor, name
 * `VirtualTopic.>`, consumer prefix `Consumer.*.`, not selector-aware): a message sent to topic
 * VirtualTopic.X also goes to every queue Consumer.<name>.VirtualTopic.X that exists, which keeps
 * it while its consumers are away. On the core such a queue is bound to amq.topic with key
 * VirtualTopic.X by the front-ends that follow ActiveMQ's naming (OpenWire, STOMP) when they
 * declare it, so whatever reaches the topic (from any protocol) reaches the queue too, with no
 * work per message.
 */

import type { ClientRef } from "./consumer.js";
import { BrokerError } from "./errors.js";
import type { AccessControl } from "./permissions.js";
import type { VirtualHost } from "./vhost.js";

const PREFIX = "Consumer.";
const TOPIC = "VirtualTopic.";

/**
 * The virtual topic whose consumer queue `queue` is (Consumer.A.VirtualTopic.Orders →
 * VirtualTopic.Orders), or null: the consumer name is one word, the topic has a name after
 * `VirtualTopic.` and no wildcard (a wildcard queue name is no consumer queue).
 */
export function virtualTopicOf(queue: string): string | null {
  if (!queue.startsWith(PREFIX)) return null;
  const dot = queue.indexOf(".", PREFIX.length);
  if (dot <= PREFIX.length) return null;
  const topic = queue.slice(dot + 1);
  if (!topic.startsWith(TOPIC) || topic.length === TOPIC.length) return null;
  if (/[*>#]/.test(topic)) return null;
  return topic;
}

/**
 * When `queue` is a virtual topic's consumer queue, binds it to amq.topic with the topic's name
 * (the subscriber must be allowed to read the topic); the refusal, or null (also for any other queue).
 */
export function bindVirtualTopic(vhost: VirtualHost, access: AccessControl, queue: string, client: ClientRef | null): BrokerError | null {
  const topic = virtualTopicOf(queue);
  if (topic === null) return null;
  const refused = access.checkSubscribe(queue, "amq.topic", topic);
  if (refused) return refused;
  const b = vhost.bindQueue(queue, "amq.topic", topic, {}, client);
  return b instanceof BrokerError ? b : null;
}
