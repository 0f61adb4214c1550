import { describe, expect, it } from "vitest";
import { connect } from "node:net";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { startBroker } from "warren";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });

describe("startBroker", () => {
  it("binds AMQP on a free port when asked for port 0 and accepts a client", async () => {
    const broker = await startBroker({ amqp: { port: 0 }, stomp: false, webStomp: false, mqtt: false, webMqtt: false });
    try {
      expect(broker.ports.amqp).toBeGreaterThan(0);
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
      const ch = await conn.createChannel();
      const q = await ch.assertQueue("", { exclusive: true });
      expect(q.queue).toMatch(/^amq\.gen-/);
      await conn.close();
    } finally {
      await broker.close();
    }
  });

  it("starts only the listeners it is given once any is named", async () => {
    const broker = await startBroker({ amqp: { port: 0 } });
    try {
      expect(Object.keys(broker.ports)).toEqual(["amqp"]);
    } finally {
      await broker.close();
    }
  });

  it("releases its port and removes its temporary data dir on close", async () => {
    const broker = await startBroker({ amqp: { port: 0 }, stomp: false, webStomp: false, mqtt: false, webMqtt: false });
    const port = broker.ports.amqp!;
    expect(existsSync(broker.dataDir)).toBe(true);
    await broker.close();
    expect(await canConnect(port)).toBe(false);
    expect(existsSync(broker.dataDir)).toBe(false);
  });

  it("keeps a data dir it was given", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-test-"));
    const broker = await startBroker({ amqp: { port: 0 }, stomp: false, webStomp: false, mqtt: false, webMqtt: false, dataDir: dir });
    await broker.close();
    expect(existsSync(dir)).toBe(true);
    await rm(dir, { recursive: true });
  });

  it("starts no AMQP listener when amqp is false", async () => {
    const broker = await startBroker({ amqp: false, stomp: false, webStomp: false, mqtt: false, webMqtt: false });
    expect(broker.ports.amqp).toBeUndefined();
    await broker.close();
  });

  it("rejects invalid options with a message naming the option", async () => {
    await expect(startBroker({ amqp: { port: 70000 } })).rejects.toThrow(/amqp\.port/);
  });

  it("refuses sampling intervals setInterval cannot wait (past 2^31-1 ms it would fire every 1 ms)", async () => {
    await expect(startBroker({ amqp: { port: 0 }, resourceCheckInterval: 2 ** 31 })).rejects.toThrow(/resourceCheckInterval/);
    await expect(startBroker({ amqp: false, management: { port: 0, sampleInterval: 2 ** 31 } })).rejects.toThrow(/sampleInterval/);
  });

  it("fails clearly when the port is taken", async () => {
    const a = await startBroker({ amqp: { port: 0 }, stomp: false, webStomp: false, mqtt: false, webMqtt: false });
    try {
      await expect(
        startBroker({ amqp: { port: a.ports.amqp! }, stomp: false, webStomp: false, mqtt: false, webMqtt: false }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await a.close();
    }
  });
});

describe("the warren command", () => {
  it("logs where it listens and stops cleanly on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-cli-"));
    const child = spawn(
      process.execPath,
      ["dist/cli/main.js", ...listenerArgs({ amqp: 0, stomp: 0, webStomp: 0, mqtt: 0, webMqtt: 0 }), "--data-dir", dir],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let log = "";
    const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        log += d.toString();
        for (const line of log.split("\n")) {
          if (line.includes("Warren started")) resolve(JSON.parse(line) as Record<string, unknown>);
        }
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${log}`)));
    });
    expect(log).toMatch(/AMQP 0-9-1 listening on port \d+/);
    const port = (started.ports as { amqp: number }).amqp;
    expect(await canConnect(port)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});
