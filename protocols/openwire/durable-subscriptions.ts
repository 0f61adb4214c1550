/**
 * Durable topic subscriptions: clientID + subscription name name a durable queue bound to the
 * topic, which keeps the topic's messages while no subscriber is active. The queue is named as
 * STOMP's ActiveMQ-mode durable subscriptions name theirs (protocols/stomp/durable-subscriptions.ts),
 * so a JMS and a STOMP subscriber with the same client id and name share one subscription, as
 * they do on ActiveMQ. Texts are ActiveMQ 5.17's.
 */
import { ROUTE_SELECTOR_ARG } from "../../src/core/index.js";

export function durableQueueName(clientId: string, subscriptionName: string): string {
  return `stomp-subscription-${clientId}-${subscriptionName}`;
}

/**
 * The queue argument that keeps a durable subscription's selector (its text as the subscriber
 * gave it), so a subscriber coming back with another one replaces the subscription, as ActiveMQ
 * does; RabbitMQ-style equivalence checks ignore it, like any argument they do not know. The
 * core's queue filters what is routed to it by this selector (ROUTE_SELECTOR_ARG), so an offline
 * subscription keeps only what it selects.
 */
export const SELECTOR_ARG = ROUTE_SELECTOR_ARG;

export const inUseText = (clientId: string, name: string): string =>
  `Durable consumer is in use for client: ${clientId} and subscriptionName: ${name}`;

export const missingText = (clientId: string, name: string): string =>
  `No durable subscription exists for clientID: ${clientId} and subscriptionName: ${name}`;
