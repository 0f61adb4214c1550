/**
 * rabbitmqctl's info keys (the columns `list_queues name messages` takes) for each list command,
 * read from the management API's rows, and how rabbitmqctl prints each kind of value in its table
 * and JSON formats.
 */
import type { Json } from "../management-client.js";
import type { Row } from "./kit.js";

/** A value as both formats print it. */
export interface Cell {
  table: string;
  json: Json;
}

/** Reads one info key from an API row. */
export type Column = (row: Row) => Cell;

const isRow = (v: Json | undefined): v is Row => typeof v === "object" && v !== null && !Array.isArray(v);

/** A plain value: strings as they are, numbers and booleans printed, lists of names as [a, b]. */
export const plain = (v: Json | undefined): Cell => {
  if (v === undefined || v === null) return { table: "", json: null };
  if (typeof v === "string") return { table: v, json: v };
  if (typeof v === "number" || typeof v === "boolean") return { table: String(v), json: v };
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return { table: `[${v.join(", ")}]`, json: v };
  return { table: JSON.stringify(v), json: v };
};

/** The AMQP field type rabbitmqctl names beside an argument's value in JSON. */
const amqpType = (v: Json): string => {
  if (typeof v === "string") return "longstr";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "long" : "double";
  if (Array.isArray(v)) return "array";
  if (v === null) return "void";
  return "table";
};

const erlangValue = (v: Json): string => {
  if (typeof v === "string") return JSON.stringify(v);
  if (isRow(v)) return tableText(v);
  if (Array.isArray(v)) return `[${v.map(erlangValue).join(",")}]`;
  return String(v);
};

/** rabbitmqctl prints a field table as Erlang tuples: [{"x-max-length",10},{"x-queue-mode","lazy"}]. */
const tableText = (t: Row): string =>
  `[${Object.keys(t)
    .sort()
    .map((k) => `{${JSON.stringify(k)},${erlangValue(t[k] ?? null)}}`)
    .join(",")}]`;

/** A field table (arguments, client properties): the API's object, rabbitmqctl's tuples. */
export const fieldTable = (v: Json | undefined): Cell => {
  const t = isRow(v) ? v : {};
  const keys = Object.keys(t).sort();
  return { table: tableText(t), json: keys.map((k) => [k, amqpType(t[k] ?? null), t[k] ?? null]) };
};

const field =
  (name: string, as: (v: Json | undefined) => Cell = plain): Column =>
  (row) =>
    as(row[name]);

const nested =
  (name: string, key: string): Column =>
  (row) => {
    const v = row[name];
    return plain(isRow(v) ? v[key] : undefined);
  };

/** Keys whose API field has the same name and a plain value. */
const same = (...names: string[]): Record<string, Column> => Object.fromEntries(names.map((n) => [n, field(n)]));

export const queueColumns: Record<string, Column> = {
  ...same(
    "auto_delete",
    "consumer_capacity",
    "consumer_utilisation",
    "consumers",
    "disk_reads",
    "disk_writes",
    "durable",
    "exclusive",
    "exclusive_consumer_tag",
    "head_message_timestamp",
    "leader",
    "members",
    "memory",
    "message_bytes",
    "message_bytes_persistent",
    "message_bytes_ram",
    "message_bytes_ready",
    "message_bytes_unacknowledged",
    "messages",
    "messages_persistent",
    "messages_ram",
    "messages_ready",
    "messages_ready_ram",
    "messages_unacknowledged",
    "messages_unacknowledged_ram",
    "name",
    "online",
    "policy",
    "slave_pids",
    "state",
    "synchronised_slave_pids",
    "type",
  ),
  arguments: field("arguments", fieldTable),
  // the API has no Erlang pids: the owning connection's name stands for the owner's
  exclusive_consumer_pid: field("exclusive_consumer_pid"),
  owner_pid: nested("owner_pid_details", "name"),
  pid: field("pid"),
};

export const exchangeColumns: Record<string, Column> = {
  ...same("auto_delete", "durable", "internal", "name", "policy", "type"),
  arguments: field("arguments", fieldTable),
};

export const bindingColumns: Record<string, Column> = {
  arguments: field("arguments", fieldTable),
  destination_kind: field("destination_type"),
  destination_name: field("destination"),
  routing_key: field("routing_key"),
  source_kind: () => plain("exchange"),
  source_name: field("source"),
};

export const connectionColumns: Record<string, Column> = {
  ...same(
    "auth_mechanism",
    "channel_max",
    "channels",
    "connected_at",
    "frame_max",
    "host",
    "name",
    "peer_cert_issuer",
    "peer_cert_subject",
    "peer_cert_validity",
    "peer_host",
    "peer_port",
    "port",
    "protocol",
    "recv_cnt",
    "recv_oct",
    "send_cnt",
    "send_oct",
    "send_pend",
    "ssl",
    "ssl_cipher",
    "ssl_hash",
    "ssl_key_exchange",
    "ssl_protocol",
    "state",
    "timeout",
    "user",
    "vhost",
  ),
  client_properties: field("client_properties", fieldTable),
  pid: field("name"),
};

export const channelColumns: Record<string, Column> = {
  ...same(
    "acks_uncommitted",
    "confirm",
    "consumer_count",
    "global_prefetch_count",
    "messages_unacknowledged",
    "messages_uncommitted",
    "messages_unconfirmed",
    "name",
    "number",
    "prefetch_count",
    "transactional",
    "user",
    "vhost",
  ),
  connection: nested("connection_details", "name"),
  // the API names channels "peer -> host (n)" where rabbitmqctl shows the channel's Erlang pid
  pid: field("name"),
};

export const consumerColumns: Record<string, Column> = {
  ...same("ack_required", "active", "activity_status", "consumer_tag", "prefetch_count"),
  arguments: field("arguments", fieldTable),
  channel_pid: nested("channel_details", "name"),
  queue_name: nested("queue", "name"),
};

export const vhostColumns: Record<string, Column> = {
  ...same("default_queue_type", "description", "name", "tracing"),
  tags: field("tags"),
  cluster_state: field("cluster_state"),
};

export const userColumns: Record<string, Column> = { user: field("name"), tags: field("tags") };

export const permissionColumns: Record<string, Column> = same("user", "configure", "write", "read");

export const topicPermissionColumns: Record<string, Column> = same("user", "exchange", "write", "read");

/** rabbitmqctl shows a policy's definition as the JSON text it was given, in both formats. */
export const policyColumns: Record<string, Column> = {
  ...same("vhost", "name", "pattern", "apply-to", "priority"),
  definition: (row) => {
    const text = JSON.stringify(row.definition ?? {});
    return { table: text, json: text };
  },
};

/** rabbitmqctl's refusal of columns it does not know: the unknown ones, sorted, comma-separated. */
export function unknownColumns(requested: readonly string[], table: Record<string, Column>): string | null {
  const unknown = [...new Set(requested.filter((c) => !Object.hasOwn(table, c)))].sort();
  return unknown.length === 0 ? null : `Info key(s) ${unknown.join(",")} are not supported`;
}
