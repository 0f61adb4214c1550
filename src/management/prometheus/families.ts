/**
 * RabbitMQ 3.10's core metric families (rabbitmq_prometheus' METRICS_RAW): the groups that
 * `/metrics/detailed?family=` names, each metric's name (without its `rabbitmq_` or
 * `rabbitmq_detailed_` prefix), type and help text, and the key its value is read by. The
 * texts are RabbitMQ's, so dashboards and alerts written for it read the same.
 */
import type { MetricSpec } from "./text.js";

export interface CoreMetric extends MetricSpec {
  /** The key of the row value (`Row.values`). */
  readonly key: string;
  /**
   * RabbitMQ leaves this one out of `/metrics` (its aggregation never sums it: consumer capacity,
   * persistent bytes, head timestamp): the family is announced without a sample.
   */
  readonly notAggregated?: true;
}

export interface CoreGroup {
  /** RabbitMQ's name for the group, as `?family=` takes it. */
  readonly table: CoreTable;
  readonly metrics: readonly CoreMetric[];
}

export type CoreTable =
  | "connection_churn_metrics"
  | "node_coarse_metrics"
  | "node_metrics"
  | "node_persister_metrics"
  | "ra_metrics"
  | "auth_attempt_metrics"
  | "auth_attempt_detailed_metrics"
  | "queue_coarse_metrics"
  | "queue_consumer_count"
  | "queue_metrics"
  | "channel_metrics"
  | "channel_exchange_metrics"
  | "channel_process_metrics"
  | "channel_queue_metrics"
  | "connection_coarse_metrics"
  | "connection_metrics"
  | "channel_queue_exchange_metrics";

type Row = readonly [name: string, type: "gauge" | "counter", help: string, key?: string, notAggregated?: true];

const group = (table: CoreTable, rows: readonly Row[]): CoreGroup => ({
  table,
  metrics: rows.map(([name, type, help, key, notAggregated]) => ({
    name,
    type,
    help,
    key: key ?? name,
    ...(notAggregated && { notAggregated }),
  })),
});

export const CORE_GROUPS: readonly CoreGroup[] = [
  group("connection_churn_metrics", [
    ["connections_opened_total", "counter", "Total number of connections opened"],
    ["connections_closed_total", "counter", "Total number of connections closed or terminated"],
    ["channels_opened_total", "counter", "Total number of channels opened"],
    ["channels_closed_total", "counter", "Total number of channels closed"],
    ["queues_declared_total", "counter", "Total number of queues declared"],
    ["queues_created_total", "counter", "Total number of queues created"],
    ["queues_deleted_total", "counter", "Total number of queues deleted"],
  ]),
  group("node_coarse_metrics", [
    ["process_open_fds", "gauge", "Open file descriptors"],
    ["process_open_tcp_sockets", "gauge", "Open TCP sockets"],
    ["process_resident_memory_bytes", "gauge", "Memory used in bytes"],
    ["disk_space_available_bytes", "gauge", "Disk space available in bytes"],
    ["erlang_processes_used", "gauge", "Erlang processes used"],
    ["erlang_gc_runs_total", "counter", "Total number of Erlang garbage collector runs"],
    ["erlang_gc_reclaimed_bytes_total", "counter", "Total number of bytes of memory reclaimed by Erlang garbage collector"],
    ["erlang_scheduler_context_switches_total", "counter", "Total number of Erlang scheduler context switches"],
  ]),
  group("node_metrics", [
    ["process_max_fds", "gauge", "Open file descriptors limit"],
    ["process_max_tcp_sockets", "gauge", "Open TCP sockets limit"],
    ["resident_memory_limit_bytes", "gauge", "Memory high watermark in bytes"],
    ["disk_space_available_limit_bytes", "gauge", "Free disk space low watermark in bytes"],
    ["erlang_processes_limit", "gauge", "Erlang processes limit"],
    ["erlang_scheduler_run_queue", "gauge", "Erlang scheduler run queue"],
    ["erlang_net_ticktime_seconds", "gauge", "Inter-node heartbeat interval"],
    ["erlang_uptime_seconds", "gauge", "Node uptime"],
  ]),
  group("node_persister_metrics", [
    ["io_read_ops_total", "counter", "Total number of I/O read operations"],
    ["io_read_bytes_total", "counter", "Total number of I/O bytes read"],
    ["io_write_ops_total", "counter", "Total number of I/O write operations"],
    ["io_write_bytes_total", "counter", "Total number of I/O bytes written"],
    ["io_sync_ops_total", "counter", "Total number of I/O sync operations"],
    ["io_seek_ops_total", "counter", "Total number of I/O seek operations"],
    ["io_reopen_ops_total", "counter", "Total number of times files have been reopened"],
    ["schema_db_ram_tx_total", "counter", "Total number of Schema DB memory transactions"],
    ["schema_db_disk_tx_total", "counter", "Total number of Schema DB disk transactions"],
    ["msg_store_read_total", "counter", "Total number of Message Store read operations"],
    ["msg_store_write_total", "counter", "Total number of Message Store write operations"],
    ["queue_index_read_ops_total", "counter", "Total number of Queue Index read operations"],
    ["queue_index_write_ops_total", "counter", "Total number of Queue Index write operations"],
    ["io_read_time_seconds_total", "counter", "Total I/O read time"],
    ["io_write_time_seconds_total", "counter", "Total I/O write time"],
    ["io_sync_time_seconds_total", "counter", "Total I/O sync time"],
    ["io_seek_time_seconds_total", "counter", "Total I/O seek time"],
  ]),
  group("ra_metrics", [
    ["raft_term_total", "counter", "Current Raft term number"],
    ["raft_log_snapshot_index", "gauge", "Raft log snapshot index"],
    ["raft_log_last_applied_index", "gauge", "Raft log last applied index"],
    ["raft_log_commit_index", "gauge", "Raft log commit index"],
    ["raft_log_last_written_index", "gauge", "Raft log last written index"],
    ["raft_entry_commit_latency_seconds", "gauge", "Time taken for a log entry to be committed"],
  ]),
  group("auth_attempt_metrics", [
    ["auth_attempts_total", "counter", "Total number of authorization attempts"],
    ["auth_attempts_succeeded_total", "counter", "Total number of successful authentication attempts"],
    ["auth_attempts_failed_total", "counter", "Total number of failed authentication attempts"],
  ]),
  group("auth_attempt_detailed_metrics", [
    ["auth_attempts_detailed_total", "counter", "Total number of authorization attempts with source info"],
    ["auth_attempts_detailed_succeeded_total", "counter", "Total number of successful authorization attempts with source info"],
    ["auth_attempts_detailed_failed_total", "counter", "Total number of failed authorization attempts with source info"],
  ]),
  group("queue_coarse_metrics", [
    ["queue_messages_ready", "gauge", "Messages ready to be delivered to consumers"],
    ["queue_messages_unacked", "gauge", "Messages delivered to consumers but not yet acknowledged"],
    ["queue_messages", "gauge", "Sum of ready and unacknowledged messages - total queue depth"],
    ["queue_process_reductions_total", "counter", "Total number of queue process reductions"],
  ]),
  group("queue_consumer_count", [["queue_consumers", "gauge", "Consumers on a queue"]]),
  group("queue_metrics", [
    ["queue_consumers", "gauge", "Consumers on a queue"],
    ["queue_consumer_capacity", "gauge", "Consumer capacity", "queue_consumer_capacity", true],
    ["queue_consumer_utilisation", "gauge", "Same as consumer capacity"],
    ["queue_process_memory_bytes", "gauge", "Memory in bytes used by the Erlang queue process"],
    ["queue_messages_ram", "gauge", "Ready and unacknowledged messages stored in memory"],
    ["queue_messages_ram_bytes", "gauge", "Size of ready and unacknowledged messages stored in memory"],
    ["queue_messages_ready_ram", "gauge", "Ready messages stored in memory"],
    ["queue_messages_unacked_ram", "gauge", "Unacknowledged messages stored in memory"],
    ["queue_messages_persistent", "gauge", "Persistent messages"],
    ["queue_messages_persistent_bytes", "gauge", "Size in bytes of persistent messages", "queue_messages_persistent_bytes", true],
    ["queue_messages_bytes", "gauge", "Size in bytes of ready and unacknowledged messages"],
    ["queue_messages_ready_bytes", "gauge", "Size in bytes of ready messages"],
    ["queue_messages_unacked_bytes", "gauge", "Size in bytes of all unacknowledged messages"],
    ["queue_messages_paged_out", "gauge", "Messages paged out to disk"],
    ["queue_messages_paged_out_bytes", "gauge", "Size in bytes of messages paged out to disk"],
    ["queue_head_message_timestamp", "gauge", "Timestamp of the first message in the queue, if any", "queue_head_message_timestamp", true],
    ["queue_disk_reads_total", "counter", "Total number of times queue read messages from disk"],
    ["queue_disk_writes_total", "counter", "Total number of times queue wrote messages to disk"],
  ]),
  group("channel_metrics", [
    ["channel_consumers", "gauge", "Consumers on a channel"],
    ["channel_messages_unacked", "gauge", "Delivered but not yet acknowledged messages"],
    ["channel_messages_unconfirmed", "gauge", "Published but not yet confirmed messages"],
    ["channel_messages_uncommitted", "gauge", "Messages received in a transaction but not yet committed"],
    ["channel_acks_uncommitted", "gauge", "Message acknowledgements in a transaction not yet committed"],
    ["consumer_prefetch", "gauge", "Limit of unacknowledged messages for each consumer"],
    ["channel_prefetch", "gauge", "Total limit of unacknowledged messages for all consumers on a channel"],
  ]),
  group("channel_exchange_metrics", [
    ["channel_messages_published_total", "counter", "Total number of messages published into an exchange on a channel"],
    ["channel_messages_confirmed_total", "counter", "Total number of messages published into an exchange and confirmed on the channel"],
    [
      "channel_messages_unroutable_returned_total",
      "counter",
      "Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable",
    ],
    [
      "channel_messages_unroutable_dropped_total",
      "counter",
      "Total number of messages published as non-mandatory into an exchange and dropped as unroutable",
    ],
  ]),
  group("channel_process_metrics", [["channel_process_reductions_total", "counter", "Total number of channel process reductions"]]),
  group("channel_queue_metrics", [
    ["channel_get_ack_total", "counter", "Total number of messages fetched with basic.get in manual acknowledgement mode"],
    ["channel_get_total", "counter", "Total number of messages fetched with basic.get in automatic acknowledgement mode"],
    ["channel_messages_delivered_ack_total", "counter", "Total number of messages delivered to consumers in manual acknowledgement mode"],
    ["channel_messages_delivered_total", "counter", "Total number of messages delivered to consumers in automatic acknowledgement mode"],
    ["channel_messages_redelivered_total", "counter", "Total number of messages redelivered to consumers"],
    ["channel_messages_acked_total", "counter", "Total number of messages acknowledged by consumers"],
    ["channel_get_empty_total", "counter", "Total number of times basic.get operations fetched no message"],
  ]),
  group("connection_coarse_metrics", [
    ["connection_incoming_bytes_total", "counter", "Total number of bytes received on a connection"],
    ["connection_outgoing_bytes_total", "counter", "Total number of bytes sent on a connection"],
    ["connection_process_reductions_total", "counter", "Total number of connection process reductions"],
  ]),
  group("connection_metrics", [
    ["connection_incoming_packets_total", "counter", "Total number of packets received on a connection"],
    ["connection_outgoing_packets_total", "counter", "Total number of packets sent on a connection"],
    ["connection_pending_packets", "gauge", "Number of packets waiting to be sent on a connection"],
    ["connection_channels", "gauge", "Channels on a connection"],
  ]),
  group("channel_queue_exchange_metrics", [["queue_messages_published_total", "counter", "Total number of messages published to queues"]]),
];

/** Families only `/metrics/detailed` serves, prefixed `rabbitmq_cluster_`. */
export type ClusterTable = "vhost_status" | "exchange_bindings" | "exchange_names";

export const CLUSTER_GROUPS: readonly { table: ClusterTable; metric: MetricSpec }[] = [
  { table: "vhost_status", metric: { name: "vhost_status", type: "gauge", help: "Whether a given vhost is running" } },
  {
    table: "exchange_bindings",
    metric: { name: "exchange_bindings", type: "gauge", help: "Number of bindings for an exchange. This value is cluster-wide." },
  },
  {
    table: "exchange_names",
    metric: {
      name: "exchange_name",
      type: "gauge",
      help: "Enumerates exchanges without any additional info. This value is cluster-wide. A cheaper alternative to `exchange_bindings`",
    },
  },
];

/** `/metrics` and `/metrics/per-object` end with these counts, whatever is filtered. */
export const TOTALS: readonly MetricSpec[] = [
  { name: "rabbitmq_connections", type: "gauge", help: "Connections currently open" },
  { name: "rabbitmq_channels", type: "gauge", help: "Channels currently open" },
  { name: "rabbitmq_consumers", type: "gauge", help: "Consumers currently connected" },
  { name: "rabbitmq_queues", type: "gauge", help: "Queues available" },
];
