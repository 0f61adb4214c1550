import type { FieldTable } from "../../src/core/index.js";

/** Warren's own version. */
export const PRODUCT_VERSION = "0.1.0";
/** The RabbitMQ release whose observable behaviour Warren implements. */
export const RABBITMQ_VERSION = "3.10.8";

/** The product and version connection.start advertises (server_properties.product / .version). */
export interface ServerIdentity {
  product: string;
  version: string;
}

/**
 * RabbitMQ and the release Warren implements, by default: clients switch behaviour on these. kombu
 * (Celery) applies basic.qos with global=true only when product is "RabbitMQ" at version 3.3 or
 * later; with any other name it sends global=false, which under RabbitMQ's semantics (Warren's)
 * does not reach an existing consumer, so a worker holding ETA tasks stops getting messages.
 * Warren's own name and version are in `information` and the management API.
 */
export const DEFAULT_IDENTITY: ServerIdentity = { product: "RabbitMQ", version: RABBITMQ_VERSION };

/** What connection.start tells clients; the capabilities are RabbitMQ 3.10's, which clients probe. */
export function serverProperties(clusterName: string, identity: ServerIdentity = DEFAULT_IDENTITY): FieldTable {
  return {
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      "basic.nack": true,
      consumer_cancel_notify: true,
      "connection.blocked": true,
      consumer_priorities: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    },
    cluster_name: clusterName,
    copyright: "Copyright (c) the Warren authors",
    information: `Warren ${PRODUCT_VERSION}, implementing RabbitMQ ${RABBITMQ_VERSION}. Licensed under the MIT license`,
    platform: `Node.js ${process.version}`,
    product: identity.product,
    version: identity.version,
  };
}
