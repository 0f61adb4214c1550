/**
 * rabbitmqctl's list_* commands: its banners, info keys and default columns, read from the
 * management API. Commands that take columns refuse unknown ones as rabbitmqctl does (exit 64);
 * list_users, list_permissions and the policy listings take none, as in rabbitmqctl.
 */
import { apiPath, ManagementError } from "../management-client.js";
import {
  bindingColumns,
  channelColumns,
  type Column,
  connectionColumns,
  consumerColumns,
  exchangeColumns,
  permissionColumns,
  policyColumns,
  queueColumns,
  topicPermissionColumns,
  unknownColumns,
  userColumns,
  vhostColumns,
} from "./columns.js";
import { type CommandFamily, CtlFailure, ExitCode, type Row } from "./kit.js";

interface ListSpec {
  name: string;
  /** The banner rabbitmqctl prints before the rows (the vhost in place of {vhost}). */
  banner: string;
  path: (vhost: string) => string;
  columns: Record<string, Column>;
  defaults: string[];
  /** Whether the command takes columns (rabbitmqctl's list_users, list_permissions … take none). */
  selectable: boolean;
  /** rabbitmqctl streams these (nothing at all for no rows) or prints a list (a blank line for none). */
  empty: "nothing" | "blank line";
  /** Rows rabbitmqctl does not list (list_connections shows AMQP 0-9-1 connections only). */
  keep?: (row: Row) => boolean;
}

const lists: ListSpec[] = [
  {
    name: "list_queues",
    banner: "Timeout: 60.0 seconds ...\nListing queues for vhost {vhost} ...",
    path: (v) => apiPath("queues", v),
    columns: queueColumns,
    defaults: ["name", "messages"],
    selectable: true,
    empty: "nothing",
  },
  {
    name: "list_exchanges",
    banner: "Listing exchanges for vhost {vhost} ...",
    path: (v) => apiPath("exchanges", v),
    columns: exchangeColumns,
    defaults: ["name", "type"],
    selectable: true,
    empty: "nothing",
  },
  {
    name: "list_bindings",
    banner: "Listing bindings for vhost {vhost}...",
    path: (v) => apiPath("bindings", v),
    columns: bindingColumns,
    defaults: ["source_name", "source_kind", "destination_name", "destination_kind", "routing_key", "arguments"],
    selectable: true,
    empty: "nothing",
  },
  {
    name: "list_connections",
    banner: "Listing connections ...",
    path: () => apiPath("connections"),
    columns: connectionColumns,
    defaults: ["user", "peer_host", "peer_port", "state"],
    selectable: true,
    empty: "nothing",
    keep: (row) => typeof row.protocol !== "string" || row.protocol.startsWith("AMQP"),
  },
  {
    name: "list_channels",
    banner: "Listing channels ...",
    path: () => apiPath("channels"),
    columns: channelColumns,
    defaults: ["pid", "user", "consumer_count", "messages_unacknowledged"],
    selectable: true,
    empty: "nothing",
  },
  {
    name: "list_consumers",
    banner: "Listing consumers in vhost {vhost} ...",
    path: (v) => apiPath("consumers", v),
    columns: consumerColumns,
    defaults: ["queue_name", "channel_pid", "consumer_tag", "ack_required", "prefetch_count", "active", "arguments"],
    selectable: true,
    empty: "nothing",
  },
  {
    name: "list_vhosts",
    banner: "Listing vhosts ...",
    path: () => apiPath("vhosts"),
    columns: vhostColumns,
    defaults: ["name"],
    selectable: true,
    empty: "nothing",
  },
  {
    name: "list_users",
    banner: "Listing users ...",
    path: () => apiPath("users"),
    columns: userColumns,
    defaults: ["user", "tags"],
    selectable: false,
    empty: "blank line",
  },
  {
    name: "list_permissions",
    banner: 'Listing permissions for vhost "{vhost}" ...',
    path: (v) => apiPath("vhosts", v, "permissions"),
    columns: permissionColumns,
    defaults: ["user", "configure", "write", "read"],
    selectable: false,
    empty: "blank line",
  },
  {
    name: "list_topic_permissions",
    banner: 'Listing topic permissions for vhost "{vhost}" ...',
    path: (v) => apiPath("vhosts", v, "topic-permissions"),
    columns: topicPermissionColumns,
    defaults: ["user", "exchange", "write", "read"],
    selectable: false,
    empty: "blank line",
  },
  {
    name: "list_policies",
    banner: 'Listing policies for vhost "{vhost}" ...',
    path: (v) => apiPath("policies", v),
    columns: policyColumns,
    defaults: ["vhost", "name", "pattern", "apply-to", "definition", "priority"],
    selectable: false,
    empty: "blank line",
  },
  {
    name: "list_operator_policies",
    banner: 'Listing operator policy overrides for vhost "{vhost}" ...',
    path: (v) => apiPath("operator-policies", v),
    columns: policyColumns,
    defaults: ["vhost", "name", "pattern", "apply-to", "definition", "priority"],
    selectable: false,
    empty: "blank line",
  },
];

export const listCommands: CommandFamily = (ctl, kit) => {
  for (const spec of lists) {
    const keys = Object.keys(spec.columns).sort().join(", ");
    const command = ctl
      .command(spec.selectable ? `${spec.name} [columns...]` : spec.name)
      .description(
        spec.selectable
          ? `list ${spec.name.slice(5).replaceAll("_", " ")} (default columns: ${spec.defaults.join(" ")}; any of ${keys})`
          : `list ${spec.name.slice(5).replaceAll("_", " ")} (columns: ${spec.defaults.join(" ")})`,
      );
    if (spec.name === "list_queues") {
      // rabbitmqctl's cluster filters: on one node every queue is online and local, none offline
      command
        .option("--online", "only queues on running nodes (all of them)")
        .option("--offline", "only queues on stopped nodes (none)")
        .option("--local", "only queues on this node (all of them)");
    }
    command.action(
      kit.run(async (...args: unknown[]) => {
        const requested = spec.selectable && Array.isArray(args[0]) ? (args[0] as string[]) : [];
        const columns = requested.length > 0 ? requested : spec.defaults;
        const unknown = unknownColumns(columns, spec.columns);
        if (unknown !== null) throw new CtlFailure(ExitCode.usage, unknown);
        const vhost = kit.globals().vhost;
        kit.info(spec.banner.replace("{vhost}", vhost));
        let rows: Row[];
        try {
          rows = await kit.client().get<Row[]>(spec.path(vhost));
        } catch (err) {
          // rabbitmqctl lists nothing in a vhost that does not exist, and exits 0
          if (!(err instanceof ManagementError && err.status === 404 && spec.empty === "nothing")) throw err;
          rows = [];
        }
        if (command.opts<{ offline?: boolean }>().offline === true) rows = [];
        kit.rows(spec.keep ? rows.filter(spec.keep) : rows, columns, spec.columns, spec.empty);
      }),
    );
  }
};
