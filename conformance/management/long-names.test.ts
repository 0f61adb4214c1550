// Names as long as the protocols allow are managed like any other: a 255-byte AMQP queue name (also
// one of multi-byte characters, 765 characters percent-encoded), a 255-character exchange, and the
// subscription queue of an MQTT client with a 1,000-character client id (RabbitMQ 3.10 accepts that
// client id: CONNACK 0) are read and deleted through the management API and `warren ctl`.
//   npm run conformance -- --management http://guest:guest@HOST:PORT --amqp amqp://guest:guest@HOST:PORT \
//     --mqtt mqtt://guest:guest@HOST:PORT conformance/management/long-names.test.ts
import amqp from "amqplib";
import { Command } from "commander";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ctlCommand } from "../../src/cli/ctl.js";
import { apiCall, eventually, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
let conn: amqp.ChannelModel;
const vhost = unique("long-names");
const e = encodeURIComponent;

const call = (method: string, path: string, body?: unknown) => apiCall<Record<string, unknown> | null>(broker, method, path, body);

/** `warren ctl` in this process, as the target's admin. */
async function ctl(...args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const run = { code: 0 as number | null, stdout: "", stderr: "" };
  const command = ctlCommand({
    out: (t) => void (run.stdout += t),
    err: (t) => void (run.stderr += t),
    exitCode: (c) => void (run.code = c),
    errIsTTY: false,
  });
  const program = new Command("warren").exitOverride().addCommand(command);
  command.exitOverride().configureOutput({ writeOut: (t) => void (run.stdout += t), writeErr: (t) => void (run.stderr += t) });
  await program.parseAsync(["ctl", "--url", broker.url, "--user", broker.user, "--password", broker.password, ...args], { from: "user" });
  return run;
}

beforeAll(async () => {
  broker = await useManagementBroker();
  if (broker.amqpUrl === null) throw new Error("this scenario needs --amqp for the same broker");
  expect((await call("PUT", `/api/vhosts/${e(vhost)}`)).status).toBe(201);
  // RabbitMQ already gave the vhost's creator permissions (204), Warren does not (201)
  expect(
    (await call("PUT", `/api/permissions/${e(vhost)}/${e(broker.user)}`, { configure: ".*", write: ".*", read: ".*" })).status,
  ).toBeLessThan(300);
  const url = new URL(broker.amqpUrl);
  url.pathname = `/${e(vhost)}`;
  conn = await amqp.connect(url.toString());
});
afterAll(async () => {
  await conn?.close().catch(() => undefined);
  if (broker !== undefined) {
    await call("DELETE", `/api/vhosts/${e(vhost)}`);
    await broker.close();
  }
});

describe("names longer than 100 characters", () => {
  for (const [what, name] of [
    ["255 ASCII characters", "q".repeat(255)],
    ["255 bytes of two-byte characters", "é".repeat(127) + "q"],
  ] as const) {
    it(`a queue named with ${what} is read, purged and deleted through the API and warren ctl`, async () => {
      expect(Buffer.byteLength(name)).toBe(255);
      const ch = await conn.createChannel();
      await ch.assertQueue(name, { durable: false });
      ch.sendToQueue(name, Buffer.from("m"));
      await ch.close();
      const path = `/api/queues/${e(vhost)}/${e(name)}`;
      const got = await call("GET", path);
      expect(got.status).toBe(200);
      expect(got.json?.name).toBe(name);
      expect((await call("DELETE", `${path}/contents`)).status).toBe(204);
      expect((await ctl("-p", vhost, "delete_queue", name)).code).toBe(0);
      expect((await call("GET", path)).status).toBe(404);
      // and the API declares and deletes one itself
      expect((await call("PUT", path, { durable: false })).status).toBe(201);
      expect((await call("DELETE", path)).status).toBe(204);
    });
  }

  it("an exchange with a 255-character name is declared, read, bound and deleted through the API", async () => {
    const name = "x".repeat(255);
    const path = `/api/exchanges/${e(vhost)}/${e(name)}`;
    expect((await call("PUT", path, { type: "fanout" })).status).toBe(201);
    expect((await call("GET", path)).json?.name).toBe(name);
    expect((await call("PUT", `/api/queues/${e(vhost)}/${e(name)}`, {})).status).toBe(201);
    const bind = `/api/bindings/${e(vhost)}/e/${e(name)}/q/${e(name)}`;
    expect((await call("POST", bind, { routing_key: "k".repeat(255) })).status).toBe(201);
    expect((await call("GET", `${bind}/${"k".repeat(255)}`)).status).toBe(200);
    expect((await call("DELETE", `${bind}/${"k".repeat(255)}`)).status).toBe(204);
    expect((await call("DELETE", path)).status).toBe(204);
    expect((await call("DELETE", `/api/queues/${e(vhost)}/${e(name)}`)).status).toBe(204);
  });

  it("an MQTT client id of 1,000 characters is accepted, and its 1,022-character subscription queue managed", async () => {
    if (broker.mqttUrl === null) throw new Error("this scenario needs --mqtt for the same broker");
    const clientId = "c".repeat(1000);
    const client = await mqtt.connectAsync(broker.mqttUrl, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const granted = await client.subscribeAsync(`${unique("long")}/t`, { qos: 1 });
      expect(granted[0]?.qos).toBe(1);
    } finally {
      await client.endAsync();
    }
    const queue = `mqtt-subscription-${clientId}qos1`;
    const path = `/api/queues/%2F/${e(queue)}`;
    const got = await eventually(
      async () => {
        const r = await call("GET", path);
        return r.status === 200 ? r : undefined;
      },
      10_000,
      "the subscription queue",
    );
    expect(got.json?.name).toBe(queue);
    expect((await call("DELETE", path)).status).toBe(204);
    expect((await call("GET", path)).status).toBe(404);
  });
});
