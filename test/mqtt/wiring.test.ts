import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { startBroker } from "warren";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

describe("MQTT listeners in startBroker and the CLI", () => {
  it("binds MQTT and Web MQTT on free ports when asked for port 0", async () => {
    const b = await startBroker({ amqp: false, mqtt: { port: 0 }, webMqtt: { port: 0 }, logLevel: "silent" });
    try {
      expect(b.ports.amqp).toBeUndefined();
      expect(b.ports.mqtt).toBeGreaterThan(0);
      expect(b.ports.webMqtt).toBeGreaterThan(0);
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.ports.mqtt}`, { reconnectPeriod: 0 });
      expect(b.connectionCount()).toBe(1);
      await c.endAsync();
    } finally {
      await b.close();
    }
  });

  it("starts neither when both are false, and Web MQTT alone when only mqtt is false", async () => {
    const none = await startBroker({ amqp: false, mqtt: false, webMqtt: false });
    expect(none.ports).toEqual({});
    await none.close();
    const web = await startBroker({ amqp: false, mqtt: false, webMqtt: { port: 0 }, logLevel: "silent" });
    try {
      expect(web.ports.mqtt).toBeUndefined();
      const c = await mqtt.connectAsync(`ws://127.0.0.1:${web.ports.webMqtt}/ws`, { reconnectPeriod: 0 });
      await c.endAsync();
    } finally {
      await web.close();
    }
  });

  it("rejects invalid MQTT options with a message naming the option", async () => {
    await expect(startBroker({ amqp: false, mqtt: { port: 70000 } })).rejects.toThrow(/mqtt\.port/);
    await expect(startBroker({ amqp: false, mqtt: { port: 0, maxPacketSize: 1 }, webMqtt: false })).rejects.toThrow(/mqtt\.maxPacketSize/);
  });

  it("fails clearly when the MQTT or Web MQTT port is taken, leaving nothing bound", async () => {
    const a = await startBroker({ amqp: false, mqtt: { port: 0 }, webMqtt: { port: 0 }, logLevel: "silent" });
    try {
      await expect(startBroker({ amqp: false, mqtt: { port: a.ports.mqtt! }, webMqtt: false })).rejects.toThrow(/EADDRINUSE/);
      await expect(startBroker({ amqp: false, mqtt: { port: 0 }, webMqtt: { port: a.ports.webMqtt! } })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await a.close();
    }
  });

  it("takes --mqtt-port and --web-mqtt-port off on the command line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-cli-mqtt-"));
    const child = spawn(process.execPath, ["dist/cli/main.js", ...listenerArgs({ mqtt: 0 }), "--data-dir", dir], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        log += d.toString();
        for (const line of log.split("\n")) if (line.includes("Warren started")) resolve(JSON.parse(line) as Record<string, unknown>);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${log}`)));
    });
    expect(log).toMatch(/MQTT listening on port \d+/);
    const ports = started.ports as { mqtt?: number; webMqtt?: number };
    expect(ports.mqtt).toBeGreaterThan(0);
    expect(ports.webMqtt).toBeUndefined();
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});
