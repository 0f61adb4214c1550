import { describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqplib from "amqplib";
import mqtt from "mqtt";
import { startBroker } from "warren";

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A pino destination that keeps every line, parsed. */
function capture(): { write(s: string): void; lines: Line[]; find(msg: string, fields?: Record<string, unknown>): Line[] } {
  const lines: Line[] = [];
  return {
    write: (s: string) => void lines.push(JSON.parse(s) as Line),
    lines,
    find: (msg, fields = {}) => lines.filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v)),
  };
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("log file (log.file)", () => {
  it("gets the events at its own level, whatever the console's; an unwritable path is a startup error naming it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-logfile-"));
    const console = capture();
    const file = join(dir, "logs", "warren.log");
    const broker = await startBroker({
      amqp: { port: 0 },
      logLevel: "error",
      logDestination: console,
      logFile: file,
      logFileLevel: "info",
    });
    try {
      const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
      await conn.close();
      await broker.close();
      const lines = (await readFile(file, "utf8"))
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as Line);
      expect(lines.filter((l) => l.msg === "connection opened" && l.user === "guest")).toHaveLength(1);
      expect(console.find("connection opened")).toEqual([]);
      await expect(startBroker({ amqp: { port: 0 }, logFile: join(file, "not-a-dir", "x.log") })).rejects.toThrow(
        `log.file: cannot open ${join(file, "not-a-dir", "x.log")}`,
      );
    } finally {
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("log.file.formatter", () => {
  it("plaintext writes human lines to the file while the console stays JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-logfile-"));
    const console = capture();
    const file = join(dir, "warren.log");
    const broker = await startBroker({
      amqp: { port: 0 },
      logLevel: "info",
      logDestination: console,
      logFile: file,
      logFileLevel: "info",
      logFileFormat: "plaintext",
    });
    try {
      await broker.close();
      const text = await readFile(file, "utf8");
      expect(text).toMatch(
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d \[info\] AMQP 0-9-1 listening on port \d+ protocol=amqp port=\d+$/m,
      );
      expect(text).not.toContain('{"level"');
      expect(console.find(`AMQP 0-9-1 listening on port ${broker.ports.amqp}`)).toHaveLength(1);
    } finally {
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("log lines for operational events", () => {
  it("connection opened/closed with peer and user, auth failures and channel errors, on every protocol; none per message", async () => {
    const log = capture();
    const broker = await startBroker({ amqp: { port: 0 }, mqtt: { port: 0 }, stomp: { port: 0 }, logLevel: "info", logDestination: log });
    try {
      const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
      const opened = log.find("connection opened", { protocol: "amqp", user: "guest", vhost: "/" });
      expect(opened).toHaveLength(1);
      expect(opened[0]!.peer).toMatch(/127\.0\.0\.1:\d+$/);
      const ch = await conn.createChannel();
      await ch.assertQueue("logq");
      const before = log.lines.length;
      for (let i = 0; i < 200; i++) ch.sendToQueue("logq", Buffer.from(`m${i}`));
      await ch.checkQueue("logq");
      expect(log.lines.length).toBe(before); // no line per message
      ch.on("error", () => undefined);
      await ch.checkQueue("missing").catch(() => undefined);
      await waitFor(() => log.find("channel error", { code: 404 }).length === 1, "channel error line");
      await conn.close();
      await waitFor(() => log.find("connection closed", { protocol: "amqp", user: "guest" }).length === 1, "AMQP close line");

      await expect(amqplib.connect(`amqp://guest:wrong@127.0.0.1:${broker.ports.amqp}`)).rejects.toThrow();
      expect(
        log.find("PLAIN login refused: user 'guest' - invalid credentials (wrong password)", { user: "guest", protocol: "amqp" }),
      ).toHaveLength(1);

      const m = await mqtt.connectAsync({
        host: "127.0.0.1",
        port: broker.ports.mqtt!,
        username: "guest",
        password: "guest",
        clientId: "logger",
      });
      await waitFor(() => log.find("connection opened", { protocol: "mqtt", user: "guest" }).length === 1, "MQTT open line");
      await m.endAsync();
      await waitFor(() => log.find("connection closed", { protocol: "mqtt", user: "guest" }).length === 1, "MQTT close line");
      const bad = await mqtt
        .connectAsync({ host: "127.0.0.1", port: broker.ports.mqtt!, username: "guest", password: "nope", reconnectPeriod: 0 })
        .catch((e: Error) => e);
      expect(bad).toBeInstanceOf(Error);
      expect(log.find("MQTT connection refused", { protocol: "mqtt" }).length).toBeGreaterThan(0);

      const s = tcpConnect(broker.ports.stomp!, "127.0.0.1");
      await new Promise((r) => s.once("connect", r));
      s.write("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
      await waitFor(() => log.find("connection opened", { protocol: "stomp", user: "guest" }).length === 1, "STOMP open line");
      s.write("DISCONNECT\nreceipt:bye\n\n\0");
      await waitFor(() => log.find("connection closed", { protocol: "stomp", user: "guest" }).length === 1, "STOMP close line");
      s.destroy();
    } finally {
      await broker.close();
    }
  });

  it("alarms and store recovery are logged", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-log-"));
    try {
      const log = capture();
      const b1 = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "info", logDestination: log });
      const c = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${b1.ports.amqp}`);
      const ch = await c.createConfirmChannel();
      await ch.assertQueue("durable-log", { durable: true });
      ch.sendToQueue("durable-log", Buffer.from("keep"), { persistent: true });
      await ch.waitForConfirms();
      await c.close();
      b1.resources.limits = { ...b1.resources.limits, diskFreeLimit: Number.MAX_SAFE_INTEGER };
      await b1.resources.check();
      expect(log.find("disk alarm set: publishers are blocked")).toHaveLength(1);
      await b1.close();

      const log2 = capture();
      const b2 = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "info", logDestination: log2 });
      const recovered = log2.find("store recovered");
      expect(recovered).toHaveLength(1);
      expect(recovered[0]).toMatchObject({ queues: 1, messages: 1, dataDir: dir });
      await b2.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("refused logins say why, on every protocol", () => {
  it("unknown user, wrong password and no access to the vhost, over AMQP, MQTT, STOMP and management HTTP", async () => {
    const log = capture();
    const broker = await startBroker({
      amqp: { port: 0 },
      mqtt: { port: 0 },
      stomp: { port: 0 },
      management: { port: 0 },
      prometheus: false,
      logLevel: "info",
      logDestination: log,
    });
    try {
      broker.core.users.add("nov", "novpw", ["management"]); // no permissions anywhere
      const reasons = {
        unknown: "user 'nobody' - invalid credentials (unknown user)",
        wrong: "user 'guest' - invalid credentials (wrong password)",
        vhost: "access to vhost '/' refused for user 'nov'",
      };
      const refusedLines = (protocol: string) =>
        log.lines.filter((l) => l.protocol === protocol && typeof l.reason === "string").map((l) => l.msg);

      // AMQP (RabbitMQ: "PLAIN login refused: user 'nobody' - invalid credentials")
      for (const [u, p] of [
        ["nobody", "x"],
        ["guest", "nope"],
        ["nov", "novpw"],
      ]) {
        await expect(amqplib.connect(`amqp://${u}:${p}@127.0.0.1:${broker.ports.amqp}`)).rejects.toThrow();
      }
      await waitFor(() => refusedLines("amqp").length === 3, "AMQP refusal lines");
      expect(refusedLines("amqp")).toEqual([
        `PLAIN login refused: ${reasons.unknown}`,
        `PLAIN login refused: ${reasons.wrong}`,
        `login refused: ${reasons.vhost}`,
      ]);

      // MQTT (RabbitMQ: "MQTT login failed for user 'nov': virtual host access not allowed")
      for (const [u, p] of [
        ["nobody", "x"],
        ["guest", "nope"],
        ["nov", "novpw"],
      ]) {
        const e = await mqtt
          .connectAsync({ host: "127.0.0.1", port: broker.ports.mqtt!, username: u, password: p, reconnectPeriod: 0 })
          .catch((err: Error) => err);
        expect(e).toBeInstanceOf(Error);
      }
      await waitFor(() => refusedLines("mqtt").length === 3, "MQTT refusal lines");
      expect(refusedLines("mqtt")).toEqual([reasons.unknown, reasons.wrong, reasons.vhost].map((r) => `MQTT login refused: ${r}`));

      // STOMP (RabbitMQ: "STOMP login failed for user 'nobody': authentication failed")
      for (const [u, p] of [
        ["nobody", "x"],
        ["guest", "nope"],
        ["nov", "novpw"],
      ]) {
        const s = tcpConnect(broker.ports.stomp!, "127.0.0.1");
        let text = "";
        s.on("data", (d) => (text += d.toString()));
        await new Promise((r) => s.once("connect", r));
        s.write(`CONNECT\naccept-version:1.2\nhost:/\nlogin:${u}\npasscode:${p}\n\n\0`);
        await waitFor(() => text.includes("ERROR"), "STOMP ERROR frame");
        s.destroy();
      }
      expect(refusedLines("stomp")).toEqual([reasons.unknown, reasons.wrong, reasons.vhost].map((r) => `STOMP login refused: ${r}`));

      // management HTTP (RabbitMQ: "HTTP access denied: user 'nobody' - invalid credentials")
      const get = (creds: string) =>
        fetch(`http://127.0.0.1:${broker.ports.management}/api/whoami`, {
          headers: { authorization: `Basic ${Buffer.from(creds).toString("base64")}` },
        });
      expect((await get("nobody:x")).status).toBe(401);
      expect((await get("guest:nope")).status).toBe(401);
      broker.core.users.add("plain", "pw"); // no management tag
      expect((await get("plain:pw")).status).toBe(401);
      expect(refusedLines("http")).toEqual([
        `HTTP access denied: ${reasons.unknown}`,
        `HTTP access denied: ${reasons.wrong}`,
        "HTTP access denied: user 'plain' - Not management user",
      ]);
    } finally {
      await broker.close();
    }
  });

  it("a loopback-only user from a remote address is refused with that reason (RabbitMQ's words)", async () => {
    const { Broker, LoginRefused } = await import("../../src/core/index.js");
    const r = new Broker().authenticate({ username: "guest", password: "guest", loopback: false });
    expect(r).toBeInstanceOf(LoginRefused);
    expect((r as InstanceType<typeof LoginRefused>).reason).toBe("user 'guest' can only connect via localhost");
  });
});

describe("a listener whose port is taken", () => {
  it("fails the start naming the listener, the port and the setting that moves it", async () => {
    const { createServer } = await import("node:net");
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startBroker({ amqp: { port: 0 }, mqtt: { port, host: "127.0.0.1" }, logLevel: "silent" })).rejects.toThrow(
        `MQTT listener: port ${port} on 127.0.0.1 is already in use (EADDRINUSE); choose another with mqtt.listeners.tcp.default`,
      );
      await expect(startBroker({ amqp: { port: 0 }, management: { port, host: "127.0.0.1" }, logLevel: "silent" })).rejects.toThrow(
        `management listener: port ${port} on 127.0.0.1 is already in use (EADDRINUSE); choose another with management.tcp.port`,
      );
    } finally {
      blocker.close();
    }
  });
});
