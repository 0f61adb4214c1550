// node:fs rather than node:fs/promises, which a start would load only for these two (it brings
// readline's internals: ~2 ms of start-up CPU; bench/README.md, "Start-up: built-ins…")
import { closeSync, mkdtemp, rm } from "node:fs";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Broker } from "../core/index.js";
import type { DiskPersistence } from "../store/persistence.js";
import type { GroupCommit } from "../store/group-commit.js";
import type { StoreTap } from "../store/tap.js";
import { AmqpServer } from "../../protocols/amqp/server.js";
import { Amqp10Server } from "../../protocols/amqp10/server.js";
import { WebAmqp10Server } from "../../protocols/amqp10/websocket.js";
import { MqttServer } from "../../protocols/mqtt/server.js";
import { WebMqttServer } from "../../protocols/mqtt/websocket.js";
import { defaultStompOptions, StompServer, WebStompServer } from "../../protocols/stomp/server.js";
import { OpenWireServer } from "../../protocols/openwire/server.js";
import { createLogger, type Logger, openLogFile } from "./logger.js";
import { type BrokerOptions, DEFAULT_PORTS, parseOptions, type TlsOptions } from "./options.js";
import { type TlsServerOptions, tlsServerOptions } from "../transport/tls.js";
import { openStore, prepareDataDir } from "./open-store.js";
import { acquireDataDirLock, type DataDirLock } from "../store/lock.js";
import { DEFAULT_LIMITS as DEFAULT_RESOURCE_LIMITS, ResourceMonitor } from "./resource-monitor.js";
import { DEFAULT_IDENTITY, PRODUCT_VERSION } from "../../protocols/amqp/server-properties.js";
import type { ClusterView } from "../management/cluster-view.js";

export interface BrokerPorts {
  amqp?: number;
  mqtt?: number;
  webMqtt?: number;
  /** AMQP 1.0 over WebSocket, when configured. */
  webAmqp10?: number;
  stomp?: number;
  webStomp?: number;
  openwire?: number;
  management?: number;
  prometheus?: number;
  /** TLS listeners (RabbitMQ's 5671, 8883, 61614, 15671), when configured. */
  amqpTls?: number;
  mqttTls?: number;
  stompTls?: number;
  /** OpenWire over TLS (ActiveMQ's 61617), when configured. */
  openwireTls?: number;
  managementTls?: number;
}

/** A running broker: the ports it bound, its core, and how to stop it. */
export interface RunningBroker {
  readonly ports: BrokerPorts;
  readonly core: Broker;
  readonly dataDir: string;
  readonly log: Logger;
  /** The durable store: group commit statistics, dropped tails found at startup. */
  readonly persistence: DiskPersistence;
  /** Samples memory and disk; tests change `limits` and call `check()`. */
  readonly resources: ResourceMonitor;
  /** Client connections currently open, across protocols. */
  connectionCount(): number;
  /**
   * Stops the broker. `handover`: a cluster leader stops serving while the cluster goes on
   * (a planned handover, SIGTERM, a lost lease; docs/clustering.md), so MQTT 5 clients hear
   * DISCONNECT 0x9C (use another server) instead of 0x8B (server shutting down).
   */
  close(how?: { handover?: boolean }): Promise<void>;
}

/** A listener that could not bind: which listener, which port, and the setting that moves it. */
export class ListenerBindError extends Error {
  override readonly name = "ListenerBindError";
  constructor(
    readonly listener: string,
    readonly port: number,
    readonly key: string,
    readonly code: string,
    address: string | undefined,
  ) {
    const why =
      code === "EADDRINUSE"
        ? "is already in use (EADDRINUSE)"
        : code === "EACCES"
          ? "needs privileges this process does not have (EACCES)"
          : `cannot be bound (${code})`;
    super(`${listener} listener: port ${port}${address !== undefined ? ` on ${address}` : ""} ${why}; choose another with ${key}`);
  }
}

type Named = string | ((port: number | undefined) => string);

/** Runs a listen call, turning a bind failure into a ListenerBindError naming the listener and port. */
async function bind<T>(listener: Named, key: Named, port: number | undefined, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
    if (e.syscall !== "listen" || e.code === undefined) throw err;
    const p = e.port ?? port ?? 0;
    const name = (n: Named) => (typeof n === "string" ? n : n(e.port));
    throw new ListenerBindError(name(listener), p, name(key), e.code, e.address);
  }
}

/**
 * What a cluster node hands the broker it starts as leader (src/cluster/leader.ts): the store's
 * tap, and the commit hook it takes over once the store is open. Not an option: a single node
 * never has one.
 */
export interface LeaderReplication extends StoreTap {
  start(commit: GroupCommit): void;
  /** Stops replicating (batches waiting fail); the store's last writes stay local. */
  close(): void;
}

/** What a cluster node hands startBroker when it becomes leader (src/cluster/node.ts). */
export interface LeaderInternals {
  readonly replication: LeaderReplication;
  /** The data dir's lock, held by the node since it started as a follower. */
  readonly lock?: DataDirLock;
  /** The cluster as the management API and Prometheus show it (/api/nodes, warren_cluster_*). */
  readonly cluster?: ClusterView;
  /** The node, as a follower, CRC-checked every record it holds: recovery need not again. */
  readonly checksumsVerified?: boolean;
}

/** How long a cluster leader's close waits for its last batches to reach the followers. */
const HANDOVER_DRAIN_MS = 5000;

/** Starts Warren in this process: the one call an embedding test needs. */
export async function startBroker(input: BrokerOptions = {}, leader?: LeaderInternals): Promise<RunningBroker> {
  const options = parseOptions(input);
  if (options.cluster !== undefined && leader === undefined) {
    throw new Error("cluster options are for startClusterNode (a node leads only once etcd elects it)");
  }
  const replication = leader?.replication;
  const logFd = options.logFile === undefined ? undefined : openLogFile(options.logFile);
  const log = createLogger(
    options.logLevel ?? "warn",
    options.logDestination,
    logFd === undefined
      ? undefined
      : { fd: logFd, level: options.logFileLevel ?? "info", ...(options.logFileFormat !== undefined && { format: options.logFileFormat }) },
    options.logFormat,
  );
  const closeLogFile = () => {
    if (logFd !== undefined) closeSync(logFd);
  };
  const tempDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await promisify(mkdtemp)(join(tmpdir(), "warren-")));
  let lock: DataDirLock;
  try {
    prepareDataDir(dataDir);
    lock = leader?.lock ?? (await acquireDataDirLock(dataDir));
  } catch (err) {
    closeLogFile();
    throw err;
  }
  const { core, persistence } = openStore(dataDir, options, log, lock, replication, leader?.checksumsVerified);
  replication?.start(persistence.commit);
  const monitor = new ResourceMonitor(
    core.alarms,
    dataDir,
    {
      memoryHighWatermark: options.memoryHighWatermark ?? DEFAULT_RESOURCE_LIMITS.memoryHighWatermark,
      ...(options.memoryHighWatermarkBytes !== undefined && { memoryHighWatermarkBytes: options.memoryHighWatermarkBytes }),
      ...(options.totalMemoryOverride !== undefined && { totalMemoryOverride: options.totalMemoryOverride }),
      diskFreeLimit: options.diskFreeLimit ?? DEFAULT_RESOURCE_LIMITS.diskFreeLimit,
      checkIntervalMs: options.resourceCheckInterval ?? DEFAULT_RESOURCE_LIMITS.checkIntervalMs,
      collectIntervalMs: DEFAULT_RESOURCE_LIMITS.collectIntervalMs,
    },
    log,
  );
  await monitor.check();
  monitor.start();

  const ports: BrokerPorts = {};
  /** A listener's TLS settings: its own over the broker-wide ssl_options. */
  const tlsFor = (own: TlsOptions | undefined, listener: string): TlsServerOptions => {
    const merged = { ...options.tls, ...own };
    if (merged.certfile === undefined && merged.cert === undefined) {
      throw new Error(`${listener} is set but no certificate is: set ssl_options.certfile and ssl_options.keyfile`);
    }
    const tls = tlsServerOptions(merged);
    return options.sslHandshakeTimeout === undefined ? tls : { ...tls, handshakeTimeout: options.sslHandshakeTimeout };
  };
  let handover = false;
  const closers: (() => Promise<void>)[] = [];
  const counters: (() => number)[] = [];
  try {
    const amqpLimits = {
      ...(options.heartbeat !== undefined && { heartbeat: options.heartbeat }),
      ...(options.frameMax !== undefined && { frameMax: options.frameMax }),
      ...(options.channelMax !== undefined && { channelMax: options.channelMax }),
      ...(options.maxMessageSize !== undefined && { maxMessageSize: options.maxMessageSize }),
      ...(options.handshakeTimeout !== undefined && { handshakeTimeout: options.handshakeTimeout }),
    };
    const identity = { ...DEFAULT_IDENTITY, ...options.serverProperties };
    // AMQP 1.0 shares the AMQP listeners: the protocol header picks the front-end
    const amqp10Options = {
      defaultUser: options.amqp10DefaultUser !== undefined ? options.amqp10DefaultUser : (options.defaultUser ?? "guest"),
      defaultPass: options.amqp10DefaultPass ?? options.defaultPass ?? "guest",
      ...(options.sslCertLoginFrom !== undefined && { certLoginFrom: options.sslCertLoginFrom }),
      ...(options.heartbeat !== undefined && { idleTimeoutMs: options.heartbeat * 1000 }),
      ...(options.frameMax !== undefined && { maxFrameSize: options.frameMax }),
      ...(options.maxMessageSize !== undefined && { maxMessageSize: options.maxMessageSize }),
    };
    const withAmqp10 = (amqp: AmqpServer): (() => void) => {
      if (options.amqp10 === false) return () => {};
      const amqp10 = new Amqp10Server(core, log, amqp10Options, amqp.handshake);
      amqp.share(amqp10);
      counters.push(() => amqp10.connectionCount);
      return () => amqp10.close();
    };
    if (options.amqp !== false) {
      const amqp = new AmqpServer(core, log, amqpLimits, undefined, identity);
      const closeAmqp10 = withAmqp10(amqp);
      const l = options.amqp ?? { port: DEFAULT_PORTS.amqp };
      ports.amqp = await bind("AMQP 0-9-1", "listeners.tcp.default", l.port, () => amqp.listen(l.port, l.host ?? options.host));
      closers.push(() => {
        closeAmqp10();
        return amqp.close();
      });
      counters.push(() => amqp.connectionCount);
      log.info({ protocol: "amqp", port: ports.amqp }, `AMQP 0-9-1 listening on port ${ports.amqp}`);
    }
    // AMQP 1.0 over WebSocket (subprotocol amqp, as ActiveMQ's ws transport): only when configured
    const webAmqp10 = options.webAmqp10 ?? false;
    if (webAmqp10 !== false && options.amqp10 !== false) {
      const amqp10 = new Amqp10Server(core, log, amqp10Options);
      const web = new WebAmqp10Server(amqp10);
      ports.webAmqp10 = await bind("AMQP 1.0 over WebSocket", "web_amqp10.tcp.port", webAmqp10.port, () =>
        web.listen(webAmqp10.port, webAmqp10.host ?? options.host),
      );
      closers.push(() => {
        amqp10.close();
        return web.close();
      });
      counters.push(() => amqp10.connectionCount);
      log.info({ protocol: "web-amqp10", port: ports.webAmqp10 }, `AMQP 1.0 over WebSocket listening on port ${ports.webAmqp10}`);
    }
    const stompOptions = defaultStompOptions(core, {
      ...(options.stompDefaultUser !== undefined && { defaultUser: options.stompDefaultUser }),
      ...(options.stompDefaultPass !== undefined && { defaultPass: options.stompDefaultPass }),
      ...(options.stompLoginTimeout !== undefined && { loginTimeout: options.stompLoginTimeout }),
    });
    if (options.stomp !== false) {
      const stomp = new StompServer(core, log, stompOptions);
      const l = options.stomp ?? { port: DEFAULT_PORTS.stomp };
      ports.stomp = await bind("STOMP", "stomp.listeners.tcp.1", l.port, () => stomp.listen(l.port, l.host ?? options.host));
      closers.push(() => stomp.close());
      counters.push(() => stomp.connectionCount);
      log.info({ protocol: "stomp", port: ports.stomp }, `STOMP listening on port ${ports.stomp}`);
    }
    if (options.webStomp !== false) {
      const web = new WebStompServer(core, log, stompOptions);
      const l = options.webStomp ?? { port: DEFAULT_PORTS.webStomp };
      ports.webStomp = await bind("STOMP over WebSocket", "web_stomp.tcp.port", l.port, () => web.listen(l.port, l.host ?? options.host));
      closers.push(() => web.close());
      counters.push(() => web.connectionCount);
      log.info({ protocol: "web-stomp", port: ports.webStomp }, `STOMP over WebSocket listening on port ${ports.webStomp}, path /ws`);
    }
    const openwireTls = options.openwireTls ?? false;
    if (options.openwire !== false || openwireTls !== false) {
      // one server for both listeners: clientIDs and temporary destinations are shared
      const openwire = new OpenWireServer(core, log, {
        ...(options.openwireDeadLetterStrategy !== undefined && { deadLetterStrategy: options.openwireDeadLetterStrategy }),
        ...(options.openwireTightEncoding !== undefined && { tightEncoding: options.openwireTightEncoding }),
        ...(options.openwireCache !== undefined && { cache: options.openwireCache }),
      });
      closers.push(() => openwire.close());
      counters.push(() => openwire.connectionCount);
      if (options.openwire !== false) {
        const l = options.openwire ?? { port: DEFAULT_PORTS.openwire };
        ports.openwire = await bind("OpenWire", "openwire.listeners.tcp.default", l.port, () =>
          openwire.listen(l.port, l.host ?? options.host),
        );
        log.info({ protocol: "openwire", port: ports.openwire }, `OpenWire listening on port ${ports.openwire}`);
      }
      if (openwireTls !== false) {
        ports.openwireTls = await bind("OpenWire over TLS", "openwire.listeners.ssl.default", openwireTls.port, () =>
          openwire.listenTls(openwireTls.port, openwireTls.host ?? options.host, tlsFor(openwireTls.tls, "openwire.listeners.ssl.default")),
        );
        log.info({ protocol: "openwire/ssl", port: ports.openwireTls }, `OpenWire over TLS listening on port ${ports.openwireTls}`);
      }
    }
    const mqttTls = options.mqttTls ?? false;
    if (options.mqtt !== false || options.webMqtt !== false || mqttTls !== false) {
      const m = options.mqtt === false ? undefined : options.mqtt;
      // anonymous MQTT clients log in as the broker's default user unless told otherwise
      const mqtt = new MqttServer(core, log, {
        ...(m?.maxPacketSize !== undefined && { maxPacketSize: m.maxPacketSize }),
        // 0 is RabbitMQ's "no limit" (basic.qos 0): as many as a v5 receive maximum can say
        ...(m?.prefetch !== undefined && { receiveMaximum: m.prefetch === 0 ? 65535 : m.prefetch }),
        ...(m?.allowAnonymous !== undefined && { allowAnonymous: m.allowAnonymous }),
        defaultUser: m?.defaultUser ?? options.defaultUser ?? "guest",
        defaultPass: m?.defaultPass ?? options.defaultPass ?? "guest",
        vhost: m?.vhost ?? core.defaultVhost,
        ...(options.mqttLoginTimeout !== undefined && { loginTimeout: options.mqttLoginTimeout }),
        // retained messages and persistent sessions outlive a restart on the same data dir
        stateDir: join(dataDir, "mqtt"),
        ...(replication !== undefined && { onStateWritten: (path: string, bytes: Buffer) => replication.replace(path, bytes) }),
      });
      closers.push(() => mqtt.close(handover));
      counters.push(() => mqtt.connectionCount);
      if (options.mqtt !== false) {
        const l = options.mqtt ?? { port: DEFAULT_PORTS.mqtt };
        ports.mqtt = await bind("MQTT", "mqtt.listeners.tcp.default", l.port, () => mqtt.listen(l.port, l.host ?? options.host));
        log.info({ protocol: "mqtt", port: ports.mqtt }, `MQTT listening on port ${ports.mqtt}`);
      }
      if (options.webMqtt !== false) {
        const web = new WebMqttServer(mqtt);
        const l = options.webMqtt ?? { port: DEFAULT_PORTS.webMqtt };
        closers.unshift(() => web.close());
        ports.webMqtt = await bind("MQTT over WebSocket", "web_mqtt.tcp.port", l.port, () => web.listen(l.port, l.host ?? options.host));
        log.info({ protocol: "web-mqtt", port: ports.webMqtt }, `MQTT over WebSocket listening on port ${ports.webMqtt}, path /ws`);
      }
      if (mqttTls !== false) {
        ports.mqttTls = await bind("MQTT over TLS", "mqtt.listeners.ssl.default", mqttTls.port, () =>
          mqtt.listenTls(mqttTls.port, mqttTls.host ?? options.host, tlsFor(mqttTls.tls, "mqtt.listeners.ssl.default")),
        );
        log.info({ protocol: "mqtt/ssl", port: ports.mqttTls }, `MQTT over TLS listening on port ${ports.mqttTls}`);
      }
    }
    // TLS listeners: off unless configured, each with ssl_options (or its own tls)
    const amqpTls = options.amqpTls ?? false;
    if (amqpTls !== false) {
      const amqps = new AmqpServer(core, log, amqpLimits, tlsFor(amqpTls.tls, "listeners.ssl.default"), identity);
      const closeAmqps10 = withAmqp10(amqps);
      ports.amqpTls = await bind("AMQP 0-9-1 over TLS", "listeners.ssl.default", amqpTls.port, () =>
        amqps.listen(amqpTls.port, amqpTls.host ?? options.host),
      );
      closers.push(() => {
        closeAmqps10();
        return amqps.close();
      });
      counters.push(() => amqps.connectionCount);
      log.info({ protocol: "amqp/ssl", port: ports.amqpTls }, `AMQP 0-9-1 over TLS listening on port ${ports.amqpTls}`);
    }
    const stompTls = options.stompTls ?? false;
    if (stompTls !== false) {
      const stomps = new StompServer(core, log, stompOptions, tlsFor(stompTls.tls, "stomp.listeners.ssl.1"));
      ports.stompTls = await bind("STOMP over TLS", "stomp.listeners.ssl.1", stompTls.port, () =>
        stomps.listen(stompTls.port, stompTls.host ?? options.host),
      );
      closers.push(() => stomps.close());
      counters.push(() => stomps.connectionCount);
      log.info({ protocol: "stomp/ssl", port: ports.stompTls }, `STOMP over TLS listening on port ${ports.stompTls}`);
    }
    if (options.management !== false || options.prometheus !== false) {
      // management API, web UI and Prometheus: loaded only when one of them is on
      const { startOperatorListeners } = await import("../management/listeners.js");
      const m = options.management;
      const mgmtPort = m === false || m === undefined ? undefined : m.port;
      const ops = await bind(
        (port) => (port !== undefined && port === mgmtPort ? "management" : "Prometheus"),
        (port) => (port !== undefined && port === mgmtPort ? "management.tcp.port" : "prometheus.tcp.port"),
        undefined,
        () =>
          startOperatorListeners(
            {
              core,
              log,
              dataDir,
              resources: monitor,
              productVersion: PRODUCT_VERSION,
              ports,
              ...(leader?.cluster && { cluster: leader.cluster }),
            },
            {
              management:
                m === false || m === undefined
                  ? false
                  : {
                      port: m.port,
                      host: m.host ?? options.host,
                      ...(m.sampleInterval !== undefined && { sampleIntervalMs: m.sampleInterval }),
                    },
              prometheus:
                options.prometheus === false || options.prometheus === undefined
                  ? false
                  : {
                      port: options.prometheus.port,
                      host: options.prometheus.host ?? options.host,
                      ...(options.prometheusPerObject === true && { perObject: true }),
                    },
            },
          ),
      );
      closers.unshift(() => ops.close());
      if (ops.management !== undefined) ports.management = ops.management;
      if (ops.prometheus !== undefined) ports.prometheus = ops.prometheus;
    }
    const managementTls = options.managementTls ?? false;
    if (managementTls !== false) {
      // HTTPS management beside (or instead of) HTTP, as RabbitMQ's management.ssl.*
      const { startOperatorListeners } = await import("../management/listeners.js");
      const https = await bind("management over TLS", "management.ssl.port", managementTls.port, () =>
        startOperatorListeners(
          {
            core,
            log,
            dataDir,
            resources: monitor,
            productVersion: PRODUCT_VERSION,
            ports,
            ...(leader?.cluster && { cluster: leader.cluster }),
          },
          {
            management: {
              port: managementTls.port,
              host: managementTls.host ?? options.host,
              tls: tlsFor(managementTls.tls, "management.ssl.port"),
            },
            prometheus: false,
          },
        ),
      );
      closers.unshift(() => https.close());
      ports.managementTls = https.management;
    }
  } catch (err) {
    monitor.stop();
    await Promise.all(closers.map((c) => c()));
    replication?.close();
    await persistence.close();
    closeLogFile();
    throw err;
  }

  let closed = false;
  return {
    ports,
    core,
    dataDir,
    log,
    persistence,
    resources: monitor,
    connectionCount: () => counters.reduce((n, c) => n + c(), 0),
    async close(how) {
      if (closed) return;
      closed = true;
      handover = how?.handover === true;
      monitor.stop();
      core.stopTimers();
      await Promise.all(closers.map((c) => c()));
      if (replication !== undefined) {
        // the clients are gone: what they published last reaches the followers before replication
        // stops (bounded: followers that are down cannot hold a shutdown up)
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([persistence.commit.drain(), new Promise<void>((resolve) => (timer = setTimeout(resolve, HANDOVER_DRAIN_MS)))]);
        clearTimeout(timer);
      }
      replication?.close();
      await persistence.close();
      if (tempDir) await promisify(rm)(dataDir, { recursive: true, force: true });
      log.flush?.();
      closeLogFile();
    },
  };
}
