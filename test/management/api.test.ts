import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp from "amqplib";
import mqtt from "mqtt";
import type { RunningBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { api, startWithManagement, until } from "./helpers.js";

let broker: RunningBroker;
let amqpUrl: string;

beforeAll(async () => {
  broker = await startWithManagement({ logLevel: "silent" });
  amqpUrl = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
});
afterAll(() => broker.close());

describe("authentication and user tags", () => {
  it("answers a request without credentials with a bare 401 and RabbitMQ's realm", async () => {
    const r = await api(broker, "GET", "/api/overview", undefined, null);
    expect(r.status).toBe(401);
    expect(r.text).toBe("");
    expect(r.headers.get("www-authenticate")).toBe('Basic realm="RabbitMQ Management"');
  });

  it("refuses a wrong password with Login failed", async () => {
    const r = await api(broker, "GET", "/api/overview", undefined, "guest:nope");
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: "not_authorized", reason: "Login failed" });
  });

  it("applies the management, monitoring and administrator tags as RabbitMQ does", async () => {
    expect((await api(broker, "PUT", "/api/users/plain", { password: "pw", tags: "" })).status).toBe(201);
    expect((await api(broker, "PUT", "/api/users/mgr", { password: "pw", tags: "management" })).status).toBe(201);
    expect((await api(broker, "PUT", "/api/users/mon", { password: "pw", tags: ["monitoring"] })).status).toBe(201);
    expect((await api(broker, "PUT", "/api/users/mgr", { password: "pw", tags: "management" })).status).toBe(204);
    await api(broker, "PUT", "/api/permissions/%2F/mgr", { configure: ".*", write: ".*", read: ".*" });

    expect((await api(broker, "GET", "/api/overview", undefined, "plain:pw")).json).toEqual({
      error: "not_authorised",
      reason: "Not management user",
    });
    expect((await api(broker, "GET", "/api/users", undefined, "mgr:pw")).json).toEqual({
      error: "not_authorised",
      reason: "Not administrator user",
    });
    expect((await api(broker, "GET", "/api/nodes", undefined, "mgr:pw")).json).toEqual({
      error: "not_authorised",
      reason: "Not monitor user",
    });
    expect((await api(broker, "GET", "/api/nodes", undefined, "mon:pw")).status).toBe(200);
    // ?memory=true adds the breakdown RabbitMQ's node page shows; the plain answer leaves it out
    const nodeName = (await api(broker, "GET", "/api/overview")).json.node as string;
    const plain = (await api(broker, "GET", `/api/nodes/${encodeURIComponent(nodeName)}`, undefined, "mon:pw")).json;
    expect(plain.memory).toBeUndefined();
    const detailed = (await api(broker, "GET", `/api/nodes/${encodeURIComponent(nodeName)}?memory=true`, undefined, "mon:pw")).json;
    expect(detailed.memory).toMatchObject({ strategy: "rss", total: { rss: expect.any(Number), allocated: expect.any(Number) } });
    expect(detailed.memory.heap_used).toBeGreaterThan(0);
    // monitoring users see no vhost's queues without permissions there
    const q = await api(broker, "GET", "/api/queues/%2F", undefined, "mon:pw");
    expect(q.status).toBe(401);
    expect(q.json.reason).toBe("User not authorised to access virtual host");
    expect((await api(broker, "GET", "/api/queues/%2F", undefined, "mgr:pw")).status).toBe(200);
    expect((await api(broker, "GET", "/api/whoami", undefined, "mgr:pw")).json).toEqual({ name: "mgr", tags: ["management"] });
  });
});

describe("permissions", () => {
  it("checks configure, write and read permissions on API actions as RabbitMQ's API does", async () => {
    await api(broker, "PUT", "/api/users/limited", { password: "pw", tags: "management" });
    await api(broker, "PUT", "/api/permissions/%2F/limited", { configure: "^ok", write: "^ok", read: "^ok" });
    await api(broker, "PUT", "/api/queues/%2F/theirs", {});
    const as = "limited:pw";
    expect((await api(broker, "PUT", "/api/queues/%2F/nope-q", {}, as)).json).toEqual({
      error: "not_authorised",
      reason: "Access refused.",
    });
    expect((await api(broker, "PUT", "/api/queues/%2F/ok-q", {}, as)).status).toBe(201);
    expect((await api(broker, "DELETE", "/api/queues/%2F/theirs", undefined, as)).json).toEqual({
      error: "not_authorised",
      reason: "Access refused.",
    });
    expect((await api(broker, "DELETE", "/api/queues/%2F/theirs/contents", undefined, as)).status).toBe(401);
    expect(
      (await api(broker, "POST", "/api/queues/%2F/theirs/get", { count: 1, ackmode: "ack_requeue_true", encoding: "auto" }, as)).json,
    ).toEqual({ error: "not_authorised", reason: "ACCESS_REFUSED - access to queue 'theirs' in vhost '/' refused for user 'limited'" });
    expect(
      (
        await api(
          broker,
          "POST",
          "/api/exchanges/%2F/amq.default/publish",
          { routing_key: "x", payload: "x", payload_encoding: "string", properties: {} },
          as,
        )
      ).json,
    ).toEqual({
      error: "bad_request",
      reason: "403 ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'limited'",
    });
    expect((await api(broker, "POST", "/api/bindings/%2F/e/amq.topic/q/ok-q", { routing_key: "a" }, as)).json).toEqual({
      error: "not_authorised",
      reason: "Access refused.",
    });
    expect((await api(broker, "PUT", "/api/exchanges/%2F/nope-x", { type: "direct" }, as)).status).toBe(401);
    expect((await api(broker, "DELETE", "/api/queues/%2F/ok-q", undefined, as)).status).toBe(204);
  });
});

describe("queues", () => {
  it("lists a queue declared over AMQP with its depth, and answers 404 in RabbitMQ's shape for a missing one", async () => {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createChannel();
    await ch.assertQueue("depth-q", { durable: true });
    for (let i = 0; i < 3; i++) ch.sendToQueue("depth-q", Buffer.from(`m${i}`));
    await until(async () => (await api(broker, "GET", "/api/queues/%2F/depth-q")).json?.messages === 3, 5000, "depth 3");
    const q = (await api(broker, "GET", "/api/queues/%2F/depth-q")).json;
    expect(q).toMatchObject({
      name: "depth-q",
      vhost: "/",
      durable: true,
      auto_delete: false,
      exclusive: false,
      messages_ready: 3,
      messages_unacknowledged: 0,
      type: "classic",
      state: "running",
    });
    expect(q.message_stats.publish).toBe(3);
    const list = (await api(broker, "GET", "/api/queues?columns=name,messages")).json as { name: string; messages: number }[];
    expect(list).toContainEqual({ name: "depth-q", messages: 3 });
    expect((await api(broker, "GET", "/api/queues/%2F/missing")).json).toEqual({ error: "Object Not Found", reason: "Not Found" });
    expect((await api(broker, "GET", "/api/queues/no-such-vhost")).status).toBe(404);
    await conn.close();
  });

  it("declares with PUT (201 then 204), refuses inequivalent redeclarations and amq. names", async () => {
    expect((await api(broker, "PUT", "/api/queues/%2F/put-q", { durable: "true", arguments: { "x-max-length": 5 } })).status).toBe(201);
    expect((await api(broker, "PUT", "/api/queues/%2F/put-q", { durable: true, arguments: { "x-max-length": 5 } })).status).toBe(204);
    const bad = await api(broker, "PUT", "/api/queues/%2F/put-q", { durable: false });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      error: "bad_request",
      reason: "inequivalent arg 'durable' for queue 'put-q' in vhost '/': received 'false' but current is 'true'",
    });
    expect((await api(broker, "PUT", "/api/queues/%2F/amq.mine", {})).json).toEqual({ error: "not_authorised", reason: "Access refused." });
    expect((await api(broker, "GET", "/api/queues/%2F/put-q")).json.arguments).toEqual({ "x-max-length": 5 });
  });

  it("publishes, gets with each ack mode, purges and deletes", async () => {
    await api(broker, "PUT", "/api/queues/%2F/get-q", {});
    const pub = await api(broker, "POST", "/api/exchanges/%2F/amq.default/publish", {
      routing_key: "get-q",
      payload: "hello",
      payload_encoding: "string",
      properties: { content_type: "text/plain", headers: { h: 1 }, delivery_mode: 2 },
    });
    expect(pub.json).toEqual({ routed: true });
    const unrouted = await api(broker, "POST", "/api/exchanges/%2F/amq.default/publish", {
      routing_key: "nowhere",
      payload: "x",
      payload_encoding: "string",
      properties: {},
    });
    expect(unrouted.json).toEqual({ routed: false });
    const missing = await api(broker, "POST", "/api/exchanges/%2F/amq.default/publish", { routing_key: "x", payload: "x" });
    expect(missing.json).toEqual({ error: "bad_request", reason: "[{key_missing,properties},{key_missing,payload_encoding}]" });

    const first = await api(broker, "POST", "/api/queues/%2F/get-q/get", { count: 5, ackmode: "ack_requeue_true", encoding: "auto" });
    expect(first.json).toEqual([
      {
        payload_bytes: 5,
        redelivered: false,
        exchange: "",
        routing_key: "get-q",
        message_count: 0,
        properties: { content_type: "text/plain", delivery_mode: 2, headers: { h: 1 } },
        payload: "hello",
        payload_encoding: "string",
      },
    ]);
    const again = await api(broker, "POST", "/api/queues/%2F/get-q/get", { count: 1, ackmode: "reject_requeue_true", encoding: "base64" });
    expect(again.json[0]).toMatchObject({
      redelivered: true,
      payload: Buffer.from("hello").toString("base64"),
      payload_encoding: "base64",
    });
    const taken = await api(broker, "POST", "/api/queues/%2F/get-q/get", { count: 1, ackmode: "ack_requeue_false", encoding: "auto" });
    expect(taken.json).toHaveLength(1);
    expect(
      (await api(broker, "POST", "/api/queues/%2F/get-q/get", { count: 1, ackmode: "ack_requeue_false", encoding: "auto" })).json,
    ).toEqual([]);

    for (let i = 0; i < 4; i++) {
      await api(broker, "POST", "/api/exchanges/%2F/amq.default/publish", {
        routing_key: "get-q",
        payload: "p",
        payload_encoding: "string",
        properties: {},
      });
    }
    expect((await api(broker, "DELETE", "/api/queues/%2F/get-q/contents")).status).toBe(204);
    expect((await api(broker, "GET", "/api/queues/%2F/get-q")).json.messages).toBe(0);
    expect((await api(broker, "DELETE", "/api/queues/%2F/get-q")).status).toBe(204);
    expect((await api(broker, "DELETE", "/api/queues/%2F/get-q")).status).toBe(404);
  });
});

describe("exchanges and bindings", () => {
  it("declares, binds by properties_key, routes and deletes as RabbitMQ's API does", async () => {
    expect((await api(broker, "PUT", "/api/exchanges/%2F/ex1", { type: "nope" })).json).toEqual({
      error: "bad_request",
      reason: "unknown exchange type 'nope'",
    });
    expect((await api(broker, "PUT", "/api/exchanges/%2F/ex1", { type: "topic", durable: true })).status).toBe(201);
    expect((await api(broker, "PUT", "/api/exchanges/%2F/ex1", { type: "topic", durable: true })).status).toBe(204);
    expect((await api(broker, "PUT", "/api/exchanges/%2F/ex1", { type: "fanout", durable: true })).json.reason).toBe(
      "inequivalent arg 'type' for exchange 'ex1' in vhost '/': received 'fanout' but current is 'topic'",
    );
    expect((await api(broker, "GET", "/api/exchanges/%2F/ex1")).json).toMatchObject({
      name: "ex1",
      type: "topic",
      durable: true,
      vhost: "/",
    });
    expect((await api(broker, "DELETE", "/api/exchanges/%2F/amq.direct")).json).toEqual({
      error: "not_authorised",
      reason: "Access refused.",
    });

    await api(broker, "PUT", "/api/queues/%2F/bound-q", {});
    const created = await api(broker, "POST", "/api/bindings/%2F/e/ex1/q/bound-q", { routing_key: "a.#", arguments: {} });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("bound-q/a.%23");
    const listed = (await api(broker, "GET", "/api/bindings/%2F/e/ex1/q/bound-q")).json;
    expect(listed).toEqual([
      {
        source: "ex1",
        vhost: "/",
        destination: "bound-q",
        destination_type: "queue",
        routing_key: "a.#",
        arguments: {},
        properties_key: "a.%23",
      },
    ]);
    const all = (await api(broker, "GET", "/api/bindings/%2F")).json as { source: string; destination: string }[];
    expect(all).toContainEqual(expect.objectContaining({ source: "", destination: "bound-q", routing_key: "bound-q" }));

    expect(
      (
        await api(broker, "POST", "/api/exchanges/%2F/ex1/publish", {
          routing_key: "a.b",
          payload: "x",
          payload_encoding: "string",
          properties: {},
        })
      ).json,
    ).toEqual({ routed: true });
    expect((await api(broker, "GET", "/api/exchanges/%2F/ex1/bindings/source")).json).toHaveLength(1);

    expect((await api(broker, "DELETE", "/api/bindings/%2F/e/ex1/q/bound-q/a.%23")).status).toBe(204);
    expect((await api(broker, "DELETE", "/api/bindings/%2F/e/ex1/q/bound-q/a.%23")).status).toBe(404);
    expect((await api(broker, "DELETE", "/api/exchanges/%2F/ex1")).status).toBe(204);
    expect((await api(broker, "DELETE", "/api/exchanges/%2F/ex1")).status).toBe(404);
  });
});

describe("connections, channels and consumers", () => {
  it("lists an AMQP connection with its channels and consumers, and closes it with 320 and the reason", async () => {
    const conn = await amqp.connect(amqpUrl, { clientProperties: { connection_name: "listed-by-name" } });
    const ch = await conn.createChannel();
    await ch.prefetch(7);
    await ch.assertQueue("consumed-q");
    await ch.consume("consumed-q", () => undefined, { consumerTag: "ctag-1" });
    const c = await until(
      async () =>
        ((await api(broker, "GET", "/api/connections")).json as { user_provided_name: string }[]).find(
          (x) => x.user_provided_name === "listed-by-name",
        ),
      5000,
      "connection listed",
    );
    expect(c).toMatchObject({
      protocol: "AMQP 0-9-1",
      user: "guest",
      vhost: "/",
      peer_host: "127.0.0.1",
      port: broker.ports.amqp,
      channels: 1,
      auth_mechanism: "PLAIN",
      state: "running",
    });
    expect((c as unknown as { name: string }).name).toMatch(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
    const name = (c as unknown as { name: string }).name;

    const channels = (await api(broker, "GET", "/api/channels")).json as { name: string; consumer_count: number; prefetch_count: number }[];
    expect(channels).toContainEqual(expect.objectContaining({ name: `${name} (1)`, consumer_count: 1, prefetch_count: 7, number: 1 }));
    // one channel with its consumers, as RabbitMQ's GET /api/channels/:name (the UI's channel page)
    const one = (await api(broker, "GET", `/api/channels/${encodeURIComponent(`${name} (1)`)}`)).json;
    expect(one).toMatchObject({ name: `${name} (1)`, prefetch_count: 7, confirm: false, connection_details: { name } });
    expect(one.consumer_details).toEqual([
      expect.objectContaining({ consumer_tag: "ctag-1", queue: { name: "consumed-q", vhost: "/" }, prefetch_count: 7 }),
    ]);
    expect((await api(broker, "GET", `/api/channels/${encodeURIComponent(`${name} (2)`)}`)).status).toBe(404);
    const consumers = (await api(broker, "GET", "/api/consumers/%2F")).json as unknown[];
    expect(consumers).toContainEqual(
      expect.objectContaining({
        consumer_tag: "ctag-1",
        ack_required: true,
        prefetch_count: 7,
        queue: { name: "consumed-q", vhost: "/" },
        channel_details: expect.objectContaining({ connection_name: name, name: `${name} (1)`, number: 1 }),
      }),
    );

    // amqplib reports a server's connection.close through "close", with the reply as the error
    const closed = new Promise<Error>((resolve) => conn.on("close", resolve));
    const del = await api(broker, "DELETE", `/api/connections/${encodeURIComponent(name)}`, undefined, "guest:guest", {
      "x-reason": "maintenance window",
    });
    expect(del.status).toBe(204);
    expect((await closed).message).toContain("CONNECTION_FORCED - maintenance window");
    await until(async () => ((await api(broker, "GET", "/api/connections")).json as unknown[]).length === 0, 5000, "connection gone");
    expect((await api(broker, "DELETE", `/api/connections/${encodeURIComponent(name)}`)).status).toBe(404);
  });

  it("lists MQTT and STOMP connections and closes them the way their protocols close", async () => {
    const m = mqtt.connect(`mqtt://127.0.0.1:${broker.ports.mqtt}`, {
      clientId: "mgmt-mqtt",
      username: "guest",
      password: "guest",
      reconnectPeriod: 0,
    });
    await new Promise((resolve, reject) => m.once("connect", resolve).once("error", reject));
    const stomp = await RawStomp.connected(broker.ports.stomp!, { "accept-version": "1.2", login: "guest", passcode: "guest" });

    const conns = await until(
      async () => {
        const list = (await api(broker, "GET", "/api/connections")).json as {
          protocol: string;
          name: string;
          client_properties: Record<string, unknown>;
        }[];
        return list.length === 2 ? list : undefined;
      },
      5000,
      "two connections",
    );
    const mq = conns.find((c) => c.protocol.startsWith("MQTT"))!;
    const st = conns.find((c) => c.protocol.startsWith("STOMP"))!;
    expect(mq.protocol).toBe("MQTT 3.1.1");
    expect(mq.client_properties).toEqual({ client_id: "mgmt-mqtt" });
    expect(st.protocol).toBe("STOMP 1.2");

    const mqttClosed = new Promise<void>((resolve) => m.once("close", () => resolve()));
    await api(broker, "DELETE", `/api/connections/${encodeURIComponent(mq.name)}`);
    await mqttClosed;
    m.end(true);

    await api(broker, "DELETE", `/api/connections/${encodeURIComponent(st.name)}`, undefined, "guest:guest", { "x-reason": "bye" });
    const err = await stomp.c.next();
    expect(err.command).toBe("ERROR");
    expect(err.headers["message"]).toBe("connection_forced");
    expect(err.body.toString()).toBe("CONNECTION_FORCED - bye");
    stomp.c.close();
    await until(async () => ((await api(broker, "GET", "/api/connections")).json as unknown[]).length === 0, 5000, "connections gone");
  });
});

describe("vhosts, users, permissions", () => {
  it("creates and deletes vhosts, users and permissions with RabbitMQ's status codes", async () => {
    expect((await api(broker, "PUT", "/api/vhosts/v-test")).status).toBe(201);
    expect((await api(broker, "PUT", "/api/vhosts/v-test", "")).status).toBe(204);
    expect((await api(broker, "GET", "/api/vhosts")).json).toContainEqual(expect.objectContaining({ name: "v-test" }));
    expect((await api(broker, "PUT", "/api/users/u-test", {})).json).toEqual({ error: "bad_request", reason: "tags_not_present" });
    expect((await api(broker, "PUT", "/api/users/u-test", { password: "secret", tags: "management" })).status).toBe(201);
    expect((await api(broker, "PUT", "/api/permissions/nope/u-test", { configure: ".*", write: ".*", read: ".*" })).json).toEqual({
      error: "bad_request",
      reason: "vhost_or_user_not_found",
    });
    expect((await api(broker, "PUT", "/api/permissions/v-test/u-test", { configure: "^a", write: ".*", read: ".*" })).status).toBe(201);
    expect((await api(broker, "GET", "/api/permissions/v-test/u-test")).json).toEqual({
      user: "u-test",
      vhost: "v-test",
      configure: "^a",
      write: ".*",
      read: ".*",
    });
    expect((await api(broker, "GET", "/api/queues/v-test", undefined, "u-test:secret")).status).toBe(200);
    expect((await api(broker, "DELETE", "/api/permissions/v-test/u-test")).status).toBe(204);
    expect((await api(broker, "DELETE", "/api/permissions/v-test/u-test")).status).toBe(404);
    expect((await api(broker, "DELETE", "/api/users/u-test")).status).toBe(204);
    expect((await api(broker, "DELETE", "/api/users/u-test")).status).toBe(404);
    expect((await api(broker, "DELETE", "/api/vhosts/v-test")).status).toBe(204);
    expect((await api(broker, "DELETE", "/api/vhosts/v-test")).status).toBe(404);
  });
});

describe("definitions, policies and health", () => {
  it("exports definitions in RabbitMQ's format and imports them back", async () => {
    await api(broker, "PUT", "/api/queues/%2F/def-q", { durable: true });
    const d = (await api(broker, "GET", "/api/definitions")).json;
    expect(d).toMatchObject({ rabbit_version: expect.any(String), users: expect.any(Array), vhosts: expect.any(Array), policies: [] });
    expect(d.queues).toContainEqual({ name: "def-q", vhost: "/", durable: true, auto_delete: false, arguments: {} });
    // 204 with no body, as RabbitMQ; ?report=true asks for what was done
    const plain = await api(broker, "POST", "/api/definitions", { vhosts: [{ name: "plain-v" }] });
    expect(plain.status).toBe(204);
    const imported = await api(broker, "POST", "/api/definitions?report=true", {
      vhosts: [{ name: "imported-v" }],
      queues: [{ name: "imported-q", vhost: "imported-v", durable: true, auto_delete: false, arguments: {} }],
    });
    expect(imported.status).toBe(200);
    expect(imported.json).toMatchObject({ imported: { vhosts: 1, queues: 1, users: 0 }, warnings: [], refused: [] });
    await api(broker, "PUT", "/api/permissions/imported-v/guest", { configure: ".*", write: ".*", read: ".*" });
    expect((await api(broker, "GET", "/api/queues/imported-v/imported-q")).status).toBe(200);
    expect((await api(broker, "POST", "/api/definitions", "not json")).json).toEqual({
      error: "bad_request",
      reason: "failed_to_parse_json",
    });
  });

  it("sets, lists, applies and clears policies, refusing settings as RabbitMQ does", async () => {
    await api(broker, "PUT", "/api/queues/%2F/pol-q", {});
    const put = await api(broker, "PUT", "/api/policies/%2F/limit", {
      pattern: "^pol-",
      definition: { "max-length": 3 },
      "apply-to": "queues",
      priority: 1,
    });
    expect(put.status).toBe(201);
    expect(
      (
        await api(broker, "PUT", "/api/policies/%2F/limit", {
          pattern: "^pol-",
          definition: { "max-length": 2 },
          "apply-to": "queues",
          priority: 1,
        })
      ).status,
    ).toBe(204);
    expect((await api(broker, "GET", "/api/policies/%2F")).json).toEqual([
      { vhost: "/", name: "limit", pattern: "^pol-", "apply-to": "queues", definition: { "max-length": 2 }, priority: 1 },
    ]);
    expect((await api(broker, "GET", "/api/policies/%2F/limit")).json.definition).toEqual({ "max-length": 2 });
    const q = (await api(broker, "GET", "/api/queues/%2F/pol-q")).json;
    expect(q.policy).toBe("limit");
    expect(q.effective_policy_definition).toEqual({ "max-length": 2 });
    for (let i = 0; i < 5; i++) {
      await api(broker, "POST", "/api/exchanges/%2F/amq.default/publish", {
        routing_key: "pol-q",
        payload: `${i}`,
        payload_encoding: "string",
        properties: {},
      });
    }
    expect((await api(broker, "GET", "/api/queues/%2F/pol-q")).json.messages).toBe(2);

    const bad = await api(broker, "PUT", "/api/policies/%2F/p1", { pattern: "^q", definition: { bogus: 3 } });
    expect(bad.status).toBe(400);
    expect(bad.json.reason).toBe('Validation failed\n\n[{&lt;&lt;"bogus"&gt;&gt;,3}] are not recognised policy settings\n');
    expect((await api(broker, "PUT", "/api/policies/%2F/p1", { pattern: "^q", definition: { "max-length": 1 } }, "mgr:pw")).json).toEqual({
      error: "not_authorised",
      reason: "User not authorised to access object",
    });
    expect((await api(broker, "DELETE", "/api/policies/%2F/limit")).status).toBe(204);
    expect((await api(broker, "DELETE", "/api/policies/%2F/limit")).status).toBe(404);
    expect((await api(broker, "GET", "/api/queues/%2F/pol-q")).json.policy).toBeNull();
  });

  it("answers the aliveness test and the alarms health check, 503 while an alarm is on", async () => {
    expect((await api(broker, "GET", "/api/aliveness-test/%2F")).json).toEqual({ status: "ok" });
    expect((await api(broker, "GET", "/api/health/checks/alarms")).json).toEqual({ status: "ok" });
    broker.core.alarms.set("disk", true);
    try {
      const r = await api(broker, "GET", "/api/health/checks/alarms");
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ status: "failed", alarms: [{ resource: "disk" }] });
    } finally {
      broker.core.alarms.set("disk", false);
    }
  });

  it("reports message counters and rates in the overview", async () => {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("rate-q");
    const before = (await api(broker, "GET", "/api/overview")).json.message_stats;
    for (let i = 0; i < 20; i++) ch.sendToQueue("rate-q", Buffer.from("x"));
    await ch.waitForConfirms();
    const o = await until(
      async () => {
        const j = (await api(broker, "GET", "/api/overview")).json;
        return j.message_stats.publish_details.rate > 0 ? j : undefined;
      },
      5000,
      "a publish rate",
    );
    expect(o.message_stats.publish - before.publish).toBe(20);
    expect(o.message_stats.confirm - before.confirm).toBe(20);
    expect(o.object_totals).toMatchObject({ connections: 1, channels: 1 });
    expect(o.product_name).toBe("Warren");
    expect(o.listeners).toContainEqual(expect.objectContaining({ protocol: "amqp", port: broker.ports.amqp }));
    await conn.close();
  });
});
