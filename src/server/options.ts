// zod/mini rather than zod: the same validation, tree-shaken into the bundle, a fraction of the memory.
import * as z from "zod/mini";
import { MAX_TIMER_MS } from "../core/clock.js";

const port = z.number().check(z.int(), z.minimum(0), z.maximum(65535));
const listener = z.union([z.literal(false), z.object({ port, host: z.optional(z.string()) })]);
const mqttListener = z.union([
  z.literal(false),
  z.object({
    port,
    host: z.optional(z.string()),
    /** Largest MQTT packet accepted, in bytes. */
    maxPacketSize: z.optional(z.number().check(z.int(), z.minimum(64), z.maximum(268435455))),
    /** Clients without a username log in as the MQTT default user (RabbitMQ's mqtt.allow_anonymous). */
    allowAnonymous: z.optional(z.boolean()),
    defaultUser: z.optional(z.string()),
    defaultPass: z.optional(z.string()),
    /** Vhost for MQTT usernames without a `vhost:` prefix. */
    vhost: z.optional(z.string()),
    /**
     * QoS 1 and 2 deliveries in flight to a subscriber before its acks (RabbitMQ's mqtt.prefetch,
     * 10; 0 = no limit). A v5 client's receive maximum replaces it.
     */
    prefetch: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(65535))),
  }),
]);

/**
 * TLS material and peer verification, RabbitMQ's ssl_options: file paths (as rabbitmq.conf gives
 * them) or PEM text (handier when embedding). `verify_peer` asks clients for a certificate;
 * with `failIfNoPeerCert` a client without a valid one is refused during the handshake.
 */
export const tlsOptionsSchema = z.object({
  cacertfile: z.optional(z.string()),
  certfile: z.optional(z.string()),
  keyfile: z.optional(z.string()),
  /** PEM text instead of files. */
  ca: z.optional(z.string()),
  cert: z.optional(z.string()),
  key: z.optional(z.string()),
  /** Passphrase of an encrypted key. */
  password: z.optional(z.string()),
  verify: z.optional(z.enum(["verify_peer", "verify_none"])),
  failIfNoPeerCert: z.optional(z.boolean()),
  /** Protocol versions offered (ssl_options.versions.N); the lowest and highest bound the handshake. */
  versions: z.optional(z.array(z.enum(["tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"]))),
  /** Cipher suites offered, OpenSSL names (ssl_options.ciphers.N). */
  ciphers: z.optional(z.array(z.string())),
  /** Prefer the server's cipher order (ssl_options.honor_cipher_order). */
  honorCipherOrder: z.optional(z.boolean()),
});
export type TlsOptions = z.infer<typeof tlsOptionsSchema>;

/** A TLS listener; its own TLS settings (management.ssl.*) override the broker-wide `tls`. */
const tlsListener = z.union([z.literal(false), z.object({ port, host: z.optional(z.string()), tls: z.optional(tlsOptionsSchema) })]);

/** What startBroker and the CLI accept; validated at the edge so mistakes name the option. */
export const brokerOptionsSchema = z.object({
  /** Where durable state lives; omitted: a fresh temporary directory removed on close. */
  dataDir: z.optional(z.string()),
  amqp: z.optional(listener),
  stomp: z.optional(listener),
  /** OpenWire (ActiveMQ's JMS client protocol), ActiveMQ's port 61616. */
  openwire: z.optional(listener),
  /**
   * Where OpenWire's dead letters go: `shared` (default) ActiveMQ.DLQ, `individual` one queue per
   * destination, ActiveMQ.DLQ.Queue.<name> / ActiveMQ.DLQ.Topic.<name> (ActiveMQ's
   * individualDeadLetterStrategy).
   */
  openwireDeadLetterStrategy: z.optional(z.enum(["shared", "individual"])),
  /**
   * Offer OpenWire's tight encoding and marshal cache (ActiveMQ's broker offers both; off by
   * default: messages then go out as they came in, at less CPU per message).
   */
  openwireTightEncoding: z.optional(z.boolean()),
  openwireCache: z.optional(z.boolean()),
  /** STOMP over WebSocket, path /ws. */
  webStomp: z.optional(listener),
  /** Who a STOMP CONNECT without `login` logs in as (RabbitMQ's stomp.default_user); default guest/guest. */
  stompDefaultUser: z.optional(z.string()),
  stompDefaultPass: z.optional(z.string()),
  /** AMQP 1.0 on the AMQP listeners, picked by the protocol header (default on). */
  amqp10: z.optional(z.boolean()),
  /**
   * Who AMQP 1.0 ANONYMOUS logins (and clients without SASL) log in as (RabbitMQ's
   * amqp1_0.default_user); default the broker's default user; null refuses them.
   */
  amqp10DefaultUser: z.optional(z.nullable(z.string())),
  amqp10DefaultPass: z.optional(z.string()),
  /**
   * Which part of a verified TLS client certificate names the user of an AMQP 1.0 SASL EXTERNAL
   * login (RabbitMQ's ssl_cert_login_from): the subject ("O=Org,CN=name", the default) or the CN.
   */
  sslCertLoginFrom: z.optional(z.enum(["distinguished_name", "common_name"])),
  /** AMQP 1.0 over WebSocket (subprotocol amqp, any path), as ActiveMQ's ws transport; off unless given. */
  webAmqp10: z.optional(listener),
  mqtt: z.optional(mqttListener),
  /** MQTT over WebSocket on path /ws; shares the MQTT settings above. */
  webMqtt: z.optional(listener),
  /** Management HTTP API and web UI (RabbitMQ's 15672). */
  management: z.optional(
    z.union([
      z.literal(false),
      z.object({
        port,
        host: z.optional(z.string()),
        /** How often message rates are sampled, in ms (RabbitMQ's collect_statistics_interval, 5000; at most 2^31-1). */
        sampleInterval: z.optional(z.number().check(z.int(), z.minimum(10), z.maximum(MAX_TIMER_MS))),
      }),
    ]),
  ),
  /** Prometheus metrics on /metrics (RabbitMQ's 15692). */
  prometheus: z.optional(listener),
  /** `/metrics` serves one sample per queue, channel… instead of sums (prometheus.return_per_object_metrics). */
  prometheusPerObject: z.optional(z.boolean()),
  /** Address listeners bind to when one does not say; default all interfaces. */
  host: z.optional(z.string()),
  logLevel: z.optional(z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])),
  /** Also log to this file (appended; rabbitmq.conf's log.file), at logFileLevel (default info). */
  logFile: z.optional(z.string()),
  logFileLevel: z.optional(z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])),
  /**
   * Console lines: "plaintext" (time, level word, message, fields) or "json" (pino's). Default:
   * plaintext when stderr is a terminal, json otherwise and for a logDestination (log.console.formatter).
   */
  logFormat: z.optional(z.enum(["plaintext", "json"])),
  /** The log file's lines, default json (log.file.formatter). */
  logFileFormat: z.optional(z.enum(["plaintext", "json"])),
  /** Where log lines go (one JSON object per line); default stderr. Tests pass a stream to read them. */
  logDestination: z.optional(
    z.custom<{ write(line: string): unknown }>(
      (v) => typeof v === "object" && v !== null && typeof (v as { write?: unknown }).write === "function",
      "expected a stream with write()",
    ),
  ),
  defaultUser: z.optional(z.string()),
  defaultPass: z.optional(z.string()),
  defaultVhost: z.optional(z.string()),
  loopbackUsers: z.optional(z.array(z.string())),
  heartbeat: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(65535))),
  frameMax: z.optional(z.number().check(z.int(), z.minimum(4096))),
  channelMax: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(65535))),
  /** Memory alarm: fraction of total RAM (default 0.4, RabbitMQ's vm_memory_high_watermark). */
  memoryHighWatermark: z.optional(z.number().check(z.gt(0), z.maximum(1))),
  /** Memory alarm as an absolute RSS in bytes; wins over the fraction. */
  memoryHighWatermarkBytes: z.optional(z.number().check(z.int(), z.minimum(1))),
  /** The total memory the watermark is taken of, instead of the container's limit or the RAM (total_memory_available_override_value). */
  totalMemoryOverride: z.optional(z.number().check(z.int(), z.minimum(1))),
  /** Disk alarm: free bytes the data dir's filesystem must keep (default 50 MB, RabbitMQ's disk_free_limit). */
  diskFreeLimit: z.optional(z.number().check(z.int(), z.minimum(0))),
  /**
   * ms a client has to finish its handshake before the socket is closed (0: no limit): AMQP up to
   * connection.open (RabbitMQ's handshake_timeout), MQTT to CONNACK (mqtt.login_timeout), STOMP
   * to CONNECTED (stomp.login_timeout), each also over WebSocket and TLS. Default 10000.
   */
  handshakeTimeout: z.optional(z.number().check(z.int(), z.minimum(0))),
  mqttLoginTimeout: z.optional(z.number().check(z.int(), z.minimum(0))),
  stompLoginTimeout: z.optional(z.number().check(z.int(), z.minimum(0))),
  /** ms a TLS handshake may take (RabbitMQ's ssl_handshake_timeout, default 5000). */
  sslHandshakeTimeout: z.optional(z.number().check(z.int(), z.minimum(1))),
  /** How often memory and disk are sampled, in ms (default 1000; at most 2^31-1, setInterval's limit). */
  resourceCheckInterval: z.optional(z.number().check(z.int(), z.minimum(10), z.maximum(MAX_TIMER_MS))),
  /** Ready bytes per durable queue past which persistent messages are paged out of memory (default 4 MiB). */
  pageOutBytes: z.optional(z.number().check(z.int(), z.minimum(0))),
  /** Size of message store segment files in bytes (default 8 MiB); small values are for tests. */
  segmentSize: z.optional(z.number().check(z.int(), z.minimum(4096))),
  /** Files the store keeps open at most (default: a quarter of the process's soft fd limit, 8 to 4096). */
  maxOpenFiles: z.optional(z.number().check(z.int(), z.minimum(1))),
  maxMessageSize: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(536870912))),
  /**
   * What AMQP's connection.start advertises as server-properties product and version (conf
   * server_properties.product / .version). Default "RabbitMQ" and the RabbitMQ release Warren
   * implements, because clients gate behaviour on them (docs/compatibility.md).
   */
  serverProperties: z.optional(
    z.object({
      product: z.optional(z.string().check(z.minLength(1))),
      version: z.optional(z.string().check(z.minLength(1))),
    }),
  ),
  /** TLS settings shared by the TLS listeners (RabbitMQ's ssl_options.*). */
  tls: z.optional(tlsOptionsSchema),
  /** TLS listeners, off unless named (RabbitMQ's listeners.ssl.default, mqtt.listeners.ssl.default, stomp.listeners.ssl.1). */
  amqpTls: z.optional(tlsListener),
  mqttTls: z.optional(tlsListener),
  stompTls: z.optional(tlsListener),
  /** OpenWire over TLS (ActiveMQ's ssl:// transport on 61617), off unless named. */
  openwireTls: z.optional(tlsListener),
  /** HTTPS management API and UI (RabbitMQ's management.ssl.port, 15671), with management.ssl.* as its `tls`. */
  managementTls: z.optional(tlsListener),
  /** A definitions file (RabbitMQ's format) imported at every start (RabbitMQ's load_definitions). */
  loadDefinitions: z.optional(z.string()),
  /**
   * The management plugin's own definitions file (rabbitmq.conf's management.load_definitions),
   * imported after `loadDefinitions` at every start, as RabbitMQ's plugin loads it after the core's.
   */
  managementLoadDefinitions: z.optional(z.string()),
  /**
   * Cluster mode (docs/clustering.md): leader election through etcd, the store replicated to the
   * other members. Absent: a single node, exactly as without it. Run by `startClusterNode`.
   */
  cluster: z.optional(
    z.object({
      etcd: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
      nodeName: z.string().check(z.minLength(1), z.maxLength(200)),
      replicationPort: port,
      /** Lease TTL in seconds: how long a dead leader goes unnoticed (etcd raises values below ~2). */
      leaseTtl: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3600))),
    }),
  ),
});

export type BrokerOptions = z.input<typeof brokerOptionsSchema>;

/** RabbitMQ's default ports, which Warren keeps so clients need no change. */
export const DEFAULT_PORTS = {
  amqp: 5672,
  stomp: 61613,
  webStomp: 15674,
  openwire: 61616,
  mqtt: 1883,
  webMqtt: 15675,
  management: 15672,
  prometheus: 15692,
} as const;

/** RabbitMQ's default TLS ports; TLS listeners only start when configured. */
export const DEFAULT_TLS_PORTS = {
  amqpTls: 5671,
  mqttTls: 8883,
  stompTls: 61614,
  openwireTls: 61617,
  managementTls: 15671,
} as const;

const LISTENERS = ["amqp", "mqtt", "webMqtt", "stomp", "webStomp", "openwire", "management", "prometheus"] as const;
const TLS_LISTENERS = ["amqpTls", "mqttTls", "stompTls", "openwireTls", "managementTls"] as const;

/**
 * Name no listener and every protocol listens on RabbitMQ's default port; name some and only
 * those listen. An embedding test asking for `{ amqp: { port: 0 } }` so gets just AMQP on a free
 * port, and parallel tests never compete for the default ports.
 */
function withListenerDefaults(o: z.output<typeof brokerOptionsSchema>): z.output<typeof brokerOptionsSchema> {
  // a TLS listener counts: an embedder asking for just amqps gets just amqps
  const named = [...LISTENERS, ...TLS_LISTENERS, "webAmqp10" as const].some((k) => o[k] !== undefined);
  const out = { ...o };
  for (const k of LISTENERS) {
    if (out[k] === undefined) (out as Record<string, unknown>)[k] = named ? false : { port: DEFAULT_PORTS[k] };
  }
  return out;
}

export function parseOptions(input: BrokerOptions): z.output<typeof brokerOptionsSchema> {
  const r = brokerOptionsSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; ");
    throw new Error(`invalid broker options: ${msg}`);
  }
  return withListenerDefaults(r.data);
}
