import { describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { startBroker } from "warren";
import { ConfigError, parseBytes, parseConf, resolveStartOptions, settingsFromEnv, settingsToOptions } from "../../src/server/config.js";
import { DEFAULT_PORTS } from "../../src/server/options.js";

const conf = (text: string) => settingsToOptions(parseConf(text, "rabbitmq.conf"));

describe("rabbitmq.conf parsing", () => {
  it("reads key = value lines, skipping comments and blank lines, trimming whitespace", () => {
    const s = parseConf(
      '# a comment\n\n  listeners.tcp.default   =  5673  # trailing\ndefault_user=admin\n\tdefault_pass = "p#ss word"\n',
      "f.conf",
    );
    expect(s.get("listeners.tcp.default")).toEqual({ value: "5673", source: "f.conf:3" });
    expect(s.get("default_user")?.value).toBe("admin");
    expect(s.get("default_pass")?.value).toBe("p#ss word");
  });

  it("names the file and line of a line that is not key = value", () => {
    expect(() => parseConf("heartbeat = 10\nthis is wrong\n", "/etc/w.conf")).toThrow('/etc/w.conf:2: expected "key = value"');
  });

  it("maps the keys migrated users have onto broker options", () => {
    const o = conf(`
listeners.tcp.default = 5673
mqtt.listeners.tcp.default = 127.0.0.1:1884
stomp.listeners.tcp.1 = 61615
web_mqtt.tcp.port = 15676
web_stomp.tcp.port = 15677
management.tcp.port = 15673
default_user = admin
default_pass = secret
default_vhost = prod
loopback_users.guest = false
vm_memory_high_watermark.relative = 0.6
disk_free_limit.absolute = 1GB
max_message_size = 1048576
heartbeat = 30
frame_max = 8192
channel_max = 100
listeners.ssl.default = 5671
mqtt.listeners.ssl.default = 8883
stomp.listeners.ssl.1 = 61614
ssl_options.cacertfile = /certs/ca.pem
ssl_options.certfile = /certs/server.pem
ssl_options.keyfile = /certs/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true
ssl_options.versions.1 = tlsv1.3
ssl_options.versions.2 = tlsv1.2
ssl_options.ciphers.1 = TLS_AES_256_GCM_SHA384
ssl_options.ciphers.2 = ECDHE-RSA-AES256-GCM-SHA384
ssl_options.honor_cipher_order = true
management.ssl.port = 15671
management.ssl.certfile = /certs/mgmt.pem
management.ssl.versions.1 = tlsv1.2
load_definitions = /etc/warren/definitions.json
log.console.level = warning
`);
    expect(o).toMatchObject({
      amqp: { port: 5673 },
      mqtt: { port: 1884, host: "127.0.0.1" },
      stomp: { port: 61615 },
      webMqtt: { port: 15676 },
      webStomp: { port: 15677 },
      defaultUser: "admin",
      defaultPass: "secret",
      defaultVhost: "prod",
      loopbackUsers: [],
      memoryHighWatermark: 0.6,
      diskFreeLimit: 1_000_000_000,
      maxMessageSize: 1048576,
      heartbeat: 30,
      frameMax: 8192,
      channelMax: 100,
      amqpTls: { port: 5671 },
      mqttTls: { port: 8883 },
      stompTls: { port: 61614 },
      tls: {
        cacertfile: "/certs/ca.pem",
        certfile: "/certs/server.pem",
        keyfile: "/certs/server.key",
        verify: "verify_peer",
        failIfNoPeerCert: true,
        versions: ["tlsv1.3", "tlsv1.2"],
        ciphers: ["TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"],
        honorCipherOrder: true,
      },
      managementTls: { port: 15671, tls: { certfile: "/certs/mgmt.pem", versions: ["tlsv1.2"] } },
      loadDefinitions: "/etc/warren/definitions.json",
      logLevel: "warn",
    });
    expect((o as Record<string, unknown>).management).toEqual({ port: 15673 });
  });

  it("amqp1_0.default_user names the AMQP 1.0 anonymous user (none: no anonymous logins); web_amqp10 its WebSocket listener", () => {
    expect(conf("amqp1_0.default_user = anon\n")).toMatchObject({ amqp10DefaultUser: "anon" });
    expect(conf("amqp1_0.default_user = none\n")).toMatchObject({ amqp10DefaultUser: null });
    expect(conf("web_amqp10.tcp.port = 15678\nweb_amqp10.tcp.ip = 127.0.0.1\n")).toMatchObject({
      webAmqp10: { port: 15678, host: "127.0.0.1" },
    });
  });

  it("ssl_cert_login_from picks what names an EXTERNAL login's user: distinguished_name or common_name", () => {
    expect(conf("ssl_cert_login_from = common_name\n")).toMatchObject({ sslCertLoginFrom: "common_name" });
    expect(conf("ssl_cert_login_from = distinguished_name\n")).toMatchObject({ sslCertLoginFrom: "distinguished_name" });
    expect(() => conf("ssl_cert_login_from = subject_alternative_name\n")).toThrow(/expected distinguished_name or common_name/);
  });

  it("log.file and log.file.level add a log file; log.file = false turns it off", () => {
    expect(conf("log.file = /var/log/warren/warren.log\nlog.file.level = debug")).toMatchObject({
      logFile: "/var/log/warren/warren.log",
      logFileLevel: "debug",
    });
    expect(conf("log.file = /var/log/warren/warren.log\nlog.file = false")).not.toHaveProperty("logFile");
  });

  it("reads the handshake timeouts in ms (handshake_timeout, mqtt/stomp.login_timeout, ssl_handshake_timeout)", () => {
    expect(
      conf("handshake_timeout = 2000\nmqtt.login_timeout = 3000\nstomp.login_timeout = 0\nssl_handshake_timeout = 4000"),
    ).toMatchObject({
      handshakeTimeout: 2000,
      mqttLoginTimeout: 3000,
      stompLoginTimeout: 0,
      sslHandshakeTimeout: 4000,
    });
    expect(() => conf("handshake_timeout = soon")).toThrow(/handshake_timeout/);
  });

  it("reads sizes with RabbitMQ's units", () => {
    expect(parseBytes("50MB")).toBe(50_000_000);
    expect(parseBytes("1GB")).toBe(1_000_000_000);
    expect(parseBytes("512MiB")).toBe(512 * 1024 * 1024);
    expect(parseBytes("2G")).toBe(2 * 1024 ** 3);
    expect(parseBytes("1000")).toBe(1000);
    expect(parseBytes("12 parsecs")).toBeNull();
    expect(conf("vm_memory_high_watermark.absolute = 2GB")).toMatchObject({ memoryHighWatermarkBytes: 2_000_000_000 });
  });

  it("reads total_memory_available_override_value as a size", () => {
    expect(conf("total_memory_available_override_value = 2GB")).toMatchObject({ totalMemoryOverride: 2_000_000_000 });
    expect(conf("total_memory_available_override_value = 1073741824")).toMatchObject({ totalMemoryOverride: 1073741824 });
    expect(() => conf("total_memory_available_override_value = lots")).toThrow(/total_memory_available_override_value/);
  });

  it("reads prometheus.return_per_object_metrics", () => {
    expect(conf("prometheus.return_per_object_metrics = true")).toMatchObject({ prometheusPerObject: true });
    expect(conf("prometheus.return_per_object_metrics = false")).toMatchObject({ prometheusPerObject: false });
  });

  it("reads openwire.dead_letter_strategy: shared or individual", () => {
    expect(conf("openwire.dead_letter_strategy = individual")).toMatchObject({ openwireDeadLetterStrategy: "individual" });
    expect(conf("openwire.dead_letter_strategy = shared")).toMatchObject({ openwireDeadLetterStrategy: "shared" });
    expect(() => conf("openwire.dead_letter_strategy = each")).toThrow(
      'openwire.dead_letter_strategy = "each" (rabbitmq.conf:1): expected shared or individual',
    );
  });

  it("reads openwire.tight_encoding and openwire.cache: what the OpenWire listener offers", () => {
    expect(conf("openwire.tight_encoding = true\nopenwire.cache = true")).toMatchObject({
      openwireTightEncoding: true,
      openwireCache: true,
    });
    expect(conf("openwire.tight_encoding = false")).toMatchObject({ openwireTightEncoding: false });
    expect(() => conf("openwire.cache = yes")).toThrow('openwire.cache = "yes" (rabbitmq.conf:1): expected true or false');
  });

  it("accepts both forms of lifting guest's loopback restriction", () => {
    expect(conf("loopback_users = none").loopbackUsers).toEqual([]);
    expect(conf("loopback_users.guest = false").loopbackUsers).toEqual([]);
    expect(conf("loopback_users.admin = true").loopbackUsers).toEqual(["guest", "admin"]);
  });

  it("turns AMQP off with listeners.tcp = none", () => {
    expect(conf("listeners.tcp = none").amqp).toBe(false);
    expect(conf("listeners.tcp.default = none").amqp).toBe(false);
  });

  it("rejects bad values naming the key, where it was set and what was expected", () => {
    const bad = () =>
      conf(
        "heartbeat = often\nlisteners.tcp.default = 99999\ndisk_free_limit.absolute = lots\nssl_options.verify = maybe\nlog.console.level = loud\nssl_options.versions.1 = sslv3\n",
      );
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow('heartbeat = "often" (rabbitmq.conf:1): expected an integer 0-65535');
    expect(bad).toThrow(
      'listeners.tcp.default = "99999" (rabbitmq.conf:2): expected a port (5672), "host:port" (127.0.0.1:5672) or "none"',
    );
    expect(bad).toThrow('disk_free_limit.absolute = "lots" (rabbitmq.conf:3): expected a size in bytes');
    expect(bad).toThrow('ssl_options.verify = "maybe" (rabbitmq.conf:4): expected verify_peer or verify_none');
    expect(bad).toThrow('ssl_options.versions.1 = "sslv3" (rabbitmq.conf:6): expected tlsv1.3, tlsv1.2, tlsv1.1 or tlsv1');
    expect(bad).toThrow('log.console.level = "loud" (rabbitmq.conf:5): expected debug, info, warning, error, critical or none');
  });

  it("accepts RabbitMQ keys Warren does not use with a one-line warning each", () => {
    const warnings: string[] = [];
    const o = settingsToOptions(
      parseConf(
        "heartbeat = 5\ncluster_name = x\ncluster_formation.peer_discovery_backend = classic_config\nlisteners.tcp.other = 5674\nstomp.listeners.tcp.2 = 61614\n",
        "r.conf",
      ),
      (m) => warnings.push(m),
    );
    expect(o.heartbeat).toBe(5);
    expect(warnings).toEqual([
      'configuration key "cluster_name" (r.conf:2) is RabbitMQ\'s; Warren does not use it, ignored',
      'configuration key "cluster_formation.peer_discovery_backend" (r.conf:3) is RabbitMQ\'s; Warren does not use it, ignored',
      'configuration key "listeners.tcp.other" (r.conf:4) is RabbitMQ\'s; Warren does not use it, ignored',
      'configuration key "stomp.listeners.tcp.2" (r.conf:5) is RabbitMQ\'s; Warren does not use it, ignored',
    ]);
  });

  it("an unknown or misspelt key stops start-up naming file, line and the nearest known key", () => {
    const text = "heartbeat = 5\nlistners.tcp.default = 5673\nlisteners.tcp.defualt = 5674\nfancy.thing = 1\n";
    const bad = () => settingsToOptions(parseConf(text, "/etc/rabbitmq/rabbitmq.conf"));
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(
      '/etc/rabbitmq/rabbitmq.conf:2: unknown configuration key "listners.tcp.default" (did you mean "listeners.tcp.default"?)',
    );
    // a wildcard RabbitMQ key (listeners.tcp.<name>) a letter or two from a real one is a typo too
    expect(bad).toThrow(
      '/etc/rabbitmq/rabbitmq.conf:3: unknown configuration key "listeners.tcp.defualt" (did you mean "listeners.tcp.default"?)',
    );
    expect(bad).toThrow('/etc/rabbitmq/rabbitmq.conf:4: unknown configuration key "fancy.thing"\n');
    expect(bad).toThrow("set WARREN_CONFIG_LENIENT=true or pass --lenient-config");
  });

  it("lenient: unknown keys are warned about once each, and start-up carries on", async () => {
    const warnings: string[] = [];
    const o = settingsToOptions(parseConf("heartbeat = 5\nlistners.tcp.default = 1\n", "r.conf"), (m) => warnings.push(m), {
      lenient: true,
    });
    expect(o.heartbeat).toBe(5);
    expect(warnings).toEqual([
      'unknown configuration key "listners.tcp.default" (r.conf:2) ignored (did you mean "listeners.tcp.default"?)',
    ]);
    const dir = await mkdtemp(join(tmpdir(), "warren-conf-"));
    try {
      const file = join(dir, "rabbitmq.conf");
      await writeFile(file, "hearbeat = 10\n");
      expect(() => resolveStartOptions({ config: file }, {})).toThrow(
        `${file}:1: unknown configuration key "hearbeat" (did you mean "heartbeat"?)`,
      );
      expect(resolveStartOptions({ config: file }, { WARREN_CONFIG_LENIENT: "true" }).warnings).toEqual([
        `unknown configuration key "hearbeat" (${file}:1) ignored (did you mean "heartbeat"?)`,
      ]);
      expect(resolveStartOptions({ config: file, lenientConfig: true }, {}).warnings).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("management.load_definitions names the management plugin's file beside load_definitions; definitions.local.path is load_definitions", () => {
    expect(conf("management.load_definitions = /etc/rabbitmq/defs.json\n").managementLoadDefinitions).toBe("/etc/rabbitmq/defs.json");
    expect(conf("load_definitions = /a.json\nmanagement.load_definitions = /b.json\n")).toMatchObject({
      loadDefinitions: "/a.json",
      managementLoadDefinitions: "/b.json",
    });
    expect(conf("definitions.import_backend = local_filesystem\ndefinitions.local.path = /defs\n").loadDefinitions).toBe("/defs");
    expect(() => conf("definitions.import_backend = https\n")).toThrow("expected local_filesystem");
  });
});

describe("precedence: flags > environment > file > defaults", () => {
  it("with nothing given, `warren` starts every plain listener on its default port", () => {
    const { options } = resolveStartOptions({}, {});
    for (const [name, port] of Object.entries(DEFAULT_PORTS)) {
      expect(options[name as keyof typeof DEFAULT_PORTS], name).toEqual({ port });
    }
  });

  it("layers the sources and names the source of a bad value", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-conf-"));
    try {
      const file = join(dir, "rabbitmq.conf");
      await writeFile(
        file,
        "listeners.tcp.default = 6000\nmqtt.listeners.tcp.default = 6001\nstomp.listeners.tcp.1 = 6002\ndefault_user = fromfile\n",
      );
      const env = { WARREN_MQTT_PORT: "7001", RABBITMQ_NODE_PORT: "7000", WARREN_AMQP_PORT: "7100", RABBITMQ_DEFAULT_USER: "fromenv" };
      const { options } = resolveStartOptions({ config: file, amqpPort: "8000", dataDir: dir }, env);
      expect(options.amqp).toEqual({ port: 8000 }); // flag over env over file
      expect(options.mqtt).toEqual({ port: 7001 }); // env over file
      expect(options.stomp).toEqual({ port: 6002 }); // file over default
      expect(options.webStomp).toEqual({ port: 15674 }); // default
      expect(options.defaultUser).toBe("fromenv");
      expect(options.logLevel).toBe("info");
      expect(resolveStartOptions({ config: file }, { WARREN_CONFIG_FILE: "/nope" }).options.amqp).toEqual({ port: 6000 });
      expect(resolveStartOptions({}, { RABBITMQ_CONFIG_FILE: file }).options.amqp).toEqual({ port: 6000 });
      expect(() => resolveStartOptions({ config: file }, { WARREN_STOMP_PORT: "x" })).toThrow(
        'stomp.listeners.tcp.1 = "x" (env WARREN_STOMP_PORT)',
      );
      expect(() => resolveStartOptions({ heartbeat: "-1" }, {})).toThrow('heartbeat = "-1" (--heartbeat): expected an integer 0-65535');
      expect(() => resolveStartOptions({ config: join(dir, "missing.conf") }, {})).toThrow("cannot be read");
      // "off" for a port-only key turns that listener off
      expect(resolveStartOptions({ webMqttPort: "off", amqpPort: "off" }, {}).options).toMatchObject({ webMqtt: false, amqp: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("every listener flag takes host:port, the port-only ones (web, management, Prometheus) included", () => {
    const { options } = resolveStartOptions(
      {
        webMqttPort: "127.0.0.1:15676",
        webStompPort: "[::1]:15677",
        managementPort: "0.0.0.0:15673",
        prometheusPort: "localhost:15693",
      },
      {},
    );
    expect(options).toMatchObject({
      webMqtt: { port: 15676, host: "127.0.0.1" },
      webStomp: { port: 15677, host: "::1" },
      management: { port: 15673, host: "0.0.0.0" },
      prometheus: { port: 15693, host: "localhost" },
    });
    // the environment too; a flag's address wins over the file's and the environment's
    expect(resolveStartOptions({}, { WARREN_MANAGEMENT_PORT: "127.0.0.2:15680" }).options.management).toEqual({
      port: 15680,
      host: "127.0.0.2",
    });
    expect(
      resolveStartOptions({ managementPort: "127.0.0.3:15681" }, { WARREN_MANAGEMENT_PORT: "127.0.0.2:15680" }).options.management,
    ).toEqual({ port: 15681, host: "127.0.0.3" });
    expect(resolveStartOptions({ managementPort: "15682" }, {}).options.management).toEqual({ port: 15682 });
    expect(() => resolveStartOptions({ prometheusPort: "host:99999" }, {})).toThrow(
      'prometheus.tcp.port = "host:99999" (--prometheus-port)',
    );
  });

  it("WARREN_* wins over RABBITMQ_* in the environment", () => {
    expect(settingsFromEnv({ RABBITMQ_NODE_PORT: "1", WARREN_AMQP_PORT: "2" }).get("listeners.tcp.default")?.value).toBe("2");
  });

  it("a broker started from a config file listens and logs in as it says", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-conf-"));
    try {
      const file = join(dir, "rabbitmq.conf");
      await writeFile(
        file,
        "listeners.tcp.default = 127.0.0.1:0\nmqtt.listeners.tcp.default = none\nstomp.listeners.tcp.1 = none\nweb_mqtt.tcp.port = off\nweb_stomp.tcp.port = off\nmanagement.tcp.port = off\nprometheus.tcp.port = off\nopenwire.listeners.tcp.default = none\ndefault_user = admin\ndefault_pass = s3cret\ndefault_vhost = prod\nlog.console.level = none\n",
      );
      const { options } = resolveStartOptions({ config: file, dataDir: join(dir, "data") }, {});
      const broker = await startBroker(options);
      try {
        expect(Object.keys(broker.ports)).toEqual(["amqp"]);
        const c = await amqp.connect(`amqp://admin:s3cret@127.0.0.1:${broker.ports.amqp}/prod`);
        await c.close();
        await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}/prod`)).rejects.toThrow(/ACCESS_REFUSED/);
      } finally {
        await broker.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("load_definitions imports a definitions file at start instead of seeding guest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-conf-"));
    try {
      const defs = join(dir, "defs.json");
      // the hash is RabbitMQ's sha256 scheme for password "pw" with salt 00000000
      const { createHash } = await import("node:crypto");
      const salt = Buffer.alloc(4);
      const hash = Buffer.concat([
        salt,
        createHash("sha256")
          .update(Buffer.concat([salt, Buffer.from("pw")]))
          .digest(),
      ]).toString("base64");
      await writeFile(
        defs,
        JSON.stringify({
          users: [{ name: "app", password_hash: hash, hashing_algorithm: "rabbit_password_hashing_sha256", tags: "" }],
          vhosts: [{ name: "v1" }],
          permissions: [{ user: "app", vhost: "v1", configure: ".*", write: ".*", read: ".*" }],
          queues: [{ name: "orders", vhost: "v1", durable: true, auto_delete: false, arguments: {} }],
          exchanges: [],
          bindings: [],
        }),
      );
      const broker = await startBroker({ amqp: { port: 0 }, dataDir: join(dir, "data"), loadDefinitions: defs });
      try {
        const c = await amqp.connect(`amqp://app:pw@127.0.0.1:${broker.ports.amqp}/v1`);
        const ch = await c.createChannel();
        expect((await ch.checkQueue("orders")).queue).toBe("orders");
        await c.close();
        expect(broker.core.users.get("guest")).toBeUndefined();
      } finally {
        await broker.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("cluster settings", () => {
  it("cluster.* keys and the --cluster-etcd, --node-name, --replication-port flags set the cluster options", () => {
    expect(
      conf(
        "cluster.etcd = http://h1:2379,http://h2:2379\ncluster.node_name = n1\ncluster.replication_port = 25800\ncluster.lease_ttl = 3\n",
      ).cluster,
    ).toEqual({
      etcd: ["http://h1:2379", "http://h2:2379"],
      nodeName: "n1",
      replicationPort: 25800,
      leaseTtl: 3,
    });
    const { options } = resolveStartOptions({ clusterEtcd: "http://127.0.0.1:2379", nodeName: "n2", replicationPort: "25701" }, {});
    expect(options.cluster).toEqual({ etcd: ["http://127.0.0.1:2379"], nodeName: "n2", replicationPort: 25701 });
  });

  it("only etcd is required: the node name defaults to the host name, the port to 25700; no key, no cluster", async () => {
    const { hostname } = await import("node:os");
    expect(conf("cluster.etcd = http://e:2379\n").cluster).toEqual({
      etcd: ["http://e:2379"],
      nodeName: hostname(),
      replicationPort: 25700,
    });
    expect(conf("heartbeat = 5\n").cluster).toBeUndefined();
  });

  it("refuses what is not a cluster setting, naming key, source and expectation", () => {
    expect(() => conf("cluster.etcd = h1:2379\n")).toThrow(
      'cluster.etcd = "h1:2379" (rabbitmq.conf:1): expected comma-separated etcd URLs, e.g. http://h1:2379,http://h2:2379',
    );
    expect(() => resolveStartOptions({ clusterEtcd: "http://e:2379", replicationPort: "x" }, {})).toThrow(
      'cluster.replication_port = "x" (--replication-port): expected a port number 0-65535',
    );
    expect(() => conf("cluster.node_name = n1\n")).toThrow(
      "cluster.node_name, cluster.replication_port and cluster.lease_ttl need cluster.etcd",
    );
  });

  it("startBroker refuses cluster options: a node leads only once etcd elects it", async () => {
    await expect(
      startBroker({ amqp: false, logLevel: "silent", cluster: { etcd: ["http://e:2379"], nodeName: "n1", replicationPort: 0 } }),
    ).rejects.toThrow("cluster options are for startClusterNode");
  });
});
