import type { FieldTable } from "../../src/core/index.js";

export const PRODUCT_VERSION = "0.1.0";

/** What connection.start tells clients; the capabilities are RabbitMQ 3.10's, which clients probe. */
export function serverProperties(clusterName: string): FieldTable {
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
    information: "Licensed under the MIT license",
    platform: `Node.js ${process.version}`,
    product: "Warren",
    version: PRODUCT_VERSION,
  };
}
