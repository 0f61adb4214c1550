// rhea, promise-wrapped for the scenarios: connections closed after each test, unique names,
// senders that await their outcome and receivers that collect what arrives.

import amqplib from "amqplib";
import rhea, { type Connection, type Delivery, type EventContext, type Message, type Receiver, type Sender } from "rhea";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type Amqp10Broker, useAmqp10Broker } from "./target.js";

export interface Suite {
  readonly broker: Amqp10Broker;
  /** A connected rhea connection (SASL PLAIN with the broker's user unless `options` say otherwise). */
  connect(options?: Partial<rhea.ConnectionOptions>): Promise<Connection>;
  /** An AMQP 0-9-1 channel on the same broker, closed after the test. */
  channel(): Promise<amqplib.Channel>;
  /** A name no other test uses. */
  name(prefix: string): string;
}

export function amqp10Suite(): Suite {
  let broker: Amqp10Broker | undefined;
  const open: Connection[] = [];
  const amqpConns: amqplib.ChannelModel[] = [];
  let n = 0;
  const run = `${process.pid}-${Date.now().toString(36)}`;
  beforeAll(async () => {
    broker = await useAmqp10Broker();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) if (c.is_open()) await closeConnection(c);
    for (const c of amqpConns.splice(0)) await c.close().catch(() => undefined);
  });
  afterAll(async () => {
    await broker?.close();
  });
  return {
    get broker() {
      return broker!;
    },
    async connect(options = {}) {
      const b = broker!;
      const c = rhea.create_container({ id: `conf-${run}-${n++}` });
      const conn = c.connect({
        host: b.host,
        port: b.port,
        username: b.username,
        password: b.password,
        reconnect: false,
        ...options,
      } as rhea.ConnectionOptions);
      open.push(conn);
      await new Promise<void>((resolve, reject) => {
        conn.once("connection_open", () => resolve());
        conn.once("connection_error", (ctx: EventContext) => reject(ctx.connection.error ?? new Error("connection error")));
        conn.once("disconnected", (ctx: EventContext) => reject(ctx.error ?? new Error("disconnected")));
      });
      return conn;
    },
    async channel() {
      const conn = await amqplib.connect(broker!.amqpUrl);
      conn.on("error", () => undefined);
      amqpConns.push(conn);
      const ch = await conn.createChannel();
      ch.on("error", () => undefined);
      return ch;
    },
    name(prefix) {
      return `${prefix}-${run}-${n++}`;
    },
  };
}

export function closeConnection(c: Connection): Promise<void> {
  return new Promise((resolve) => {
    c.once("connection_close", () => resolve());
    c.once("disconnected", () => resolve());
    c.close();
  });
}

/** A sender that is attached and has credit. */
export async function openSender(
  conn: Connection,
  target: string | rhea.TargetTerminusOptions,
  options: Partial<rhea.SenderOptions> = {},
): Promise<Sender> {
  const s = conn.open_sender({ target: typeof target === "string" ? { address: target } : target, ...options } as rhea.SenderOptions);
  await new Promise<void>((resolve, reject) => {
    s.once("sendable", () => resolve());
    s.once("sender_error", (ctx: EventContext) => reject(ctx.sender?.error ?? new Error("sender error")));
  });
  return s;
}

/** The outcome of one unsettled send: "accepted", "released", "rejected" or "modified". */
export function send(s: Sender, message: Message): Promise<string> {
  const outcomes = ["accepted", "released", "rejected", "modified"] as const;
  return new Promise((resolve) => {
    const d = s.send(message);
    const handlers = outcomes.map((name) => {
      const h = (ctx: EventContext): void => {
        if (ctx.delivery !== d) return;
        outcomes.forEach((o, i) => s.removeListener(o, handlers[i]!));
        resolve(name);
      };
      s.on(name, h);
      return h;
    });
  });
}

/** A receiver on `source` with no credit yet (call `add_credit`), its messages collected in order. */
export async function openReceiver(
  conn: Connection,
  source: string | rhea.Source,
  options: Partial<rhea.ReceiverOptions> = {},
): Promise<{ receiver: Receiver; messages: Array<{ message: Message; delivery: Delivery }> }> {
  const messages: Array<{ message: Message; delivery: Delivery }> = [];
  const r = conn.open_receiver({
    source: typeof source === "string" ? { address: source } : source,
    credit_window: 0,
    autoaccept: false,
    ...options,
  } as rhea.ReceiverOptions);
  r.on("message", (ctx: EventContext) => messages.push({ message: ctx.message!, delivery: ctx.delivery! }));
  await new Promise<void>((resolve, reject) => {
    r.once("receiver_open", () => resolve());
    r.once("receiver_error", (ctx: EventContext) => reject(ctx.receiver?.error ?? new Error("receiver error")));
  });
  return { receiver: r, messages };
}

/** Polls `check` until it holds (bounded), for things that arrive asynchronously. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A message body as text, whichever section it came in. */
export function bodyText(m: Message): string {
  const b = m.body as unknown;
  if (typeof b === "string") return b;
  if (Buffer.isBuffer(b)) return b.toString();
  const content = (b as { content?: unknown } | undefined)?.content;
  if (Buffer.isBuffer(content)) return content.toString();
  return JSON.stringify(b);
}
