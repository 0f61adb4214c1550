import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

describe("startBroker with STOMP listeners", () => {
  it("binds STOMP and Web STOMP on free ports when asked for port 0 and counts their connections", async () => {
    const broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: { port: 0 } });
    try {
      expect(broker.ports.stomp).toBeGreaterThan(0);
      expect(broker.ports.webStomp).toBeGreaterThan(0);
      const { c, connected } = await RawStomp.connected(broker.ports.stomp!);
      expect(connected.command).toBe("CONNECTED");
      expect(broker.connectionCount()).toBe(1);
      c.close();
    } finally {
      await broker.close();
    }
  });

  it("starts no STOMP listener when stomp and webStomp are false", async () => {
    const broker = await startBroker({ amqp: false, stomp: false, webStomp: false });
    expect(broker.ports.stomp).toBeUndefined();
    expect(broker.ports.webStomp).toBeUndefined();
    await broker.close();
  });

  it("logs anonymous STOMP clients in as the configured default user", async () => {
    const broker = await startBroker({
      amqp: false,
      stomp: { port: 0 },
      webStomp: false,
      stompDefaultUser: "guest",
      stompDefaultPass: "wrong",
    });
    try {
      const c = await RawStomp.open(broker.ports.stomp!);
      c.send("CONNECT", { "accept-version": "1.2" });
      const f = await c.next();
      expect(f.headers["message"]).toBe("Bad CONNECT");
      c.close();
    } finally {
      await broker.close();
    }
  });

  it("the warren command takes --stomp-port and --web-stomp-port, and off", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-cli-stomp-"));
    const child = spawn(process.execPath, ["dist/cli/main.js", ...listenerArgs({ stomp: 0 }), "--data-dir", dir], {
      stdio: ["ignore", "ignore", "pipe"],
    });
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
    const ports = started.ports as { stomp?: number; webStomp?: number; amqp?: number };
    expect(ports.stomp).toBeGreaterThan(0);
    expect(ports.webStomp).toBeUndefined();
    expect(ports.amqp).toBeUndefined();
    const { c, connected } = await RawStomp.connected(ports.stomp!);
    expect(connected.command).toBe("CONNECTED");
    c.close();
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});
