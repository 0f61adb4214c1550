// Shared plumbing for the AMQP conformance scenarios: per-file broker, unique names with cleanup,
// tracked client connections, exact reply-code/text assertions, event inboxes and the Python
// runner. Nothing here knows whether the broker is RabbitMQ or Warren.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import amqplib, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from "amqplib";
import { AMQPClient } from "@cloudamqp/amqp-client";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { useBroker, type BrokerUnderTest } from "../target.js";
import { RawConnection, type HandshakeOptions } from "./raw/connection.js";

/** A name no other scenario (nor another run on a shared broker) uses. */
export function unique(tag: string): string {
  return `conf.${tag}.${randomBytes(5).toString("hex")}`;
}

/** Rejects with a descriptive error if `p` has not settled within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/**
 * A bounded pause used only to show a negative ("nothing more arrives") after a positive fence
 * has already proved the broker processed everything before it. Never used to wait for events.
 */
export function settle(ms = 150): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A FIFO of things that arrive asynchronously (deliveries, returns, cancels, lines). */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: Array<() => void> = [];
  readonly all: T[] = [];

  push = (v: T): void => {
    this.items.push(v);
    this.all.push(v);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  };

  get pending(): number {
    return this.items.length;
  }

  /** The next item, waiting up to `ms`. */
  async next(ms = 5_000, what = "the next item"): Promise<T> {
    const deadline = Date.now() + ms;
    while (this.items.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== wake);
          reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
        }, left);
        const wake = () => {
          clearTimeout(t);
          resolve();
        };
        this.waiters.push(wake);
      });
    }
    return this.items.shift()!;
  }

  /** The next `n` items, waiting up to `ms` in total. */
  async take(n: number, ms = 5_000, what = `${n} items`): Promise<T[]> {
    const deadline = Date.now() + ms;
    const out: T[] = [];
    while (out.length < n) out.push(await this.next(Math.max(1, deadline - Date.now()), what));
    return out;
  }
}

/** Reply code and reply text of a channel or connection close as a client reported it. */
export interface AmqpFailure {
  code: number;
  text: string;
}

/**
 * Extracts code and reply text from an amqplib error ("... 404 (NOT-FOUND) with message \"...\""),
 * an amqp-client error ("channel 1 closed: TEXT (404)") or a raw ServerClosedError.
 */
export function failureOf(err: unknown): AmqpFailure {
  const e = err as { message?: string; code?: unknown; reason?: { replyCode: number; replyText: string } };
  if (e?.reason && typeof e.reason.replyCode === "number") return { code: e.reason.replyCode, text: e.reason.replyText };
  const msg = String(e?.message ?? err);
  const amqplibMatch = /(\d{3}) \([A-Z-]+\) with message "(.*)"$/s.exec(msg);
  if (amqplibMatch) return { code: Number(amqplibMatch[1]), text: amqplibMatch[2]! };
  const clientMatch = /closed: (.*) \((\d{3})\)$/s.exec(msg);
  if (clientMatch) return { code: Number(clientMatch[2]), text: clientMatch[1]! };
  throw new Error(`not an AMQP close error: ${msg}`);
}

/** Asserts that `p` rejects with exactly this reply code and reply text. */
export async function expectFailure(p: Promise<unknown>, code: number, text: string | RegExp): Promise<AmqpFailure> {
  let failure: AmqpFailure | undefined;
  try {
    await withTimeout(p, 10_000, "the broker to answer or close");
  } catch (err) {
    failure = failureOf(err);
  }
  expect(failure, "expected the broker to refuse the operation").toBeDefined();
  expect(failure!.code).toBe(code);
  if (typeof text === "string") expect(failure!.text).toBe(text);
  else expect(failure!.text).toMatch(text);
  return failure!;
}

/** Resolves with the first 'error' an emitter (amqplib channel or connection) emits. */
export function nextError(emitter: { once(ev: "error", f: (e: Error) => void): unknown }): Promise<Error> {
  return new Promise((resolve) => emitter.once("error", resolve));
}

/** Resolves when an emitter emits 'close'. */
export function closed(emitter: { once(ev: "close", f: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.once("close", () => resolve()));
}

/** Starts consuming into an Inbox; returns the inbox and the consumer tag. */
export async function consumeInto(
  ch: Channel,
  queue: string,
  options: Options.Consume = {},
): Promise<{ inbox: Inbox<ConsumeMessage>; consumerTag: string; cancelled: Deferred<void> }> {
  const inbox = new Inbox<ConsumeMessage>();
  const cancelled = deferred();
  const { consumerTag } = await ch.consume(
    queue,
    (m) => {
      if (m === null) cancelled.resolve();
      else inbox.push(m);
    },
    options,
  );
  return { inbox, consumerTag, cancelled };
}

export const bodies = (ms: ConsumeMessage[]): string[] => ms.map((m) => m.content.toString());

interface Closeable {
  close(): Promise<unknown>;
}

/** What a scenario file gets: the broker, unique names that are cleaned up, tracked clients. */
export interface Suite {
  readonly url: string;
  readonly broker: BrokerUnderTest;
  /** A unique queue name, deleted after the test. */
  queueName(tag: string): string;
  /** A unique exchange name, deleted after the test. */
  exchangeName(tag: string): string;
  /** Registers a server-named or otherwise created queue for deletion after the test. */
  cleanupQueue(name: string): void;
  /** Registers an exchange created by someone else (e.g. a Python client) for deletion. */
  cleanupExchange(name: string): void;
  /** An amqplib (promise API) connection, closed after the test; its errors are recorded, not thrown. */
  connect(options?: Partial<Options.Connect> & Record<string, unknown>): Promise<ChannelModel>;
  /** An amqplib connection plus one channel. */
  channel(): Promise<{ conn: ChannelModel; ch: Channel }>;
  /**
   * An amqplib connection plus one confirm channel. Publishing and then `waitForConfirms()` is
   * the fence that proves the broker has enqueued: RabbitMQ does not order a channel's publishes
   * before a later queue.declare-ok's message count, so a plain channel is not enough.
   */
  confirmChannel(): Promise<{ conn: ChannelModel; ch: ConfirmChannel }>;
  /** An @cloudamqp/amqp-client connection, closed after the test. */
  amqpClient(): Promise<Awaited<ReturnType<AMQPClient["connect"]>>>;
  /** A raw socket with the handshake done (unless `handshake: false`), closed after the test. */
  raw(opts?: HandshakeOptions & { handshake?: boolean }): Promise<RawConnection>;
  /** Anything else with close(), closed after the test. */
  track<T extends Closeable>(c: T): T;
}

/** Registers beforeAll/afterEach/afterAll hooks for a scenario file and returns its Suite. */
export function conformanceSuite(): Suite {
  let broker: BrokerUnderTest | undefined;
  const queues = new Set<string>();
  const exchanges = new Set<string>();
  let tracked: Closeable[] = [];

  beforeAll(async () => {
    broker = await useBroker();
  });

  afterEach(async () => {
    const toClose = tracked;
    tracked = [];
    await Promise.all(
      toClose.map((c) =>
        withTimeout(
          Promise.resolve().then(() => c.close()),
          3_000,
          "close",
        ).catch(() => undefined),
      ),
    );
    if (!broker || (queues.size === 0 && exchanges.size === 0)) return;
    const conn = await amqplib.connect(broker.url);
    conn.on("error", () => undefined);
    try {
      let ch = await conn.createChannel();
      ch.on("error", () => undefined);
      const attempt = async (op: (c: Channel) => Promise<unknown>) => {
        try {
          await op(ch);
        } catch {
          ch = await conn.createChannel();
          ch.on("error", () => undefined);
        }
      };
      for (const q of queues) await attempt((c) => c.deleteQueue(q));
      for (const x of exchanges) await attempt((c) => c.deleteExchange(x));
    } finally {
      queues.clear();
      exchanges.clear();
      await conn.close().catch(() => undefined);
    }
  });

  afterAll(async () => {
    await broker?.close();
  });

  const url = () => {
    if (!broker) throw new Error("broker not started yet");
    return broker.url;
  };

  const suite: Suite = {
    get url() {
      return url();
    },
    get broker() {
      if (!broker) throw new Error("broker not started yet");
      return broker;
    },
    queueName(tag) {
      const n = unique(tag);
      queues.add(n);
      return n;
    },
    exchangeName(tag) {
      const n = unique(tag);
      exchanges.add(n);
      return n;
    },
    cleanupQueue(name) {
      queues.add(name);
    },
    cleanupExchange(name) {
      exchanges.add(name);
    },
    async connect(options) {
      const conn = await amqplib.connect(options ? { ...amqplibParts(url()), ...options } : url());
      conn.on("error", () => undefined);
      tracked.push(conn);
      return conn;
    },
    async channel() {
      const conn = await suite.connect();
      const ch = await conn.createChannel();
      ch.on("error", () => undefined);
      return { conn, ch };
    },
    async confirmChannel() {
      const conn = await suite.connect();
      const ch = await conn.createConfirmChannel();
      ch.on("error", () => undefined);
      return { conn, ch };
    },
    async amqpClient() {
      const client = new AMQPClient(url());
      const conn = await client.connect();
      conn.onerror = () => undefined;
      tracked.push({ close: () => (conn.closed ? Promise.resolve() : conn.close()) });
      return conn;
    },
    async raw(opts = {}) {
      const c = await RawConnection.open(url());
      tracked.push(c);
      if (opts.handshake !== false) await c.handshake(opts);
      return c;
    },
    track(c) {
      tracked.push(c);
      return c;
    },
  };
  return suite;
}

/** An amqplib connect-options object for a URL, so tests can override heartbeat/frameMax. */
function amqplibParts(url: string): Options.Connect {
  const u = new URL(url);
  const vhost = u.pathname.replace(/^\//, "");
  return {
    protocol: "amqp",
    hostname: u.hostname,
    port: Number(u.port || 5672),
    username: decodeURIComponent(u.username || "guest"),
    password: decodeURIComponent(u.password || "guest"),
    vhost: vhost === "" ? "/" : decodeURIComponent(vhost),
  };
}

// ---------------------------------------------------------------------------------------------
// Python (pika, Celery) via /usr/bin/python3 — the Debian-packaged interpreter that has them.

export const PYTHON = "/usr/bin/python3";
export const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), "python");

/** A running Python script: its stdout lines as they come, and its JSON result at exit. */
export class PythonProcess {
  readonly lines = new Inbox<string>();
  private stdout = "";
  private stderr = "";
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    let partial = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (s: string) => {
      this.stdout += s;
      partial += s;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const l of parts) if (l.trim() !== "") this.lines.push(l);
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve) => child.once("close", (code) => resolve(code)));
  }

  /** Waits for a stdout line equal to `line` (e.g. "ready"). */
  async waitForLine(line: string, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const l = await Promise.race([
        this.lines.next(Math.max(1, deadline - Date.now()), `${this.name} to print ${JSON.stringify(line)}`),
        this.exited.then((code) => {
          throw new Error(`${this.name} exited (${code}) before printing ${JSON.stringify(line)}: ${this.stderr}`);
        }),
      ]);
      if (l.trim() === line) return;
    }
  }

  /** Waits for exit (bounded) and parses the last stdout line as JSON. */
  async result<T = unknown>(ms = 20_000): Promise<T> {
    const code = await withTimeout(this.exited, ms, `${this.name} to exit`).catch((e) => {
      this.kill();
      throw e;
    });
    if (code !== 0) throw new Error(`${this.name} exited with ${code}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
    const last = this.stdout.trim().split("\n").pop() ?? "";
    try {
      return JSON.parse(last) as T;
    } catch {
      throw new Error(`${this.name} printed no JSON result\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
    }
  }

  get stderrText(): string {
    return this.stderr;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  async close(): Promise<void> {
    this.kill();
    await withTimeout(this.exited, 5_000, `${this.name} to stop`).catch(() => this.kill("SIGKILL"));
  }
}

/** Starts `conformance/amqp/python/<script>` with the broker URL in WARREN_URL. */
export function startPython(suite: Suite, script: string, args: string[] = [], env: Record<string, string> = {}): PythonProcess {
  const child = spawn(PYTHON, ["-u", join(PYTHON_DIR, script), ...args], {
    cwd: PYTHON_DIR,
    env: { ...process.env, WARREN_URL: suite.url, PYTHONDONTWRITEBYTECODE: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return suite.track(new PythonProcess(child, script));
}

/** Runs a Python script to completion and returns its JSON result. */
export function runPython<T = unknown>(suite: Suite, script: string, args: string[] = [], ms = 20_000): Promise<T> {
  return startPython(suite, script, args).result<T>(ms);
}

/** Empties a queue with basic.get (no-ack) and returns the bodies in order. */
export async function drain(ch: Channel, queue: string, max = 10_000): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < max; i++) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
  throw new Error(`queue ${queue} did not run empty after ${max} gets`);
}

/**
 * Retries `check` until it passes (bounded). For state the broker changes after it has already
 * answered the client (e.g. requeues and deletions that follow a channel or connection close).
 */
export async function eventually<T>(check: () => Promise<T>, ms = 5_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() >= deadline) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/**
 * Probes `queue` on fresh channels until the broker answers 404, and checks the text. The probe is a
 * passive declare, or with `probe: "bind"` a queue.bind to amq.fanout: a passive declare renews an
 * x-expires lease on RabbitMQ, a binding does not.
 */
export async function expectQueueGone(conn: ChannelModel, queue: string, probe: "declare" | "bind" = "declare"): Promise<void> {
  const f = await eventually(async () => {
    const ch = await conn.createChannel();
    ch.on("error", () => undefined);
    let failure: AmqpFailure | undefined;
    try {
      if (probe === "bind") await ch.bindQueue(queue, "amq.fanout", "");
      else await ch.checkQueue(queue);
    } catch (e) {
      failure = failureOf(e);
    }
    if (!failure) {
      await ch.close();
      throw new Error(`queue ${queue} still exists`);
    }
    return failure;
  });
  expect(f).toEqual({ code: 404, text: `NOT_FOUND - no queue '${queue}' in vhost '/'` });
}

/** Same as expectQueueGone for an exchange. */
export async function expectExchangeGone(conn: ChannelModel, exchange: string): Promise<void> {
  const f = await eventually(async () => {
    const ch = await conn.createChannel();
    ch.on("error", () => undefined);
    let failure: AmqpFailure | undefined;
    try {
      await ch.checkExchange(exchange);
    } catch (e) {
      failure = failureOf(e);
    }
    if (!failure) {
      await ch.close();
      throw new Error(`exchange ${exchange} still exists`);
    }
    return failure;
  });
  expect(f).toEqual({ code: 404, text: `NOT_FOUND - no exchange '${exchange}' in vhost '/'` });
}
