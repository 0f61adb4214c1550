// Permission refusals (403 ACCESS_REFUSED) with RabbitMQ's exact texts, for every AMQP method that
// checks a configure, write or read permission, and topic permissions on amq.topic.
//
// Users are made the way each broker makes them: against an external RabbitMQ with rabbitmqctl
// (the node in WARREN_RABBITMQ_NODE, with conformance/rabbitmq.sh's HOME so the Erlang cookie
// matches); against the embedded Warren through its core.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { tmpdir } from "node:os";
import amqplib, { type Channel, type ChannelModel } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TARGET_ENV } from "../target.js";

interface Perms {
  configure: string;
  write: string;
  read: string;
}
interface Admin {
  url(user: string, pass: string): string;
  addUser(user: string, pass: string, p: Perms, topic?: { exchange: string; write: string; read: string }): void;
  deleteUser(user: string): void;
  close(): Promise<void>;
}

function rabbitmqctl(...args: string[]): void {
  const node = process.env.WARREN_RABBITMQ_NODE ?? "warren-conf@localhost";
  const base = process.env.WARREN_RABBITMQ_DIR ?? join(process.env.TMPDIR ?? tmpdir(), "warren-conf-rabbitmq");
  execFileSync("/usr/lib/rabbitmq/bin/rabbitmqctl", ["-n", node, ...args], {
    env: { ...process.env, HOME: join(base, "home") },
    stdio: "pipe",
  });
}

async function admin(): Promise<Admin> {
  const external = process.env[TARGET_ENV]?.trim();
  if (external) {
    const u = new URL(external);
    return {
      url: (user, pass) => `amqp://${user}:${pass}@${u.host}`,
      addUser(user, pass, p, topic) {
        rabbitmqctl("add_user", user, pass);
        rabbitmqctl("set_permissions", "-p", "/", user, p.configure, p.write, p.read);
        if (topic) rabbitmqctl("set_topic_permissions", "-p", "/", user, topic.exchange, topic.write, topic.read);
      },
      deleteUser: (user) => rabbitmqctl("delete_user", user),
      close: async () => undefined,
    };
  }
  const { startBroker } = await import("warren");
  const broker = await startBroker({ amqp: { port: 0 } });
  return {
    url: (user, pass) => `amqp://${user}:${pass}@127.0.0.1:${broker.ports.amqp}`,
    addUser(user, pass, p, topic) {
      broker.core.users.add(user, pass);
      broker.core.users.setPermission(user, "/", p);
      if (topic) broker.core.users.setTopicPermission(user, "/", topic);
    },
    deleteUser: (user) => void broker.core.users.delete(user),
    close: () => broker.close(),
  };
}

const tag = randomBytes(4).toString("hex");
const u = `conf-perm-${tag}`;
const t = `conf-topic-${tag}`;
const d = `conf-dlx-${tag}`;
// names: c-* configurable, w-* writable, r-* readable, x-* nothing
const n = (prefix: string, name: string) => `${prefix}-${tag}-${name}`;

let a: Admin;
let guest: ChannelModel;
let g: Channel;

beforeAll(async () => {
  a = await admin();
  a.addUser(u, "pw", { configure: "^c-", write: "^w-", read: "^r-" });
  a.addUser(
    t,
    "pw",
    { configure: ".*", write: ".*", read: ".*" },
    { exchange: "amq.topic", write: "^w\\.{username}\\.", read: "^r\\.{username}\\." },
  );
  a.addUser(d, "pw", { configure: ".*", write: "^w-", read: ".*" });
  guest = await amqplib.connect(a.url("guest", "guest"));
  g = await guest.createChannel();
  for (const p of ["c", "w", "r", "x"]) {
    await g.assertQueue(n(p, "q"), { autoDelete: false, durable: false });
    await g.assertExchange(n(p, "x"), "direct", { autoDelete: false, durable: false });
  }
});

afterAll(async () => {
  for (const p of ["c", "w", "r", "x"]) {
    await g.deleteQueue(n(p, "q"));
    await g.deleteExchange(n(p, "x"));
  }
  await guest.close();
  a.deleteUser(u);
  a.deleteUser(t);
  a.deleteUser(d);
  await a.close();
});

/** Runs `f` on a fresh channel of `user` and resolves with the channel's close reason ("OK" when it stays open). */
async function outcome(user: string, f: (ch: Channel) => Promise<unknown>): Promise<string> {
  const c = await amqplib.connect(a.url(user, "pw"));
  c.on("error", () => undefined);
  try {
    const ch = await c.createChannel();
    const closed = new Promise<string>((resolve) => {
      ch.on("error", (e: Error) => resolve(e.message.replace(/^Channel closed by server: /, "")));
      ch.on("close", () => resolve("closed"));
    });
    ch.on("error", () => undefined);
    const done = f(ch).then(
      // a round trip after the operation proves a refusal would have arrived by now
      () =>
        ch.checkQueue(n("c", "q")).then(
          () => "OK",
          () => "pending",
        ),
      () => "failed",
    );
    const first = await Promise.race([closed, done]);
    return first === "OK" || first === "pending" || first === "failed" ? (first === "OK" ? "OK" : await closed) : first;
  } finally {
    await c.close().catch(() => undefined);
  }
}

const refused = (kind: string, name: string, user = u) =>
  `403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to ${kind} '${name}' in vhost '/' refused for user '${user}'"`;

describe("AMQP permissions", () => {
  it("queue.declare needs configure on the queue; passive declare needs nothing", async () => {
    expect(await outcome(u, (ch) => ch.assertQueue(n("x", "q"), { autoDelete: false, durable: false }))).toBe(
      refused("queue", n("x", "q")),
    );
    expect(await outcome(u, (ch) => ch.checkQueue(n("x", "q")))).toBe("OK");
    expect(await outcome(u, (ch) => ch.assertQueue(n("c", "q"), { autoDelete: false, durable: false }))).toBe("OK");
  });

  it("a new queue with a dead-letter exchange also needs read on the queue and write on the exchange", async () => {
    const declare = (queue: string, dlx: string) => (ch: Channel) =>
      ch.assertQueue(queue, { exclusive: true, arguments: { "x-dead-letter-exchange": dlx } });
    expect(await outcome(u, declare(n("c", "dl"), n("w", "x")))).toBe(refused("queue", n("c", "dl")));
    expect(await outcome(d, declare(n("c", "dl"), n("x", "x")))).toBe(refused("exchange", n("x", "x"), d));
    expect(await outcome(d, declare(n("c", "dl"), ""))).toBe(refused("exchange", "amq.default", d));
    expect(await outcome(d, declare(n("c", "dl"), n("w", "x")))).toBe("OK");
  });

  it("a server-named queue is refused under its generated amq.gen- name", async () => {
    expect(await outcome(u, (ch) => ch.assertQueue("", { exclusive: true }))).toMatch(
      new RegExp(`ACCESS_REFUSED - access to queue 'amq\\.gen-[A-Za-z0-9_-]{22}' in vhost '/' refused for user '${u}'`),
    );
  });

  it("exchange.declare and exchange.delete need configure", async () => {
    expect(await outcome(u, (ch) => ch.assertExchange(n("x", "x"), "direct", { autoDelete: false, durable: false }))).toBe(
      refused("exchange", n("x", "x")),
    );
    expect(await outcome(u, (ch) => ch.checkExchange(n("x", "x")))).toBe("OK");
    expect(await outcome(u, (ch) => ch.deleteExchange(n("x", "x")))).toBe(refused("exchange", n("x", "x")));
  });

  it("queue.bind and queue.unbind need write on the queue, then read on the exchange", async () => {
    expect(await outcome(u, (ch) => ch.bindQueue(n("r", "q"), n("w", "x"), "k"))).toBe(refused("queue", n("r", "q")));
    expect(await outcome(u, (ch) => ch.bindQueue(n("w", "q"), n("x", "x"), "k"))).toBe(refused("exchange", n("x", "x")));
    expect(await outcome(u, (ch) => ch.unbindQueue(n("w", "q"), n("x", "x"), "k"))).toBe(refused("exchange", n("x", "x")));
    expect(await outcome(u, (ch) => ch.bindQueue(n("w", "q"), n("r", "x"), "k"))).toBe("OK");
  });

  it("exchange-to-exchange bindings need write on the destination and read on the source", async () => {
    expect(await outcome(u, (ch) => ch.bindExchange(n("x", "x"), n("r", "x"), "k"))).toBe(refused("exchange", n("x", "x")));
    expect(await outcome(u, (ch) => ch.bindExchange(n("w", "x"), n("x", "x"), "k"))).toBe(refused("exchange", n("x", "x")));
    expect(await outcome(u, (ch) => ch.unbindExchange(n("x", "x"), n("r", "x"), "k"))).toBe(refused("exchange", n("x", "x")));
    expect(await outcome(u, (ch) => ch.bindExchange(n("w", "x"), n("r", "x"), "k"))).toBe("OK");
  });

  it("basic.publish needs write on the exchange; the default exchange is amq.default", async () => {
    expect(await outcome(u, async (ch) => ch.publish(n("x", "x"), "k", Buffer.from("m")))).toBe(refused("exchange", n("x", "x")));
    expect(await outcome(u, async (ch) => ch.sendToQueue(n("w", "q"), Buffer.from("m")))).toBe(refused("exchange", "amq.default"));
    expect(await outcome(u, async (ch) => ch.publish(n("w", "x"), "k", Buffer.from("m")))).toBe("OK");
  });

  it("basic.consume, basic.get and queue.purge need read; queue.delete needs configure", async () => {
    expect(await outcome(u, (ch) => ch.consume(n("x", "q"), () => undefined))).toBe(refused("queue", n("x", "q")));
    expect(await outcome(u, (ch) => ch.get(n("x", "q")))).toBe(refused("queue", n("x", "q")));
    expect(await outcome(u, (ch) => ch.get(n("r", "q")))).toBe("OK");
    expect(await outcome(u, (ch) => ch.purgeQueue(n("x", "q")))).toBe(refused("queue", n("x", "q")));
    expect(await outcome(u, (ch) => ch.purgeQueue(n("r", "q")))).toBe("OK");
    expect(await outcome(u, (ch) => ch.deleteQueue(n("x", "q")))).toBe(refused("queue", n("x", "q")));
  });

  it("topic permissions on amq.topic restrict publish and bind routing keys, with {username} expanded", async () => {
    const topicRefused = (key: string) =>
      `403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to topic '${key}' in exchange 'amq.topic' in vhost '/' refused for user '${t}'"`;
    expect(await outcome(t, async (ch) => ch.publish("amq.topic", `w.${t}.x`, Buffer.from("m")))).toBe("OK");
    expect(await outcome(t, async (ch) => ch.publish("amq.topic", "w.other.x", Buffer.from("m")))).toBe(topicRefused("w.other.x"));
    // only topic exchanges are subject to topic permissions
    expect(await outcome(t, async (ch) => ch.publish("amq.direct", "w.other.x", Buffer.from("m")))).toBe("OK");
    expect(await outcome(t, (ch) => ch.bindQueue(n("w", "q"), "amq.topic", `r.${t}.#`))).toBe("OK");
    expect(await outcome(t, (ch) => ch.bindQueue(n("w", "q"), "amq.topic", "r.other.#"))).toBe(topicRefused("r.other.#"));
  });
});
