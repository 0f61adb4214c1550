/**
 * rabbitmq.conf for Warren: the `key = value` file migrated users already have, environment
 * overrides, and the mapping of both onto BrokerOptions. Flags, environment and file all become
 * settings (conf key → value, with where the value came from), merged by precedence
 * (flags > env > file > defaults), then translated and validated in one place, so every error names
 * the conf key, where it was set and what was expected.
 */
import { readFileSync } from "node:fs";
import { hostname, totalmem } from "node:os";
import * as z from "zod/mini";
import type { BrokerOptions, TlsOptions } from "./options.js";
import type { LogLevel } from "./logger.js";

/** One setting: its raw text and where it came from ("rabbitmq.conf:12", "env WARREN_AMQP_PORT", "--amqp-port"). */
export interface Setting {
  value: string;
  source: string;
}

/** conf key → setting. */
export type Settings = Map<string, Setting>;

export class ConfigError extends Error {}

/**
 * Parses rabbitmq.conf (the sysctl-like "new style" format): one `key = value` per line, `#`
 * comments (whole line or after the value), blank lines ignored, a later key overrides an earlier.
 */
export function parseConf(text: string, file: string): Settings {
  const out: Settings = new Map();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]!).trim();
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new ConfigError(`${file}:${i + 1}: expected "key = value", got "${line}"`);
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9_.$-]+$/.test(key)) throw new ConfigError(`${file}:${i + 1}: "${key}" is not a valid key`);
    // cuttlefish lets values be quoted when they contain spaces or '#'
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out.set(key, { value, source: `${file}:${i + 1}` });
  }
  return out;
}

/** `#` starts a comment unless it is inside a double-quoted value. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === "#" && !quoted) return line.slice(0, i);
  }
  return line;
}

export function readConfFile(path: string): Settings {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`config file ${path} cannot be read: ${(err as Error).message}`);
  }
  return parseConf(text, path);
}

/**
 * Environment variables and the conf key each sets. WARREN_* are Warren's own; RABBITMQ_* are the
 * ones RabbitMQ (and its Docker image) reads, honoured so a migrated deployment's environment keeps
 * working. When both are set, WARREN_* wins.
 */
export const ENV_KEYS: readonly (readonly [env: string, key: string])[] = [
  ["RABBITMQ_NODE_PORT", "listeners.tcp.default"],
  ["RABBITMQ_DEFAULT_USER", "default_user"],
  ["RABBITMQ_DEFAULT_PASS", "default_pass"],
  ["RABBITMQ_DEFAULT_VHOST", "default_vhost"],
  ["WARREN_AMQP_PORT", "listeners.tcp.default"],
  ["WARREN_AMQPS_PORT", "listeners.ssl.default"],
  ["WARREN_MQTT_PORT", "mqtt.listeners.tcp.default"],
  ["WARREN_MQTTS_PORT", "mqtt.listeners.ssl.default"],
  ["WARREN_STOMP_PORT", "stomp.listeners.tcp.1"],
  ["WARREN_STOMPS_PORT", "stomp.listeners.ssl.1"],
  ["WARREN_OPENWIRE_PORT", "openwire.listeners.tcp.default"],
  ["WARREN_OPENWIRE_TLS_PORT", "openwire.listeners.ssl.default"],
  ["WARREN_WEB_MQTT_PORT", "web_mqtt.tcp.port"],
  ["WARREN_WEB_STOMP_PORT", "web_stomp.tcp.port"],
  ["WARREN_MANAGEMENT_PORT", "management.tcp.port"],
  ["WARREN_PROMETHEUS_PORT", "prometheus.tcp.port"],
  ["WARREN_DEFAULT_USER", "default_user"],
  ["WARREN_DEFAULT_PASS", "default_pass"],
  ["WARREN_DEFAULT_VHOST", "default_vhost"],
  ["WARREN_LOOPBACK_USERS", "loopback_users"],
  ["WARREN_LOG_LEVEL", "log.console.level"],
  ["WARREN_LOG_FILE", "log.file"],
  ["WARREN_LOG_FORMAT", "log.console.formatter"],
  ["WARREN_LOAD_DEFINITIONS", "load_definitions"],
];

/** Environment variables that are not conf keys: where the file and the data live, the bind address. */
export const ENV_CONFIG_FILE = ["WARREN_CONFIG_FILE", "RABBITMQ_CONFIG_FILE"] as const;
export const ENV_DATA_DIR = "WARREN_DATA_DIR";
export const ENV_HOST = ["WARREN_HOST", "RABBITMQ_NODE_IP_ADDRESS"] as const;
/** `true` makes unknown rabbitmq.conf keys a warning instead of a start-up error (as --lenient-config). */
export const ENV_LENIENT = "WARREN_CONFIG_LENIENT";

/** The settings the environment gives (later entries of ENV_KEYS win, so WARREN_* over RABBITMQ_*). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  const out: Settings = new Map();
  for (const [name, key] of ENV_KEYS) {
    const v = env[name];
    if (v !== undefined && v !== "") out.set(key, { value: v, source: `env ${name}` });
  }
  return out;
}

/** Merges settings, later layers winning: `mergeSettings(defaults, file, env, flags)`. */
export function mergeSettings(...layers: Settings[]): Settings {
  const out: Settings = new Map();
  for (const l of layers) for (const [k, v] of l) out.set(k, v);
  return out;
}

// ---- value types: each a zod schema from the conf text, with the expectation as its message ----

/** A schema shared by several keys, built once, at the first use of any of them (see `key`). */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

const port = once(() =>
  z.pipe(
    z.string().check(z.refine((s) => /^\d{1,5}$/.test(s) && Number(s) <= 65535, "expected a port number 0-65535")),
    z.transform(Number),
  ),
);

/** A listener: `5672`, `127.0.0.1:5672`, `::1:5672` or `[::1]:5672`; `none`/`off` turns it off. */
const listenerValue = once(() =>
  z.pipe(
    z.string().check(z.refine((s) => parseListener(s) !== null, 'expected a port (5672), "host:port" (127.0.0.1:5672) or "none"')),
    z.transform((s) => parseListener(s)!),
  ),
);

function parseListener(s: string): { port: number; host?: string } | false | null {
  if (s === "none" || s === "off" || s === "false") return false;
  const m = /^(?:\[?(.+?)\]?:)?(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535) return null;
  return m[1] !== undefined ? { port: Number(m[2]), host: m[1] } : { port: Number(m[2]) };
}

const int = (min: number, max: number) => () =>
  z.pipe(
    z.string().check(z.refine((s) => /^\d+$/.test(s) && Number(s) >= min && Number(s) <= max, `expected an integer ${min}-${max}`)),
    z.transform(Number),
  );

const bool = once(() =>
  z.pipe(
    z.string().check(z.refine((s) => s === "true" || s === "false", "expected true or false")),
    z.transform((s) => s === "true"),
  ),
);

const text = once(() => z.string().check(z.minLength(1, "expected a non-empty value")));

const fraction = once(() =>
  z.pipe(
    z
      .string()
      .check(
        z.refine((s) => /^\d*\.?\d+$/.test(s) && Number(s) > 0 && Number(s) <= 1, "expected a fraction of RAM between 0 and 1, e.g. 0.4"),
      ),
    z.transform(Number),
  ),
);

/**
 * Information units as RabbitMQ's rabbit_resource_monitor_misc reads them: k/kiB, M/MiB, G/GiB
 * are powers of 1024; kB/KB, MB, GB are powers of 1000; a bare number is bytes.
 */
const UNITS: Record<string, number> = {
  "": 1,
  k: 1024,
  kiB: 1024,
  K: 1024,
  KiB: 1024,
  M: 1024 ** 2,
  MiB: 1024 ** 2,
  G: 1024 ** 3,
  GiB: 1024 ** 3,
  kB: 1000,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  T: 1024 ** 4,
  TiB: 1024 ** 4,
  TB: 1000 ** 4,
};
export function parseBytes(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(s.trim());
  if (!m) return null;
  const unit = UNITS[m[2]!];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}
const bytes = once(() =>
  z.pipe(
    z
      .string()
      .check(z.refine((s) => parseBytes(s) !== null, "expected a size in bytes, optionally with a unit: 50000000, 50MB, 1GB, 512MiB")),
    z.transform((s) => parseBytes(s)!),
  ),
);

/** RabbitMQ's log levels, and Warren's (pino's) names for them. */
const LOG_LEVELS: Record<string, LogLevel> = {
  debug: "debug",
  info: "info",
  notice: "info",
  warning: "warn",
  warn: "warn",
  error: "error",
  critical: "fatal",
  alert: "fatal",
  emergency: "fatal",
  none: "silent",
  trace: "trace",
  fatal: "fatal",
  silent: "silent",
};
const logLevel = once(() =>
  z.pipe(
    z.string().check(z.refine((s) => s in LOG_LEVELS, "expected debug, info, warning, error, critical or none")),
    z.transform((s) => LOG_LEVELS[s]!),
  ),
);

const logFormat = once(() => z.enum(["plaintext", "json"], "expected plaintext or json"));

const verify = once(() => z.enum(["verify_peer", "verify_none"], "expected verify_peer or verify_none"));
const deadLetterStrategy = once(() => z.enum(["shared", "individual"], "expected shared or individual"));

/** Options being assembled from settings; listener/TLS objects are filled in piece by piece. */
type Draft = Record<string, unknown> & {
  tls?: TlsOptions;
  mqtt?: Record<string, unknown> | false;
  serverProperties?: { product?: string; version?: string };
  cluster?: ClusterDraft;
};

interface ClusterDraft {
  etcd?: string[];
  nodeName?: string;
  replicationPort?: number;
  leaseTtl?: number;
}
const clusterOf = (o: Draft): ClusterDraft => o.cluster ?? {};
/** cluster.replication_port when only cluster.etcd is set. */
export const DEFAULT_REPLICATION_PORT = 25700;

type Apply<T> = (o: Draft, v: T) => void;
interface KeySpec<T> {
  readonly schema: z.ZodMiniType<T, string>;
  apply: Apply<T>;
}
/**
 * A key's schema is built at its first use: building every key's at import was ~10 % of the
 * instructions a broker's start adds over node's (bench/README.md, "Start-up"), and a start
 * reads a handful of keys.
 */
const key = <T>(build: () => z.ZodMiniType<T, string>, apply: Apply<T>): KeySpec<unknown> => {
  let schema: z.ZodMiniType<T, string> | undefined;
  return {
    get schema() {
      return (schema ??= build()) as z.ZodMiniType<unknown, string>;
    },
    apply: apply as Apply<unknown>,
  };
};

/** Sets a listener option, keeping protocol-specific settings (mqtt.*) already on it. */
const listen = (name: string) => (o: Draft, l: { port: number; host?: string } | false) => {
  const prev = o[name];
  o[name] = l === false ? false : { ...(typeof prev === "object" && prev ? prev : {}), ...l };
};
const listenPort = (name: string) => (o: Draft, p: number) => listen(name)(o, { port: p });
const listenIp = (name: string) => (o: Draft, host: string) => {
  const prev = o[name];
  if (prev !== false) o[name] = { ...(typeof prev === "object" && prev ? prev : {}), host };
};
const mqttSetting = (field: string) => (o: Draft, v: unknown) => {
  if (o.mqtt === false) return; // the listener is off; MQTT settings have nothing to apply to
  o.mqtt = { ...(o.mqtt ?? {}), [field]: v };
};
/** The TLS settings assembled so far for the broker (`tls`) or the HTTPS listener (`managementTls.tls`). */
const currentTls = (o: Draft, on: "tls" | "managementTls"): TlsOptions | undefined =>
  on === "tls" ? o.tls : typeof o.managementTls === "object" && o.managementTls ? (o.managementTls as { tls?: TlsOptions }).tls : undefined;

const tlsSetting = (field: keyof TlsOptions, on: "tls" | "managementTls") => (o: Draft, v: unknown) => {
  if (on === "tls") o.tls = { ...(o.tls ?? {}), [field]: v };
  else {
    const prev = o.managementTls;
    if (prev === false) return;
    const l = (typeof prev === "object" && prev ? prev : {}) as { tls?: TlsOptions };
    o.managementTls = { ...l, tls: { ...currentTls(o, on), [field]: v } };
  }
};

const tlsVersion = once(() => z.enum(["tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"], "expected tlsv1.3, tlsv1.2, tlsv1.1 or tlsv1"));

/** ssl_options.versions.N and .ciphers.N (and management.ssl.*) each add one entry to a list. */
function appendTlsSetting(o: Draft, on: "tls" | "managementTls", field: "versions" | "ciphers", v: string): void {
  const list = [...((currentTls(o, on)?.[field] as string[] | undefined) ?? []), v];
  tlsSetting(field, on)(o, list);
}

/** ssl_options.* and management.ssl.* take the same TLS settings, for the broker-wide or the HTTPS listener's. */
function tlsKeys(prefix: string, on: "tls" | "managementTls"): Record<string, KeySpec<unknown>> {
  return {
    [`${prefix}.cacertfile`]: key(text, tlsSetting("cacertfile", on)),
    [`${prefix}.certfile`]: key(text, tlsSetting("certfile", on)),
    [`${prefix}.keyfile`]: key(text, tlsSetting("keyfile", on)),
    [`${prefix}.password`]: key(text, tlsSetting("password", on)),
    [`${prefix}.verify`]: key(verify, tlsSetting("verify", on)),
    [`${prefix}.fail_if_no_peer_cert`]: key(bool, tlsSetting("failIfNoPeerCert", on)),
    [`${prefix}.honor_cipher_order`]: key(bool, tlsSetting("honorCipherOrder", on)),
  };
}

/** Every conf key Warren reads. docs/configuration.md documents each. */
export const CONF_KEYS: Record<string, KeySpec<unknown>> = {
  "listeners.tcp.default": key(listenerValue, listen("amqp")),
  "listeners.ssl.default": key(listenerValue, listen("amqpTls")),
  "mqtt.listeners.tcp.default": key(listenerValue, listen("mqtt")),
  "mqtt.listeners.ssl.default": key(listenerValue, listen("mqttTls")),
  "stomp.listeners.tcp.1": key(listenerValue, listen("stomp")),
  "stomp.listeners.ssl.1": key(listenerValue, listen("stompTls")),
  "openwire.listeners.tcp.default": key(listenerValue, listen("openwire")),
  "openwire.listeners.ssl.default": key(listenerValue, listen("openwireTls")),
  "openwire.dead_letter_strategy": key(deadLetterStrategy, (o, v) => (o.openwireDeadLetterStrategy = v)),
  "openwire.tight_encoding": key(bool, (o, v) => (o.openwireTightEncoding = v)),
  "openwire.cache": key(bool, (o, v) => (o.openwireCache = v)),
  "web_mqtt.tcp.port": key(port, listenPort("webMqtt")),
  "web_mqtt.tcp.ip": key(text, listenIp("webMqtt")),
  "web_amqp10.tcp.port": key(port, listenPort("webAmqp10")),
  "web_amqp10.tcp.ip": key(text, listenIp("webAmqp10")),
  "web_stomp.tcp.port": key(port, listenPort("webStomp")),
  "web_stomp.tcp.ip": key(text, listenIp("webStomp")),
  "management.tcp.port": key(port, listenPort("management")),
  "management.tcp.ip": key(text, listenIp("management")),
  "management.ssl.port": key(port, listenPort("managementTls")),
  "management.ssl.ip": key(text, listenIp("managementTls")),
  "prometheus.tcp.port": key(port, listenPort("prometheus")),
  "prometheus.tcp.ip": key(text, listenIp("prometheus")),
  "prometheus.return_per_object_metrics": key(bool, (o, v) => (o.prometheusPerObject = v)),
  ...tlsKeys("ssl_options", "tls"),
  ...tlsKeys("management.ssl", "managementTls"),
  default_user: key(text, (o, v) => (o.defaultUser = v)),
  default_pass: key(text, (o, v) => (o.defaultPass = v)),
  default_vhost: key(text, (o, v) => (o.defaultVhost = v)),
  "mqtt.default_user": key(text, mqttSetting("defaultUser")),
  "mqtt.default_pass": key(text, mqttSetting("defaultPass")),
  "mqtt.allow_anonymous": key(bool, mqttSetting("allowAnonymous")),
  "mqtt.vhost": key(text, mqttSetting("vhost")),
  "mqtt.max_packet_size": key(int(64, 268435455), mqttSetting("maxPacketSize")),
  "mqtt.prefetch": key(int(0, 65535), mqttSetting("prefetch")),
  // the plugin's schema: a user name, or none (no ANONYMOUS logins, no clients without SASL)
  "amqp1_0.default_user": key(text, (o, v) => (o.amqp10DefaultUser = v === "none" ? null : v)),
  ssl_cert_login_from: key(
    () => z.enum(["distinguished_name", "common_name"], "expected distinguished_name or common_name"),
    (o, v) => (o.sslCertLoginFrom = v),
  ),
  "stomp.default_user": key(text, (o, v) => (o.stompDefaultUser = v)),
  "stomp.default_pass": key(text, (o, v) => (o.stompDefaultPass = v)),
  "vm_memory_high_watermark.relative": key(fraction, (o, v) => (o.memoryHighWatermark = v)),
  "vm_memory_high_watermark.absolute": key(bytes, (o, v) => (o.memoryHighWatermarkBytes = v)),
  total_memory_available_override_value: key(bytes, (o, v) => (o.totalMemoryOverride = v)),
  "disk_free_limit.absolute": key(bytes, (o, v) => (o.diskFreeLimit = v)),
  "disk_free_limit.relative": key(
    () =>
      z.pipe(z.string().check(z.refine((s) => /^\d*\.?\d+$/.test(s), "expected a multiple of total RAM, e.g. 1.0")), z.transform(Number)),
    (o, v) => (o.diskFreeLimit = Math.round(v * totalmem())),
  ),
  max_message_size: key(int(1, 536870912), (o, v) => (o.maxMessageSize = v)),
  heartbeat: key(int(0, 65535), (o, v) => (o.heartbeat = v)),
  frame_max: key(int(4096, 2 ** 32 - 1), (o, v) => (o.frameMax = v)),
  channel_max: key(int(1, 65535), (o, v) => (o.channelMax = v)),
  handshake_timeout: key(int(0, 2 ** 31 - 1), (o, v) => (o.handshakeTimeout = v)),
  "mqtt.login_timeout": key(int(0, 2 ** 31 - 1), (o, v) => (o.mqttLoginTimeout = v)),
  "stomp.login_timeout": key(int(0, 2 ** 31 - 1), (o, v) => (o.stompLoginTimeout = v)),
  ssl_handshake_timeout: key(int(1, 2 ** 31 - 1), (o, v) => (o.sslHandshakeTimeout = v)),
  load_definitions: key(text, (o, v) => (o.loadDefinitions = v)),
  // Warren's cluster (docs/clustering.md): etcd's client URLs, this node's name, its replication port
  "cluster.etcd": key(
    () =>
      z.pipe(
        z
          .string()
          .check(
            z.refine(
              (s) => s.split(",").every((u) => /^https?:\/\/[^\s,]+$/.test(u)),
              "expected comma-separated etcd URLs, e.g. http://h1:2379,http://h2:2379",
            ),
          ),
        z.transform((s) => s.split(",")),
      ),
    (o, v) => (o.cluster = { ...clusterOf(o), etcd: v }),
  ),
  "cluster.node_name": key(text, (o, v) => (o.cluster = { ...clusterOf(o), nodeName: v })),
  "cluster.replication_port": key(port, (o, v) => (o.cluster = { ...clusterOf(o), replicationPort: v })),
  "cluster.lease_ttl": key(int(1, 3600), (o, v) => (o.cluster = { ...clusterOf(o), leaseTtl: v })),
  // RabbitMQ's rabbit.server_properties (advanced.config) as conf keys: what connection.start advertises
  "server_properties.product": key(text, (o, v) => (o.serverProperties = { ...o.serverProperties, product: v })),
  "server_properties.version": key(text, (o, v) => (o.serverProperties = { ...o.serverProperties, version: v })),
  // the management plugin's own file, loaded after the core's (RabbitMQ loads both when both are set);
  // 3.10's definitions.* keys name the core's file (or directory)
  "management.load_definitions": key(text, (o, v) => (o.managementLoadDefinitions = v)),
  "definitions.local.path": key(text, (o, v) => (o.loadDefinitions = v)),
  "definitions.import_backend": key(
    () =>
      z
        .string()
        .check(
          z.refine(
            (s) => s === "local_filesystem" || s === "rabbit_definitions_import_local_filesystem",
            "expected local_filesystem (Warren cannot import definitions over HTTPS)",
          ),
        ),
    () => {},
  ),
  "definitions.skip_if_unchanged": key(bool, () => {}),
  "log.console.level": key(logLevel, (o, v) => (o.logLevel = v)),
  // `log.file = false` turns the file off (RabbitMQ's way); a path turns it on
  "log.file": key(text, (o, v) => {
    if (v === "false") delete o.logFile;
    else o.logFile = v;
  }),
  "log.file.level": key(logLevel, (o, v) => (o.logFileLevel = v)),
  // RabbitMQ's formatter keys: plaintext (human lines) or json
  "log.console.formatter": key(logFormat, (o, v) => (o.logFormat = v)),
  "log.file.formatter": key(logFormat, (o, v) => (o.logFileFormat = v)),
  // `log.console = false` silences the console, Warren's only log destination
  "log.console": key(bool, (o, v) => {
    if (!v) o.logLevel = "silent";
  }),
  // `loopback_users = none` (the documented way to let guest in from anywhere); a list is Warren's
  // extension, as `--loopback-users guest,admin`
  loopback_users: key(
    () =>
      z.pipe(
        z.string().check(z.refine((s) => /^[^\s]+$/.test(s), 'expected "none" or comma-separated user names')),
        z.transform((s) => (s === "none" ? [] : s.split(",").filter(Boolean))),
      ),
    (o, v) => (o.loopbackUsers = v),
  ),
};

/** Keys read by settingsToOptions itself rather than through CONF_KEYS. */
const SPECIAL_KEYS = [
  "listeners.tcp",
  "loopback_users.*",
  "ssl_options.versions.*",
  "ssl_options.ciphers.*",
  "management.ssl.versions.*",
  "management.ssl.ciphers.*",
];

/**
 * rabbitmq.conf keys RabbitMQ 3.10 has that Warren deliberately does not act on: accepted with a
 * one-line warning, so a migrated file starts. `*` is one dotted segment, a trailing `**` any
 * number. Anything neither here nor in CONF_KEYS is a mistake and stops start-up (unless lenient).
 */
export const IGNORED_KEYS: readonly string[] = [
  // clustering, partitions, distribution: Warren is one node
  "cluster_formation.**",
  "cluster_name",
  "cluster_partition_handling",
  "cluster_keepalive_interval",
  "distribution.**",
  "mnesia_table_loading_retry_timeout",
  "mnesia_table_loading_retry_limit",
  "raft.**",
  "queue_master_locator",
  "mirroring_sync_batch_size",
  "queue_index_embed_msgs_below",
  "queue_index_max_journal_entries",
  // listeners beyond the one Warren binds per protocol, and socket tuning
  "listeners.tcp.*",
  "listeners.ssl.*",
  "num_acceptors.*",
  "handshake_timeout",
  "ssl_handshake_timeout",
  "reverse_dns_lookups",
  "proxy_protocol",
  "tcp_listen_options.**",
  "hipe_compile",
  "channel_operation_timeout",
  "consumer_timeout",
  "ssl_options.depth",
  "ssl_options.secure_renegotiate",
  "ssl_options.reuse_sessions",
  "ssl_options.client_renegotiation",
  // authentication back-ends and defaults Warren does not have
  "auth_backends.*",
  "auth_mechanisms.*",
  "password_hashing_module",
  "credential_validator.**",
  "default_permissions.*",
  "default_user_tags.*",
  "anonymous_login_user",
  "anonymous_login_pass",
  // memory and statistics tuning
  "vm_memory_calculation_strategy",
  "vm_memory_high_watermark_paging_ratio",
  "memory_monitor_interval",
  "background_gc_enabled",
  "background_gc_target_interval",
  "collect_statistics_interval",
  "collect_statistics",
  // logging destinations and categories Warren does not have
  "log.file.rotation.**",
  "log.exchange",
  "log.exchange.**",
  "log.syslog",
  "log.syslog.**",
  "log.console.stdio",
  "log.connection.level",
  "log.channel.level",
  "log.queue.level",
  "log.mirroring.level",
  "log.federation.level",
  "log.upgrade.level",
  "log.default.level",
  "log.ra.level",
  "log.prelaunch.level",
  "log.journald",
  "log.journald.**",
  "log.console.formatter.**",
  "log.file.formatter.**",
  // plugins' tuning
  "management.rates_mode",
  "management.path_prefix",
  "management.cors.**",
  "management.csp.**",
  "management.hsts.**",
  "management.http_log_dir",
  "management.disable_stats",
  "management.enable_queue_totals",
  "management.sample_retention_policies.**",
  "management.tcp.compress",
  "management.tcp.idle_timeout",
  "management.tcp.inactivity_timeout",
  "management.tcp.request_timeout",
  "management_agent.**",
  "prometheus.path",
  "mqtt.subscription_ttl",
  "mqtt.exchange",
  "mqtt.retained_message_store",
  "mqtt.retained_message_store_dets_sync_interval",
  "mqtt.tcp_listen_options.**",
  "mqtt.proxy_protocol",
  "mqtt.num_acceptors.*",
  "mqtt.ssl_cert_login",
  "mqtt.listeners.tcp.*",
  "mqtt.listeners.ssl.*",
  "stomp.implicit_connect",
  "stomp.hide_server_info",
  "stomp.tcp_listen_options.**",
  "stomp.num_acceptors.*",
  "stomp.proxy_protocol",
  "stomp.ssl_cert_login",
  "stomp.listeners.tcp.*",
  "stomp.listeners.ssl.*",
  "web_mqtt.ws_path",
  "web_stomp.ws_path",
  "web_mqtt.ssl.**",
  "web_stomp.ssl.**",
  "web_mqtt.cowboy_opts.**",
  "web_stomp.cowboy_opts.**",
  "web_mqtt.ws_opts.**",
  "web_stomp.ws_opts.**",
  "web_stomp.use_http_auth",
  "web_mqtt.proxy_protocol",
  "web_stomp.proxy_protocol",
  "stream.**",
];

const globRegex = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split(".")
      .map((seg) => (seg === "**" ? "[^]+" : seg === "*" ? "[^.]+" : seg.replace(/[$^+?()[\]{}|\\]/g, "\\$&")))
      .join("\\.")}$`,
  );
const IGNORED = IGNORED_KEYS.map(globRegex);
const SPECIAL = SPECIAL_KEYS.map(globRegex);

/** The known key nearest to a misspelt one (edit distance, at most a third of its length), or null. */
export function nearestKey(key: string): string | null {
  const candidates = [
    ...Object.keys(CONF_KEYS),
    ...SPECIAL_KEYS.filter((k) => !k.includes("*")),
    "loopback_users.guest",
    ...IGNORED_KEYS.filter((k) => !k.includes("*")),
  ];
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(key, c, bestDistance);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]!);
    }
    if (rowMin >= limit) return limit;
    prev = cur;
  }
  return Math.min(prev[b.length]!, limit);
}

/** How settingsToOptions treats keys it does not know. */
export interface ConfStrictness {
  /** Unknown keys are warned about instead of stopping start-up (WARREN_CONFIG_LENIENT, --lenient-config). */
  lenient?: boolean;
}

/**
 * Translates merged settings into BrokerOptions. A value that does not fit its key is an error
 * naming key, source and expectation; so is an unknown key (with the nearest known one), unless
 * `lenient`, when it is reported to `warn` once. Keys in IGNORED_KEYS are reported to `warn`.
 */
export function settingsToOptions(
  settings: Settings,
  warn: (message: string) => void = () => {},
  strictness: ConfStrictness = {},
): BrokerOptions {
  const o: Draft = {};
  const problems: string[] = [];
  // `listeners.tcp = none` turns AMQP off, as in RabbitMQ; applied first so listeners.tcp.default still wins
  const tcp = settings.get("listeners.tcp");
  if (tcp && tcp.value === "none" && !settings.has("listeners.tcp.default")) o.amqp = false;
  const loopback: { add: string[]; remove: string[] } = { add: [], remove: [] };
  for (const [k, s] of settings) {
    const lb = /^loopback_users\.(.+)$/.exec(k);
    if (lb) {
      const r = bool().safeParse(s.value);
      if (!r.success) problems.push(`${k} = "${s.value}" (${s.source}): expected true or false`);
      else (r.data ? loopback.add : loopback.remove).push(lb[1]!);
      continue;
    }
    const list = /^(ssl_options|management\.ssl)\.(versions|ciphers)\.[^.]+$/.exec(k);
    if (list) {
      const on = list[1] === "ssl_options" ? "tls" : "managementTls";
      if (list[2] === "versions") {
        const r = tlsVersion().safeParse(s.value);
        if (!r.success) problems.push(`${k} = "${s.value}" (${s.source}): ${r.error.issues[0]?.message ?? "invalid value"}`);
        else appendTlsSetting(o, on, "versions", r.data);
      } else appendTlsSetting(o, on, "ciphers", s.value);
      continue;
    }
    const spec = CONF_KEYS[k];
    if (!spec) {
      if (SPECIAL.some((r) => r.test(k))) continue;
      // a key matched only by a wildcard but a letter or two from a real one is a typo (listeners.tcp.defualt)
      const near = nearestKey(k);
      // (a numbered sibling such as stomp.listeners.tcp.2 is RabbitMQ's second listener, not a typo)
      const typo = near !== null && near in CONF_KEYS && editDistance(k, near, 3) <= 2 && !IGNORED_KEYS.includes(k) && !/\.\d+$/.test(k);
      if (!typo && IGNORED.some((r) => r.test(k))) {
        warn(`configuration key "${k}" (${s.source}) is RabbitMQ's; Warren does not use it, ignored`);
        continue;
      }
      const hint = near === null ? "" : ` (did you mean "${near}"?)`;
      if (strictness.lenient === true) warn(`unknown configuration key "${k}" (${s.source}) ignored${hint}`);
      else problems.push(`${s.source}: unknown configuration key "${k}"${hint}`);
      continue;
    }
    const r = spec.schema.safeParse(s.value);
    if (!r.success) {
      problems.push(`${k} = "${s.value}" (${s.source}): ${r.error.issues[0]?.message ?? "invalid value"}`);
      continue;
    }
    spec.apply(o, r.data);
  }
  if (loopback.add.length > 0 || loopback.remove.length > 0) {
    const base = (o.loopbackUsers as string[] | undefined) ?? ["guest"];
    o.loopbackUsers = [...new Set([...base, ...loopback.add])].filter((u) => !loopback.remove.includes(u));
  }
  if (o.cluster !== undefined) {
    // cluster mode needs etcd; the node name defaults to the host name, the port to 25700
    if (o.cluster.etcd === undefined)
      problems.push("cluster.node_name, cluster.replication_port and cluster.lease_ttl need cluster.etcd (the etcd client URLs)");
    else o.cluster = { nodeName: hostname(), replicationPort: DEFAULT_REPLICATION_PORT, ...o.cluster };
  }
  if (problems.length > 0) {
    const unknown = problems.some((p) => p.includes("unknown configuration key"));
    const advice = unknown ? `\n(set ${ENV_LENIENT}=true or pass --lenient-config to warn about unknown keys instead)` : "";
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}${advice}`);
  }
  return o as BrokerOptions;
}

/** What `warren` was given on the command line (commander's parsed flags; all optional strings). */
export interface StartFlags {
  config?: string;
  dataDir?: string;
  host?: string;
  amqpPort?: string;
  amqpsPort?: string;
  mqttPort?: string;
  mqttsPort?: string;
  stompPort?: string;
  stompsPort?: string;
  openwirePort?: string;
  openwireTlsPort?: string;
  webMqttPort?: string;
  webStompPort?: string;
  managementPort?: string;
  prometheusPort?: string;
  logLevel?: string;
  logFormat?: string;
  heartbeat?: string;
  defaultUser?: string;
  defaultPass?: string;
  defaultVhost?: string;
  loopbackUsers?: string;
  diskFreeLimit?: string;
  memoryHighWatermark?: string;
  loadDefinitions?: string;
  serverProduct?: string;
  serverVersion?: string;
  clusterEtcd?: string;
  nodeName?: string;
  replicationPort?: string;
  lenientConfig?: boolean;
}

/** Each flag and the conf key it sets (so flags are validated and documented like the file's keys). */
export const FLAG_KEYS: readonly (readonly [flag: Exclude<keyof StartFlags, "lenientConfig">, option: string, key: string])[] = [
  ["amqpPort", "--amqp-port", "listeners.tcp.default"],
  ["amqpsPort", "--amqps-port", "listeners.ssl.default"],
  ["mqttPort", "--mqtt-port", "mqtt.listeners.tcp.default"],
  ["mqttsPort", "--mqtts-port", "mqtt.listeners.ssl.default"],
  ["stompPort", "--stomp-port", "stomp.listeners.tcp.1"],
  ["stompsPort", "--stomps-port", "stomp.listeners.ssl.1"],
  ["openwirePort", "--openwire-port", "openwire.listeners.tcp.default"],
  ["openwireTlsPort", "--openwire-tls-port", "openwire.listeners.ssl.default"],
  ["webMqttPort", "--web-mqtt-port", "web_mqtt.tcp.port"],
  ["webStompPort", "--web-stomp-port", "web_stomp.tcp.port"],
  ["managementPort", "--management-port", "management.tcp.port"],
  ["prometheusPort", "--prometheus-port", "prometheus.tcp.port"],
  ["logLevel", "--log-level", "log.console.level"],
  ["logFormat", "--log-format", "log.console.formatter"],
  ["heartbeat", "--heartbeat", "heartbeat"],
  ["defaultUser", "--default-user", "default_user"],
  ["defaultPass", "--default-pass", "default_pass"],
  ["defaultVhost", "--default-vhost", "default_vhost"],
  ["loopbackUsers", "--loopback-users", "loopback_users"],
  ["diskFreeLimit", "--disk-free-limit", "disk_free_limit.absolute"],
  ["memoryHighWatermark", "--memory-high-watermark", "vm_memory_high_watermark.relative"],
  ["loadDefinitions", "--load-definitions", "load_definitions"],
  ["serverProduct", "--server-product", "server_properties.product"],
  ["serverVersion", "--server-version", "server_properties.version"],
  ["clusterEtcd", "--cluster-etcd", "cluster.etcd"],
  ["nodeName", "--node-name", "cluster.node_name"],
  ["replicationPort", "--replication-port", "cluster.replication_port"],
];

/** What `warren` runs with when nothing says otherwise: every plain listener on RabbitMQ's port. */
export const CLI_DEFAULTS: Settings = new Map(
  (
    [
      ["listeners.tcp.default", "5672"],
      ["mqtt.listeners.tcp.default", "1883"],
      ["stomp.listeners.tcp.1", "61613"],
      ["openwire.listeners.tcp.default", "61616"],
      ["web_mqtt.tcp.port", "15675"],
      ["web_stomp.tcp.port", "15674"],
      ["management.tcp.port", "15672"],
      ["prometheus.tcp.port", "15692"],
      ["log.console.level", "info"],
    ] as const
  ).map(([k, v]) => [k, { value: v, source: "default" }]),
);

/** A listener flag of "off" turns the listener off (web_* keys take only a port, so map them here). */
const OFF = new Set(["off", "none", "false"]);

/** rabbitmq.conf keys that take only a port, with the address in a sibling `.ip` key. */
const PORT_ONLY_KEY = /(^|\.)tcp\.port$|ssl\.port$/;

/**
 * Every listener flag (and its environment variable) takes `host:port`, as the README promises;
 * for the port-only keys (web_mqtt.tcp.port, management.tcp.port, …) that is the port and the
 * key's `.ip` sibling, both from the same source.
 */
function splitHostPort(settings: Settings): Settings {
  for (const [k, s] of [...settings]) {
    if (!PORT_ONLY_KEY.test(k)) continue;
    const l = parseListener(s.value);
    if (l === false || l === null || l.host === undefined) continue;
    settings.set(k, { value: String(l.port), source: s.source });
    settings.set(k.replace(/port$/, "ip"), { value: l.host, source: s.source });
  }
  return settings;
}

/**
 * Resolves `warren`'s options: flags > environment > config file > defaults. Returns the options
 * for startBroker and the warnings to log once the logger exists.
 */
export function resolveStartOptions(
  flags: StartFlags,
  env: NodeJS.ProcessEnv,
): { options: BrokerOptions; warnings: string[]; configFile?: string } {
  const configFile = flags.config ?? ENV_CONFIG_FILE.map((n) => env[n]).find((v) => v !== undefined && v !== "");
  const file = configFile !== undefined ? readConfFile(configFile) : new Map<string, Setting>();
  const fromFlags: Settings = new Map();
  for (const [flag, option, k] of FLAG_KEYS) {
    const v = flags[flag];
    if (v !== undefined) fromFlags.set(k, { value: v, source: option });
  }
  const merged = mergeSettings(CLI_DEFAULTS, file, splitHostPort(settingsFromEnv(env)), splitHostPort(fromFlags));
  // port-only keys switched off: the listener is off
  const off: string[] = [];
  for (const [k, s] of merged) {
    if (OFF.has(s.value) && PORT_ONLY_KEY.test(k)) {
      off.push(k);
      merged.delete(k);
    }
  }
  const warnings: string[] = [];
  const lenient = flags.lenientConfig === true || /^(true|1|yes)$/i.test(env[ENV_LENIENT] ?? "");
  const options = settingsToOptions(merged, (m) => warnings.push(m), { lenient }) as Record<string, unknown>;
  for (const k of off) {
    const name = k.startsWith("web_mqtt")
      ? "webMqtt"
      : k.startsWith("web_stomp")
        ? "webStomp"
        : k.startsWith("prometheus")
          ? "prometheus"
          : k.startsWith("management.ssl")
            ? "managementTls"
            : "management";
    options[name] = false;
  }
  // The CLI names every plain listener, so those not configured stay at RabbitMQ's defaults.
  options.dataDir = flags.dataDir ?? env[ENV_DATA_DIR] ?? "./data";
  const host = flags.host ?? ENV_HOST.map((n) => env[n]).find((v) => v !== undefined && v !== "");
  if (host !== undefined) options.host = host;
  return { options: options as BrokerOptions, warnings, ...(configFile !== undefined && { configFile }) };
}
