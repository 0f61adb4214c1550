/**
 * The rows behind RabbitMQ's core metric groups, read from the broker once per scrape. A row is
 * one object of the group (a queue, a channel, a channel × exchange…) with its label text and
 * its values by key; `/metrics` sums the rows of the groups RabbitMQ aggregates. Values Warren
 * does not have (Erlang process reductions, memory of a queue process) are left undefined: the
 * family is still announced, with no sample, as RabbitMQ does for a value it does not know.
 */
import type { Broker, ChannelInfo, Queue, RegisteredConnection } from "../../core/index.js";
import type { CoreGroup, CoreTable } from "./families.js";
import { escapeLabel } from "./text.js";

export type Values = Record<string, number | undefined>;

export interface Row {
  /** `k="v",…`, empty for a node-wide row. */
  readonly labels: string;
  readonly values: Values;
}

/** What one scrape knows of the node, read before the rows are built. */
export interface NodeReadings {
  openFds: number;
  maxFds: number;
  openSockets: number;
  maxSockets: number;
  memoryUsed: number;
  memoryLimit: number;
  diskFree: number | undefined;
  diskFreeLimit: number;
  uptimeSeconds: number;
}

/** One scrape's view of the broker: listings are taken once and shared by every group. */
export class Snapshot {
  private connectionList: RegisteredConnection[] | null = null;
  private channelList: { conn: RegisteredConnection; ch: ChannelInfo; id: string }[] | null = null;

  constructor(
    readonly broker: Broker,
    readonly node: NodeReadings,
  ) {}

  get connections(): RegisteredConnection[] {
    return (this.connectionList ??= this.broker.connections.list());
  }

  get channels(): { conn: RegisteredConnection; ch: ChannelInfo; id: string }[] {
    if (this.channelList === null) {
      const out: { conn: RegisteredConnection; ch: ChannelInfo; id: string }[] = [];
      for (const conn of this.connections) {
        for (const ch of conn.details.channels()) out.push({ conn, ch, id: channelId(conn, ch.number) });
      }
      this.channelList = out;
    }
    return this.channelList;
  }

  /** Every queue of the vhosts `vhosts` lets through (all when null). */
  *queues(vhosts: ReadonlySet<string> | null): Generator<[vhost: string, queue: Queue]> {
    for (const v of this.broker.listVhosts()) {
      if (vhosts !== null && !vhosts.has(v.name)) continue;
      for (const q of v.queues.values()) yield [v.name, q];
    }
  }
}

/**
 * The pid-shaped name that labels a connection's or channel's series (RabbitMQ labels them with
 * the Erlang process id, `channel="<0.953.0>"`): the connection's number in the broker and the
 * channel number, 0 for the connection itself. Stable while the connection lives.
 */
export function channelId(conn: RegisteredConnection, channel: number): string {
  return `<0.${conn.client.id}.${channel}>`;
}

const queueLabels = (vhost: string, name: string): string => `vhost="${escapeLabel(vhost)}",queue="${escapeLabel(name)}"`;

function queueCoarse(q: Queue): Values {
  const ready = q.messageCount;
  const unacked = q.unackedMessageCount;
  return {
    queue_messages_ready: ready,
    queue_messages_unacked: unacked,
    queue_messages: ready + unacked,
    queue_process_reductions_total: undefined,
  };
}

function queueMetrics(q: Queue): Values {
  const ready = q.messageCount;
  const unacked = q.unackedMessageCount;
  const paged = q.pagedOutCount;
  return {
    queue_consumers: q.consumerCount,
    queue_consumer_capacity: undefined,
    queue_consumer_utilisation: undefined,
    queue_process_memory_bytes: undefined,
    queue_messages_ram: ready - paged + unacked,
    queue_messages_ram_bytes: undefined,
    queue_messages_ready_ram: ready - paged,
    queue_messages_unacked_ram: unacked,
    queue_messages_persistent: undefined,
    queue_messages_persistent_bytes: undefined,
    queue_messages_bytes: undefined,
    queue_messages_ready_bytes: q.messageBytes,
    queue_messages_unacked_bytes: undefined,
    queue_messages_paged_out: paged,
    queue_messages_paged_out_bytes: undefined,
    // RabbitMQ writes NaN for a queue whose head has no timestamp (or no head)
    queue_head_message_timestamp: NaN,
    queue_disk_reads_total: undefined,
    queue_disk_writes_total: undefined,
  };
}

/** The rows of one core group. `vhosts` filters the queue groups (`/metrics/detailed?vhost=`). */
export function groupRows(table: CoreTable, s: Snapshot, vhosts: ReadonlySet<string> | null): Row[] {
  const b = s.broker;
  const n = s.node;
  switch (table) {
    case "connection_churn_metrics":
      return [
        {
          labels: "",
          values: {
            connections_opened_total: b.connections.created,
            connections_closed_total: b.connections.closed,
            channels_opened_total: b.connections.channelsOpened,
            channels_closed_total: b.connections.channelsClosed,
            queues_declared_total: b.counters.queueDeclared,
            queues_created_total: b.counters.queueCreated,
            queues_deleted_total: b.counters.queueDeleted,
          },
        },
      ];
    case "node_coarse_metrics":
      return [
        {
          labels: "",
          values: {
            process_open_fds: n.openFds,
            process_open_tcp_sockets: n.openSockets,
            process_resident_memory_bytes: n.memoryUsed,
            disk_space_available_bytes: n.diskFree,
          },
        },
      ];
    case "node_metrics":
      return [
        {
          labels: "",
          values: {
            process_max_fds: n.maxFds,
            process_max_tcp_sockets: n.maxSockets,
            resident_memory_limit_bytes: n.memoryLimit,
            disk_space_available_limit_bytes: n.diskFreeLimit,
            erlang_uptime_seconds: n.uptimeSeconds,
          },
        },
      ];
    case "node_persister_metrics":
      return [{ labels: "", values: {} }];
    case "auth_attempt_metrics":
      return [...b.connections.authAttempts].map(([protocol, [total, ok, failed]]) => ({
        labels: `protocol="${escapeLabel(protocol)}"`,
        values: { auth_attempts_total: total, auth_attempts_succeeded_total: ok, auth_attempts_failed_total: failed },
      }));
    case "ra_metrics":
    case "auth_attempt_detailed_metrics":
    case "channel_queue_exchange_metrics":
      return [];
    case "queue_coarse_metrics": {
      const out: Row[] = [];
      for (const [vhost, q] of s.queues(vhosts)) out.push({ labels: queueLabels(vhost, q.name), values: queueCoarse(q) });
      return out;
    }
    case "queue_consumer_count": {
      const out: Row[] = [];
      for (const [vhost, q] of s.queues(vhosts))
        out.push({ labels: queueLabels(vhost, q.name), values: { queue_consumers: q.consumerCount } });
      return out;
    }
    case "queue_metrics": {
      const out: Row[] = [];
      for (const [vhost, q] of s.queues(vhosts)) out.push({ labels: queueLabels(vhost, q.name), values: queueMetrics(q) });
      return out;
    }
    case "channel_metrics":
      return s.channels.map(({ ch, id }) => ({
        labels: `channel="${id}"`,
        values: {
          channel_consumers: ch.consumerCount,
          channel_messages_unacked: ch.unacked,
          channel_messages_unconfirmed: ch.unconfirmed ?? 0,
          channel_messages_uncommitted: ch.uncommitted ?? 0,
          channel_acks_uncommitted: ch.acksUncommitted ?? 0,
          consumer_prefetch: ch.prefetchCount,
          channel_prefetch: ch.globalPrefetchCount,
        },
      }));
    case "channel_exchange_metrics": {
      const out: Row[] = [];
      for (const { conn, ch, id } of s.channels) {
        if (ch.flows === undefined) continue;
        const vhost = escapeLabel(conn.details.vhost);
        for (const f of ch.flows.exchanges.values()) {
          out.push({
            labels: `channel="${id}",vhost="${vhost}",exchange="${escapeLabel(f.exchange)}"`,
            values: {
              channel_messages_published_total: f.publish,
              channel_messages_confirmed_total: f.confirm,
              channel_messages_unroutable_returned_total: f.returned,
              channel_messages_unroutable_dropped_total: f.dropped,
            },
          });
        }
      }
      return out;
    }
    case "channel_process_metrics":
      return s.channels.map(({ id }) => ({ labels: `channel="${id}"`, values: {} }));
    case "channel_queue_metrics": {
      const out: Row[] = [];
      for (const { conn, ch, id } of s.channels) {
        if (ch.flows === undefined) continue;
        const vhost = escapeLabel(conn.details.vhost);
        for (const f of ch.flows.queues.values()) {
          out.push({
            labels: `channel="${id}",vhost="${vhost}",queue="${escapeLabel(f.queue)}"`,
            values: {
              channel_get_ack_total: f.get,
              channel_get_total: f.getNoAck,
              channel_messages_delivered_ack_total: f.deliver,
              channel_messages_delivered_total: f.deliverNoAck,
              channel_messages_redelivered_total: f.redeliver,
              channel_messages_acked_total: f.ack,
              channel_get_empty_total: f.getEmpty,
            },
          });
        }
      }
      return out;
    }
    case "connection_coarse_metrics":
      // RabbitMQ labels connection rows `channel=` too (its label for any process id)
      return s.connections.map((conn) => {
        const bytes = conn.details.bytes?.();
        return {
          labels: `channel="${channelId(conn, 0)}"`,
          values: { connection_incoming_bytes_total: bytes?.recv, connection_outgoing_bytes_total: bytes?.send },
        };
      });
    case "connection_metrics":
      return s.connections.map((conn) => ({
        labels: `channel="${channelId(conn, 0)}"`,
        values: { connection_channels: conn.details.channels().length },
      }));
  }
}

/** The groups `/metrics` sums into one node-wide sample each; the others keep their rows. */
const SUMMED: ReadonlySet<CoreTable> = new Set<CoreTable>([
  "connection_metrics",
  "channel_metrics",
  "queue_consumer_count",
  "queue_metrics",
  "channel_exchange_metrics",
  "queue_coarse_metrics",
  "channel_queue_metrics",
  "connection_coarse_metrics",
  "channel_queue_exchange_metrics",
  "ra_metrics",
  "channel_process_metrics",
]);

/**
 * The rows as `/metrics` shows them: summed groups become one row (each value from 0, values
 * nobody has left at 0, as RabbitMQ's fold does; the metrics RabbitMQ never sums undefined).
 */
export function aggregatedRows(group: CoreGroup, s: Snapshot): Row[] {
  if (!SUMMED.has(group.table)) return groupRows(group.table, s, null);
  const sums: Values = {};
  for (const m of group.metrics) sums[m.key] = m.notAggregated ? undefined : 0;
  if (group.table === "queue_coarse_metrics" || group.table === "queue_metrics" || group.table === "queue_consumer_count") {
    // the common case at 10,000 queues: summed in place, no row per queue
    let ready = 0;
    let unacked = 0;
    let consumers = 0;
    let paged = 0;
    let readyBytes = 0;
    for (const [, q] of s.queues(null)) {
      ready += q.messageCount;
      unacked += q.unackedMessageCount;
      consumers += q.consumerCount;
      readyBytes += q.messageBytes;
      if (group.table === "queue_metrics") paged += q.pagedOutCount;
    }
    if (group.table === "queue_coarse_metrics") {
      Object.assign(sums, { queue_messages_ready: ready, queue_messages_unacked: unacked, queue_messages: ready + unacked });
    } else if (group.table === "queue_consumer_count") sums.queue_consumers = consumers;
    else {
      Object.assign(sums, {
        queue_consumers: consumers,
        queue_messages_ram: ready - paged + unacked,
        queue_messages_ready_ram: ready - paged,
        queue_messages_unacked_ram: unacked,
        queue_messages_ready_bytes: readyBytes,
        queue_messages_paged_out: paged,
      });
    }
    return [{ labels: "", values: sums }];
  }
  for (const row of groupRows(group.table, s, null)) {
    for (const m of group.metrics) {
      const v = row.values[m.key];
      if (v !== undefined && sums[m.key] !== undefined) sums[m.key]! += v;
    }
  }
  return [{ labels: "", values: sums }];
}
