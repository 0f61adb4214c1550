// What conformance/management/parameters.test.ts cannot check on a stock RabbitMQ node: the
// federation and shovel components (RabbitMQ takes them only with those plugins on; the texts here
// were observed on a 3.10.8 node with rabbitmq_federation and rabbitmq_shovel enabled), the log
// line for parameters Warren keeps without acting on, and parameters surviving a restart.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqplib from "amqplib";
import { describe, expect, it } from "vitest";
import { api, startWithManagement } from "./helpers.js";

interface Line {
  level: number;
  msg: string;
}
function capture(): { write(s: string): void; lines: Line[] } {
  const lines: Line[] = [];
  return { write: (s: string) => void lines.push(JSON.parse(s) as Line), lines };
}

describe("federation and shovel parameters", () => {
  it("are validated as the plugins validate them (texts HTML-escaped as RabbitMQ's API sends them), kept, and warned about once", async () => {
    const log = capture();
    const broker = await startWithManagement({ logLevel: "info", logDestination: log });
    try {
      const put = (component: string, name: string, value: unknown) =>
        api(broker, "PUT", `/api/parameters/${component}/%2F/${name}`, { value });
      expect((await put("federation-upstream", "up1", {})).json).toEqual({
        error: "bad_request",
        reason: 'Validation failed\n\nKey "uri" not found in up1\n',
      });
      expect((await put("federation-upstream", "up1", { uri: "amqp://remote", expires: "x" })).json.reason).toBe(
        'Validation failed\n\nexpires should be a number, actually was &lt;&lt;"x"&gt;&gt;\n',
      );
      expect((await put("shovel", "sh1", {})).json.reason).toBe(
        "Validation failed\n\nMust specify 'src-exchange' or 'src-queue'\nKey \"dest-uri\" not found in sh1\nKey \"src-uri\" not found in sh1\n",
      );
      expect((await put("federation-upstream", "up1", { uri: "amqp://remote", expires: 3600000 })).status).toBe(201);
      expect((await put("federation-upstream", "up1", { uri: "amqp://remote", expires: 3600000 })).status).toBe(204);
      expect((await put("federation-upstream", "up2", { uri: "amqp://other" })).status).toBe(201);
      expect((await put("federation-upstream-set", "s1", [{ upstream: "up1" }])).status).toBe(201);
      const shovel = { "src-uri": "amqp://a", "src-queue": "q", "dest-uri": "amqp://b", "dest-queue": "q2" };
      expect((await put("shovel", "sh1", shovel)).status).toBe(201);
      expect((await api(broker, "GET", "/api/parameters/federation-upstream")).json).toEqual([
        { value: { uri: "amqp://remote", expires: 3600000 }, vhost: "/", component: "federation-upstream", name: "up1" },
        { value: { uri: "amqp://other" }, vhost: "/", component: "federation-upstream", name: "up2" },
      ]);
      expect((await api(broker, "GET", "/api/definitions")).json.parameters).toContainEqual({
        value: shovel,
        vhost: "/",
        component: "shovel",
        name: "sh1",
      });
      // one warning per component, however many parameters it has
      const warnings = log.lines.filter((l) => l.msg.startsWith("runtime parameter component")).map((l) => l.msg);
      expect(warnings).toEqual([
        "runtime parameter component federation-upstream: federation is not implemented: the upstream is kept and exported, not connected to",
        "runtime parameter component federation-upstream-set: federation is not implemented: the upstream set is kept and exported, not used",
        "runtime parameter component shovel: shovels are not implemented: the shovel is kept and exported, not started",
      ]);
    } finally {
      await broker.close();
    }
  });
});

describe("vhost limits and definitions imports", () => {
  it("an import whose new queues would go past a vhost's max-queues is refused whole, as rabbit_definitions does", async () => {
    const broker = await startWithManagement({ logLevel: "silent" });
    try {
      expect((await api(broker, "PUT", "/api/vhost-limits/%2F/max-queues", { value: 1 })).status).toBe(204);
      const queue = (name: string) => ({ name, vhost: "/", durable: true, auto_delete: false, arguments: {} });
      const exchange = { name: "ex-before", vhost: "/", type: "direct", durable: true, auto_delete: false, internal: false, arguments: {} };
      const r = await api(broker, "POST", "/api/definitions", { exchanges: [exchange], queues: [queue("a"), queue("b")] });
      // RabbitMQ 3.10.8 answers 400 {"reason":["vhost_limit_exceeded",<the text as a list of character codes>]}
      expect(r.status).toBe(400);
      expect(r.json.reason).toBe(
        'Adding 2 queue(s) to virtual host "/" would exceed the limit of 1 queue(s). This virtual host currently has 0 queue(s) defined. Import aborted!',
      );
      expect((await api(broker, "GET", "/api/exchanges/%2F/ex-before")).status).toBe(404);
      // one new queue fits; importing it again adds none
      expect((await api(broker, "POST", "/api/definitions", { queues: [queue("a")] })).status).toBe(204);
      expect((await api(broker, "POST", "/api/definitions", { queues: [queue("a")] })).status).toBe(204);
    } finally {
      await broker.close();
    }
  });
});

describe("parameters on disk", () => {
  it("parameters, vhost limits and global parameters set over the API survive a restart, and the limits still hold", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-params-"));
    try {
      const b1 = await startWithManagement({ dataDir: dir, logLevel: "silent" });
      expect((await api(b1, "PUT", "/api/vhost-limits/%2F/max-connections", { value: 0 })).status).toBe(204);
      expect((await api(b1, "PUT", "/api/parameters/federation-upstream/%2F/up1", { value: { uri: "amqp://remote" } })).status).toBe(201);
      expect((await api(b1, "PUT", "/api/global-parameters/cluster_name", { value: "kept" })).status).toBe(201);
      await b1.close();
      const b2 = await startWithManagement({ dataDir: dir, logLevel: "silent" });
      try {
        expect((await api(b2, "GET", "/api/vhost-limits")).json).toEqual([{ vhost: "/", value: { "max-connections": 0 } }]);
        expect((await api(b2, "GET", "/api/parameters/federation-upstream/%2F/up1")).status).toBe(200);
        expect((await api(b2, "GET", "/api/overview")).json.cluster_name).toBe("kept");
        // connection.open is answered with connection.close (the text is checked in conformance/amqp/vhost-limits.test.ts)
        await expect(amqplib.connect(`amqp://guest:guest@127.0.0.1:${b2.ports.amqp}`)).rejects.toThrow("got <ConnectionClose");
      } finally {
        await b2.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
