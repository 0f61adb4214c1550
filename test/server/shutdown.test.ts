import { describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqplib from "amqplib";
import mqtt from "mqtt";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

interface Started {
  child: ChildProcess;
  ports: { amqp: number; mqtt: number; stomp: number };
  exited: Promise<number | null>;
}

/** Runs the built `warren` CLI and resolves once its "Warren started" line names the ports. */
function startCli(dataDir: string): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      "dist/cli/main.js",
      ...listenerArgs({ amqp: "127.0.0.1:0", mqtt: "127.0.0.1:0", stomp: "127.0.0.1:0" }),
      "--data-dir",
      dataDir,
      "--log-level",
      "info",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      for (const line of log.split("\n")) {
        if (line.includes('"Warren started"')) {
          const ports = (JSON.parse(line) as { ports: Started["ports"] }).ports;
          resolve({ child, ports, exited });
        }
      }
    });
    void exited.then((code) => reject(new Error(`warren exited ${code}: ${log}`)));
  });
}

describe("graceful shutdown of the warren command", () => {
  it("on SIGTERM closes every client the protocol's way, flushes the store and exits 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-shutdown-"));
    try {
      const w = await startCli(dir);

      const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${w.ports.amqp}`);
      const amqpClosed = new Promise<string>((resolve) => conn.on("close", (err?: Error) => resolve(err?.message ?? "no error")));
      conn.on("error", () => undefined);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue("kept", { durable: true });
      for (let i = 0; i < 3; i++) ch.sendToQueue("kept", Buffer.from(`m${i}`), { persistent: true });
      await ch.waitForConfirms();

      const v5 = await mqtt.connectAsync({ host: "127.0.0.1", port: w.ports.mqtt, protocolVersion: 5, clientId: "v5", reconnectPeriod: 0 });
      const v5Disconnect = new Promise<number | undefined>((resolve) => v5.on("disconnect", (p) => resolve(p.reasonCode)));
      const v3 = await mqtt.connectAsync({ host: "127.0.0.1", port: w.ports.mqtt, protocolVersion: 4, clientId: "v3", reconnectPeriod: 0 });
      const v3Closed = new Promise<void>((resolve) => v3.on("close", () => resolve()));

      const stomp = tcpConnect(w.ports.stomp, "127.0.0.1");
      let stompText = "";
      stomp.on("data", (d) => (stompText += d.toString()));
      const stompClosed = new Promise<void>((resolve) => stomp.on("close", () => resolve()));
      stomp.write("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
      await new Promise<void>((resolve) => {
        const check = () => (stompText.includes("CONNECTED") ? resolve() : setTimeout(check, 10));
        check();
      });

      w.child.kill("SIGTERM");
      expect(await amqpClosed).toContain(
        "320 (CONNECTION-FORCED) with message \"CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'\"",
      );
      expect(await v5Disconnect).toBe(0x8b);
      await v3Closed;
      await stompClosed;
      expect(stompText).toContain("ERROR\nmessage:connection_forced");
      expect(await w.exited).toBe(0);
      v5.end(true);
      v3.end(true);

      // persistent, confirmed messages are there after a restart on the same data dir
      const again = await startCli(dir);
      const c2 = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${again.ports.amqp}`);
      const ch2 = await c2.createChannel();
      expect((await ch2.checkQueue("kept")).messageCount).toBe(3);
      const first = await ch2.get("kept", { noAck: true });
      expect(first && first.content.toString()).toBe("m0");
      await c2.close();
      again.child.kill("SIGINT");
      expect(await again.exited).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("warren --help", () => {
  it("lists the config file, data dir, every listener's port flag and the log level", async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["dist/cli/main.js", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString()));
      child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}`))));
    });
    for (const flag of [
      "--config",
      "--data-dir",
      "--host",
      "--amqp-port",
      "--amqps-port",
      "--mqtt-port",
      "--mqtts-port",
      "--stomp-port",
      "--stomps-port",
      "--web-mqtt-port",
      "--openwire-port",
      "--web-stomp-port",
      "--management-port",
      "--prometheus-port",
      "--log-level",
      "--heartbeat",
      "--default-user",
      "--default-pass",
      "--default-vhost",
      "--loopback-users",
      "--disk-free-limit",
      "--memory-high-watermark",
      "--load-definitions",
    ])
      expect(out).toContain(flag);
    expect(out).toContain("ctl");
  });

  it("a bad flag value stops startup with the key, the flag and the expectation, exit 1", async () => {
    const { code, err } = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, ["dist/cli/main.js", "--amqp-port", "nope"], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.once("exit", (c) => resolve({ code: c, err }));
    });
    expect(code).toBe(1);
    expect(err).toContain('listeners.tcp.default = "nope" (--amqp-port): expected a port');
  });
});
