// Vhost limits as clients meet them: max-connections refuses the connection past the limit (AMQP
// 0-9-1 with connection.close 530 and rabbit_reader's text, MQTT with CONNACK 5, STOMP with its
// "Bad CONNECT" ERROR), max-queues refuses a new queue with 406 (existing ones may be redeclared).
// Limits are set over the management API. Against RabbitMQ:
//   npm run conformance -- --management http://guest:guest@HOST:MGMT --amqp amqp://guest:guest@HOST:PORT \
//     --mqtt mqtt://guest:guest@HOST:MQTT --stomp HOST:STOMP conformance/management/vhost-limits.test.ts
// Without them an embedded Warren with every listener is started.
import { AMQPClient } from "@cloudamqp/amqp-client";
import amqplib from "amqplib";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawStomp } from "../stomp/raw-client.js";
import { apiCall, type ManagementBrokerUnderTest, unique } from "./target.js";

interface Target {
  api: ManagementBrokerUnderTest;
  amqp: string;
  mqtt: URL;
  stomp: { host: string; port: number };
}

let t: Target;
const vhost = unique("conf-limits");
const v = encodeURIComponent(vhost);
const call = (method: string, path: string, body?: unknown) => apiCall(t.api, method, path, body);
const amqpUrl = () => {
  const u = new URL(t.amqp);
  u.pathname = `/${v}`;
  return u.toString();
};

async function target(): Promise<Target> {
  const management = process.env.WARREN_CONFORMANCE_MANAGEMENT?.trim();
  if (management) {
    const need = (name: string) => {
      const value = process.env[name]?.trim();
      if (!value) throw new Error(`this scenario needs ${name} (--amqp, --mqtt, --stomp) for the broker at --management`);
      return value;
    };
    const u = new URL(management);
    const [host, port] = need("WARREN_CONFORMANCE_STOMP").split(":");
    return {
      api: {
        url: `${u.protocol}//${u.host}`,
        host: u.hostname,
        port: Number(u.port),
        user: decodeURIComponent(u.username || "guest"),
        password: decodeURIComponent(u.password || "guest"),
        amqpUrl: null,
        mqttUrl: null,
        external: true,
        close: async () => undefined,
      },
      amqp: need("WARREN_CONFORMANCE_AMQP"),
      mqtt: new URL(need("WARREN_CONFORMANCE_MQTT")),
      stomp: { host: host!, port: Number(port) },
    };
  }
  const { startBroker } = await import("warren");
  const b = await startBroker({ amqp: { port: 0 }, mqtt: { port: 0 }, stomp: { port: 0 }, management: { port: 0 }, logLevel: "silent" });
  return {
    api: {
      url: `http://127.0.0.1:${b.ports.management}`,
      host: "127.0.0.1",
      port: b.ports.management!,
      user: "guest",
      password: "guest",
      amqpUrl: null,
      mqttUrl: null,
      external: false,
      close: () => b.close(),
    },
    amqp: `amqp://guest:guest@127.0.0.1:${b.ports.amqp}`,
    mqtt: new URL(`mqtt://guest:guest@127.0.0.1:${b.ports.mqtt}`),
    stomp: { host: "127.0.0.1", port: b.ports.stomp! },
  };
}

beforeAll(async () => {
  t = await target();
  expect((await call("PUT", `/api/vhosts/${v}`)).status).toBe(201);
  // RabbitMQ gives the user creating a vhost full permissions on it (204 here); Warren does not (201)
  const granted = await call("PUT", `/api/permissions/${v}/${encodeURIComponent(t.api.user)}`, {
    configure: ".*",
    write: ".*",
    read: ".*",
  });
  expect(granted.status).toBeLessThan(300);
});
afterAll(async () => {
  await call("DELETE", `/api/vhosts/${v}`);
  await t.api.close();
});

const limit = async (name: string, value: number) =>
  expect((await call("PUT", `/api/vhost-limits/${v}/${name}`, { value })).status).toBe(204);

/** An MQTT 3.1.1 login to the vhost: the CONNACK's return code. */
function mqttConnack(): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://${t.mqtt.host}`, {
      username: `${vhost}:${decodeURIComponent(t.mqtt.username || "guest")}`,
      password: decodeURIComponent(t.mqtt.password || "guest"),
      clientId: unique("lim"),
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    c.on("connect", () => {
      c.end(true);
      resolve(0);
    });
    c.on("error", (e) => {
      c.end(true);
      const code = (e as { code?: number }).code;
      if (typeof code === "number") resolve(code);
      else reject(e);
    });
  });
}

describe("max-connections", () => {
  it("a connection past the limit is refused: AMQP 530 with RabbitMQ's text, MQTT CONNACK 5, STOMP's Bad CONNECT", async () => {
    await limit("max-connections", 1);
    const first = await amqplib.connect(amqpUrl());
    try {
      const c = new AMQPClient(amqpUrl());
      await expect(c.connect()).rejects.toThrow(
        `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${t.api.user}': connection limit (1) is reached (530)`,
      );
      expect(await mqttConnack()).toBe(5);
      const stomp = await RawStomp.open(t.stomp.port, t.stomp.host);
      try {
        stomp.send("CONNECT", { "accept-version": "1.2", host: vhost, login: t.api.user, passcode: t.api.password });
        const error = await stomp.next();
        expect([error.command, error.headers.message, error.body.toString()]).toEqual([
          "ERROR",
          "Bad CONNECT",
          `Virtual host '${vhost}' access denied`,
        ]);
      } finally {
        stomp.close();
      }
    } finally {
      await first.close();
    }
  });

  it("0 refuses every connection; a negative limit and a cleared one refuse none", async () => {
    await limit("max-connections", 0);
    await expect(new AMQPClient(amqpUrl()).connect()).rejects.toThrow("connection limit (0) is reached (530)");
    await limit("max-connections", -1);
    const conns = [await amqplib.connect(amqpUrl()), await amqplib.connect(amqpUrl())];
    for (const c of conns) await c.close();
    await limit("max-connections", 0);
    expect((await call("DELETE", `/api/vhost-limits/${v}/max-connections`)).status).toBe(204);
    expect(await mqttConnack()).toBe(0);
  });
});

describe("max-queues", () => {
  it("a new queue past the limit is a 406 channel error naming it; redeclaring an existing one is not", async () => {
    await limit("max-queues", 1);
    const conn = await amqplib.connect(amqpUrl());
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("q1", { durable: false });
      await ch.assertQueue("q1", { durable: false });
      const closed = new Promise<Error>((resolve) => ch.once("error", resolve));
      await expect(ch.assertQueue("q2", { durable: false })).rejects.toThrow();
      expect((await closed).message).toContain(
        `PRECONDITION_FAILED - cannot declare queue 'q2': queue limit in vhost '${vhost}' (1) is reached`,
      );
      // the management API's declare meets the same limit
      expect(await call("PUT", `/api/queues/${v}/q3`, { durable: false })).toEqual({
        status: 400,
        json: { error: "bad_request", reason: `cannot declare queue 'q3': queue limit in vhost '${vhost}' (1) is reached` },
      });
      // the connection is fine: a new channel may still redeclare the existing queue
      const ch2 = await conn.createChannel();
      expect((await ch2.assertQueue("q1", { durable: false })).queue).toBe("q1");
      await limit("max-queues", 2);
      expect((await ch2.assertQueue("q2", { durable: false })).queue).toBe("q2");
      await ch2.deleteQueue("q1");
      await ch2.deleteQueue("q2");
    } finally {
      await conn.close();
    }
  });
});
