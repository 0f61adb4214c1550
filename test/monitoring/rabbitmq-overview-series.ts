/**
 * What RabbitMQ 3.10.8's "RabbitMQ-Overview" Grafana dashboard (grafana.com dashboard 10991, shipped
 * in rabbitmq-server's deps/rabbitmq_prometheus) reads: the series its panels query, whether a
 * panel takes their rate or their value, and how it picks a cluster. Each panel joins its series
 * on `instance` with `rabbitmq_identity_info` filtered by the `namespace` and `rabbitmq_cluster`
 * template variables, so a series that exists but does not join shows an empty panel: the test
 * queries every series in that shape.
 */

export type PanelUse = "rate" | "value";

export const OVERVIEW_SERIES: Readonly<Record<string, PanelUse>> = {
  rabbitmq_build_info: "value",
  rabbitmq_channel_consumers: "value",
  rabbitmq_channels: "value",
  rabbitmq_channels_closed_total: "rate",
  rabbitmq_channels_opened_total: "rate",
  rabbitmq_connections: "value",
  rabbitmq_connections_closed_total: "rate",
  rabbitmq_connections_opened_total: "rate",
  rabbitmq_consumers: "value",
  rabbitmq_disk_space_available_bytes: "value",
  rabbitmq_global_messages_acknowledged_total: "rate",
  rabbitmq_global_messages_confirmed_total: "rate",
  rabbitmq_global_messages_delivered_consume_auto_ack_total: "rate",
  rabbitmq_global_messages_delivered_consume_manual_ack_total: "rate",
  rabbitmq_global_messages_delivered_get_auto_ack_total: "rate",
  rabbitmq_global_messages_delivered_get_manual_ack_total: "rate",
  rabbitmq_global_messages_get_empty_total: "rate",
  rabbitmq_global_messages_received_confirm_total: "rate",
  rabbitmq_global_messages_received_total: "rate",
  rabbitmq_global_messages_redelivered_total: "rate",
  rabbitmq_global_messages_routed_total: "rate",
  rabbitmq_global_messages_unroutable_dropped_total: "rate",
  rabbitmq_global_messages_unroutable_returned_total: "rate",
  rabbitmq_process_max_fds: "value",
  rabbitmq_process_max_tcp_sockets: "value",
  rabbitmq_process_open_fds: "value",
  rabbitmq_process_open_tcp_sockets: "value",
  rabbitmq_process_resident_memory_bytes: "value",
  rabbitmq_queue_messages_ready: "value",
  rabbitmq_queue_messages_unacked: "value",
  rabbitmq_queues: "value",
  rabbitmq_queues_created_total: "rate",
  rabbitmq_queues_declared_total: "rate",
  rabbitmq_queues_deleted_total: "rate",
  rabbitmq_resident_memory_limit_bytes: "value",
};

/** The dashboard's template variables, in order: each a label_values() over the identity series. */
export const OVERVIEW_VARIABLES: readonly { name: string; query: string }[] = [
  { name: "namespace", query: "label_values(rabbitmq_identity_info, namespace)" },
  { name: "rabbitmq_cluster", query: 'label_values(rabbitmq_identity_info{namespace="$namespace"}, rabbitmq_cluster)' },
];

/** A panel-shaped query of one series: per node, joined with the identity of the chosen cluster. */
export function overviewQuery(series: string, use: PanelUse): string {
  const picked = use === "rate" ? `rate(${series}[60s])` : series;
  return `sum(${picked} * on(instance) group_left(rabbitmq_cluster, rabbitmq_node) rabbitmq_identity_info{rabbitmq_cluster="$rabbitmq_cluster", namespace="$namespace"}) by (rabbitmq_node)`;
}
