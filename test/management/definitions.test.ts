import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqplib from "amqplib";
import { startBroker, type RunningBroker } from "warren";
import { resolveStartOptions } from "../../src/server/config.js";
import { api, startWithManagement } from "./helpers.js";

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}
function capture(): { write(s: string): void; lines: Line[] } {
  const lines: Line[] = [];
  return { write: (s: string) => void lines.push(JSON.parse(s) as Line), lines };
}

/** RabbitMQ's stored format: base64(4-byte salt ‖ digest(salt ‖ password)). */
function rabbitHash(digest: "sha256" | "sha512" | "md5", password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([
    salt,
    createHash(digest)
      .update(Buffer.concat([salt, Buffer.from(password)]))
      .digest(),
  ]).toString("base64");
}

const fixture = async (name: string) =>
  JSON.parse(await readFile(join(import.meta.dirname, "..", "fixtures", name), "utf8")) as Record<string, unknown>;

async function canLogIn(broker: RunningBroker, user: string, password: string, vhost = "/"): Promise<boolean> {
  try {
    const c = await amqplib.connect(`amqp://${user}:${password}@127.0.0.1:${broker.ports.amqp}/${encodeURIComponent(vhost)}`);
    await c.close();
    return true;
  } catch {
    return false;
  }
}

describe("importing RabbitMQ's definitions", () => {
  it("a real RabbitMQ 3.10 export (users hashed with sha256, sha512 and md5) imports, and every user logs in", async () => {
    // exported from RabbitMQ 3.10.8 (GET /api/definitions) after creating users with each algorithm
    const d = await fixture("rabbitmq-3.10-http-export.json");
    const log = capture();
    const broker = await startWithManagement({ logLevel: "info", logDestination: log });
    try {
      const r = await api(broker, "POST", "/api/definitions?report=true", d);
      expect(r.status).toBe(200);
      expect(r.json.refused).toEqual([]);
      expect(r.json.imported).toMatchObject({
        users: 7,
        vhosts: 4,
        permissions: 8,
        topic_permissions: 1,
        parameters: 2,
        global_parameters: 4,
        policies: 1,
        queues: 1,
        exchanges: 1,
        bindings: 1,
      });
      // vhost limits are enforced, so importing them warns of nothing
      expect(r.json.warnings.filter((w: string) => w.includes("vhost-limits"))).toEqual([]);
      expect(r.json.warnings).toContain("global parameter 'mykey' is kept and exported, Warren does not act on it");
      // one log line says what happened
      const line = log.lines.filter((l) => l.msg.startsWith("definitions imported: imported 7 users, 4 vhosts"));
      expect(line).toHaveLength(1);
      expect(line[0]!.msg).toContain("1 topic permissions");
      for (const [user, password] of [
        ["u256", "pw256"],
        ["u512", "pw512"],
        ["umd5", "pwmd5"],
        ["alice", "alicepw"],
      ] as const) {
        expect(await canLogIn(broker, user, password), user).toBe(true);
        expect(await canLogIn(broker, user, `${password}x`), `${user} wrong password`).toBe(false);
      }
      expect(await canLogIn(broker, "u512", "pw512", "v2")).toBe(true);
      // and it comes back out as it went in
      const out = (await api(broker, "GET", "/api/definitions")).json;
      expect(out.users).toContainEqual(expect.objectContaining({ name: "u512", hashing_algorithm: "rabbit_password_hashing_sha512" }));
      expect(out.users).toContainEqual(expect.objectContaining({ name: "umd5", hashing_algorithm: "rabbit_password_hashing_md5" }));
      expect(out.parameters).toEqual(expect.arrayContaining((d.parameters as unknown[]).map((p) => expect.objectContaining(p as object))));
      expect(out.global_parameters).toEqual(expect.arrayContaining(d.global_parameters as unknown[]));
      expect(out.topic_permissions).toEqual(d.topic_permissions);
      expect((await api(broker, "GET", "/api/users/u512")).json.hashing_algorithm).toBe("rabbit_password_hashing_sha512");
      expect((await api(broker, "GET", "/api/overview")).json.cluster_name).toBe("imported-cluster");
    } finally {
      await broker.close();
    }
  });

  it("a richer 3.10.8 export (federation, shovel, operator policy, limits, global parameters) goes in whole and comes back out the same", async () => {
    // GET /api/definitions of a 3.10.8 node with rabbitmq_federation and rabbitmq_shovel on, users
    // imported there with each hashing algorithm (test/fixtures/rabbitmq-3.10-rich-http-export.json)
    const d = await fixture("rabbitmq-3.10-rich-http-export.json");
    const broker = await startWithManagement();
    try {
      const r = await api(broker, "POST", "/api/definitions?report=true", d);
      expect(r.status).toBe(200);
      expect(r.json.refused).toEqual([]);
      expect(r.json.imported).toMatchObject({
        users: 4,
        vhosts: 3,
        permissions: 6,
        topic_permissions: 1,
        parameters: 6,
        global_parameters: 3,
      });
      expect(r.json.warnings).toEqual([
        "parameter federation-upstream/eu-origin in vhost 'prod': federation is not implemented: the upstream is kept and exported, not connected to",
        "parameter shovel/archive in vhost 'prod': shovels are not implemented: the shovel is kept and exported, not started",
        "parameter federation-upstream-set/all-origins in vhost 'prod': federation is not implemented: the upstream set is kept and exported, not used",
        "global parameter 'ops_contact' is kept and exported, Warren does not act on it",
      ]);
      expect(await canLogIn(broker, "fix512", "pw512", "prod")).toBe(true);
      expect(await canLogIn(broker, "fixmd5", "pwmd5", "prod")).toBe(true);
      expect(await canLogIn(broker, "fix256", "pw256", "prod")).toBe(true);
      // the operator policy RabbitMQ exported as a parameter is an operator policy here
      expect((await api(broker, "GET", "/api/operator-policies/prod/cap")).json).toMatchObject({
        pattern: "^",
        "apply-to": "queues",
        definition: { "max-length-bytes": 100000000 },
      });
      expect((await api(broker, "GET", "/api/vhost-limits/stage")).json).toEqual([{ vhost: "stage", value: { "max-queues": 10 } }]);
      const out = (await api(broker, "GET", "/api/definitions")).json;
      const byKey = (xs: { vhost?: string; component?: string; name: string }[]) =>
        xs.slice().sort((a, b) => `${a.vhost}/${a.component}/${a.name}`.localeCompare(`${b.vhost}/${b.component}/${b.name}`));
      expect(byKey(out.parameters)).toEqual(byKey(d.parameters as never));
      expect(byKey(out.global_parameters)).toEqual(byKey(d.global_parameters as never));
      for (const k of ["policies", "topic_permissions", "queues", "exchanges", "bindings"]) expect(out[k], k).toEqual(d[k]);
      // users keep their hashes and algorithms
      type UserJson = { name: string; hashing_algorithm: string; password_hash: string };
      const hashes = (us: UserJson[]) => us.map((u) => [u.name, u.hashing_algorithm, u.password_hash]).sort();
      expect(hashes(out.users)).toEqual(hashes(d.users as UserJson[]));
    } finally {
      await broker.close();
    }
  });

  it("rabbitmqctl's richer export: vhost metadata and limits (as [name, value] pairs), proplist global values", async () => {
    const d = await fixture("rabbitmq-3.10-rich-ctl-export.json");
    const broker = await startWithManagement();
    try {
      const r = await api(broker, "POST", "/api/definitions?report=true", d);
      expect(r.status).toBe(200);
      expect(r.json.refused).toEqual([]);
      expect((await api(broker, "GET", "/api/vhost-limits/prod")).json).toEqual([
        { vhost: "prod", value: { "max-connections": 100, "max-queues": 500 } },
      ]);
      const out = (await api(broker, "GET", "/api/definitions")).json;
      expect(out.vhosts).toContainEqual({
        name: "prod",
        metadata: { description: "production traffic", tags: ["prod", "eu"], default_queue_type: "quorum" },
      });
      expect(out.global_parameters).toContainEqual({
        name: "ops_contact",
        value: [
          ["pager", true],
          ["team", "queues"],
        ],
      });
    } finally {
      await broker.close();
    }
  });

  it("rabbitmqctl's export keeps vhost metadata and limits; they are shown and exported again", async () => {
    const d = await fixture("rabbitmq-3.10-ctl-export.json");
    const broker = await startWithManagement();
    try {
      const r = await api(broker, "POST", "/api/definitions?report=true", d);
      expect(r.status).toBe(200);
      expect(r.json.warnings).toContain(
        "vhost 'meta': default_queue_type quorum is kept and exported, but queues declared there without x-queue-type are classic",
      );
      const meta = (await api(broker, "GET", "/api/vhosts")).json.find((v: { name: string }) => v.name === "meta");
      expect(meta).toMatchObject({
        description: "my desc",
        tags: ["t1", "t2"],
        default_queue_type: "quorum",
        metadata: { description: "my desc", tags: ["t1", "t2"], default_queue_type: "quorum" },
      });
      const out = (await api(broker, "GET", "/api/definitions")).json;
      expect(out.vhosts).toContainEqual({
        name: "meta",
        metadata: { description: "my desc", tags: ["t1", "t2"], default_queue_type: "quorum" },
      });
      expect(out.parameters).toContainEqual({
        vhost: "meta",
        component: "vhost-limits",
        name: "limits",
        value: { "max-connections": 10, "max-queues": 5 },
      });
    } finally {
      await broker.close();
    }
  });

  it("PUT /api/vhosts takes description, tags and default_queue_type, shown and exported", async () => {
    const broker = await startWithManagement();
    try {
      expect((await api(broker, "PUT", "/api/vhosts/putv", { description: "d1", tags: "a,b", default_queue_type: "quorum" })).status).toBe(
        201,
      );
      // RabbitMQ 3.10.8 keeps description and tags but drops default_queue_type here (shows "undefined"); Warren keeps it
      const v = (await api(broker, "GET", "/api/vhosts")).json.find((x: { name: string }) => x.name === "putv");
      expect(v).toMatchObject({
        name: "putv",
        description: "d1",
        tags: ["a", "b"],
        default_queue_type: "quorum",
        metadata: { description: "d1", tags: ["a", "b"], default_queue_type: "quorum" },
      });
      expect((await api(broker, "GET", "/api/definitions")).json.vhosts).toContainEqual({
        name: "putv",
        metadata: { description: "d1", tags: ["a", "b"], default_queue_type: "quorum" },
      });
    } finally {
      await broker.close();
    }
  });

  it("federation upstreams and shovels are kept and exported with a warning that Warren does not act on them", async () => {
    const broker = await startWithManagement();
    try {
      const parameters = [
        { vhost: "/", component: "federation-upstream", name: "up1", value: { uri: "amqp://remote", expires: 3600000 } },
        {
          vhost: "/",
          component: "shovel",
          name: "sh1",
          value: { "src-uri": "amqp://a", "src-queue": "q", "dest-uri": "amqp://b", "dest-queue": "q" },
        },
      ];
      const r = await api(broker, "POST", "/api/definitions?report=true", { parameters });
      expect(r.status).toBe(200);
      expect(r.json.imported.parameters).toBe(2);
      expect(r.json.warnings).toEqual([
        "parameter federation-upstream/up1 in vhost '/': federation is not implemented: the upstream is kept and exported, not connected to",
        "parameter shovel/sh1 in vhost '/': shovels are not implemented: the shovel is kept and exported, not started",
      ]);
      expect((await api(broker, "GET", "/api/definitions")).json.parameters).toEqual(parameters);
      expect((await api(broker, "GET", "/api/definitions/%2F")).json.parameters).toEqual(parameters.map(({ vhost: _v, ...p }) => p));
    } finally {
      await broker.close();
    }
  });

  it("refuses loudly, changing nothing: an unknown hashing algorithm, a hash of the wrong size, an unknown component, a missing vhost", async () => {
    const log = capture();
    const broker = await startWithManagement({ logLevel: "info", logDestination: log });
    try {
      const r = await api(broker, "POST", "/api/definitions?report=true", {
        users: [
          { name: "ok-user", password_hash: rabbitHash("sha256", "pw"), hashing_algorithm: "rabbit_password_hashing_sha256", tags: [] },
          { name: "bcrypt-user", password_hash: rabbitHash("sha256", "pw"), hashing_algorithm: "rabbit_password_hashing_bcrypt", tags: [] },
          { name: "mislabelled", password_hash: rabbitHash("sha512", "pw"), hashing_algorithm: "rabbit_password_hashing_sha256", tags: [] },
        ],
        parameters: [{ vhost: "/", component: "mystery", name: "m", value: {} }],
        queues: [{ name: "q", vhost: "nowhere", durable: true, auto_delete: false, arguments: {} }],
      });
      expect(r.status).toBe(400);
      expect(r.json.error).toBe("bad_request");
      expect(r.json.refused).toEqual([
        "user 'bcrypt-user': unsupported hashing_algorithm \"rabbit_password_hashing_bcrypt\" (Warren supports rabbit_password_hashing_sha256, rabbit_password_hashing_sha512, rabbit_password_hashing_md5)",
        "user 'mislabelled': password_hash is 68 bytes, a rabbit_password_hashing_sha256 hash is 36 (4-byte salt and the digest)",
        "parameter mystery/m in vhost '/': Validation failed: component mystery not found",
        "queue 'q' in vhost 'nowhere': no_such_vhost 'nowhere'",
      ]);
      expect(r.json.reason).toBe(r.json.refused.join("\n"));
      expect(r.json.imported.users).toBe(0);
      expect((await api(broker, "GET", "/api/users/ok-user")).status).toBe(404);
      expect(
        log.lines.filter((l) => l.msg.startsWith("definitions refused: imported nothing; refused 4: user 'bcrypt-user'")),
      ).toHaveLength(1);
    } finally {
      await broker.close();
    }
  });

  it("PUT /api/users takes a sha512 or md5 hash with its algorithm, and refuses an unknown one", async () => {
    const broker = await startWithManagement();
    try {
      const put = (name: string, body: object) => api(broker, "PUT", `/api/users/${name}`, { tags: "", ...body });
      expect(
        (await put("h512", { password_hash: rabbitHash("sha512", "s"), hashing_algorithm: "rabbit_password_hashing_sha512" })).status,
      ).toBe(201);
      expect((await put("hmd5", { password_hash: rabbitHash("md5", "m"), hashing_algorithm: "rabbit_password_hashing_md5" })).status).toBe(
        201,
      );
      for (const u of ["h512", "hmd5"]) await api(broker, "PUT", `/api/permissions/%2F/${u}`, { configure: ".*", write: ".*", read: ".*" });
      expect(await canLogIn(broker, "h512", "s")).toBe(true);
      expect(await canLogIn(broker, "hmd5", "m")).toBe(true);
      const bad = await put("hx", { password_hash: rabbitHash("sha256", "x"), hashing_algorithm: "rabbit_password_hashing_sha1" });
      expect(bad.status).toBe(400);
      expect(bad.json.reason).toContain('unsupported hashing_algorithm "rabbit_password_hashing_sha1"');
    } finally {
      await broker.close();
    }
  });
});

describe("definitions on disk and at start", () => {
  it("parameters, global parameters, vhost metadata and sha512 users survive a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-defs-"));
    try {
      const b1 = await startWithManagement({ dataDir: dir });
      expect((await api(b1, "POST", "/api/definitions", await fixture("rabbitmq-3.10-ctl-export.json"))).status).toBe(204);
      await b1.close();
      const b2 = await startWithManagement({ dataDir: dir });
      try {
        const out = (await api(b2, "GET", "/api/definitions")).json;
        expect(out.global_parameters).toContainEqual({ name: "cluster_name", value: "imported-cluster" });
        expect(out.parameters).toHaveLength(2);
        expect(out.vhosts).toContainEqual({ name: "v3", metadata: { description: "third", tags: ["c"], default_queue_type: "stream" } });
        expect(await canLogIn(b2, "u512", "pw512")).toBe(true);
        expect(await canLogIn(b2, "umd5", "pwmd5")).toBe(true);
      } finally {
        await b2.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("load_definitions logs what it imported; a file with a refusal stops the start naming it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-defs-"));
    try {
      const good = join(dir, "good.json");
      await writeFile(good, JSON.stringify(await fixture("rabbitmq-3.10-http-export.json")));
      const log = capture();
      const b = await startBroker({
        amqp: { port: 0 },
        dataDir: join(dir, "d1"),
        loadDefinitions: good,
        logLevel: "info",
        logDestination: log,
      });
      try {
        expect(log.lines.filter((l) => l.msg.startsWith(`definitions loaded from ${good}: imported 7 users`))).toHaveLength(1);
        expect(await canLogIn(b, "umd5", "pwmd5")).toBe(true);
      } finally {
        await b.close();
      }
      // a directory: every .json file in name order (as RabbitMQ's load_definitions takes one)
      const defsDir = join(dir, "defs.d");
      await (await import("node:fs/promises")).mkdir(defsDir);
      await writeFile(join(defsDir, "1-vhosts.json"), JSON.stringify({ vhosts: [{ name: "dv" }] }));
      await writeFile(
        join(defsDir, "2-queues.json"),
        JSON.stringify({ queues: [{ name: "dq", vhost: "dv", durable: true, auto_delete: false, arguments: {} }] }),
      );
      await writeFile(join(defsDir, "README.txt"), "not definitions");
      const bd = await startBroker({ amqp: { port: 0 }, dataDir: join(dir, "d3"), loadDefinitions: defsDir, logLevel: "silent" });
      try {
        const dv = bd.core.vhost("dv");
        expect("queues" in dv && dv.queues.has("dq")).toBe(true);
      } finally {
        await bd.close();
      }
      // rabbitmq.conf's load_definitions and management.load_definitions are both loaded, in that order
      await writeFile(join(dir, "core.json"), JSON.stringify({ vhosts: [{ name: "from-core" }] }));
      await writeFile(
        join(dir, "mgmt.json"),
        JSON.stringify({ queues: [{ name: "from-mgmt", vhost: "from-core", durable: true, auto_delete: false, arguments: {} }] }),
      );
      await writeFile(
        join(dir, "rabbitmq.conf"),
        `load_definitions = ${join(dir, "core.json")}\nmanagement.load_definitions = ${join(dir, "mgmt.json")}\n`,
      );
      const { loadDefinitions, managementLoadDefinitions } = resolveStartOptions({ config: join(dir, "rabbitmq.conf") }, {}).options;
      const both = await startBroker({
        ...(loadDefinitions !== undefined && { loadDefinitions }),
        ...(managementLoadDefinitions !== undefined && { managementLoadDefinitions }),
        amqp: { port: 0 },
        dataDir: join(dir, "d4"),
        logLevel: "silent",
      });
      try {
        const v = both.core.vhost("from-core");
        expect("queues" in v && v.queues.has("from-mgmt")).toBe(true);
      } finally {
        await both.close();
      }
      const bad = join(dir, "bad.json");
      await writeFile(
        bad,
        JSON.stringify({ users: [{ name: "x", password_hash: "", hashing_algorithm: "rabbit_password_hashing_scrypt", tags: [] }] }),
      );
      await expect(startBroker({ amqp: { port: 0 }, dataDir: join(dir, "d2"), loadDefinitions: bad, logLevel: "silent" })).rejects.toThrow(
        `load_definitions: ${bad}: definitions refused: user 'x': unsupported hashing_algorithm "rabbit_password_hashing_scrypt"`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
