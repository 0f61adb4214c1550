// AMQP 1.0: `accepted` for an unsettled transfer to a durable queue means what a publisher confirm
// means — the message is on disk. The disposition waits for the group commit holding it; one to a
// transient queue goes at once, and a commit the store fails turns `accepted` into `rejected`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqplib from "amqplib";
import rhea, { type Connection, type EventContext } from "rhea";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { closeConnection, openSender, send } from "../../conformance/amqp10/helpers.js";

let dir: string;
let broker: RunningBroker | null = null;
let conn: Connection | null = null;
let releaseHeld: (() => void) | null = null;

afterEach(async () => {
  releaseHeld?.();
  releaseHeld = null;
  if (conn?.is_open()) await closeConnection(conn);
  conn = null;
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningBroker> {
  dir = mkdtempSync(join(tmpdir(), "warren-a10-dur-"));
  broker = await startBroker({
    amqp: { port: 0 },
    stomp: false,
    webStomp: false,
    mqtt: false,
    webMqtt: false,
    dataDir: dir,
    logLevel: "silent",
  });
  const c = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  const ch = await c.createChannel();
  await ch.assertQueue("durable-q", { durable: true });
  await ch.assertQueue("transient-q", { durable: false });
  await c.close();
  const container = rhea.create_container({ id: "a10-durability" });
  conn = container.connect({ host: "127.0.0.1", port: broker.ports.amqp!, username: "guest", password: "guest", reconnect: false });
  await new Promise<void>((resolve, reject) => {
    conn!.once("connection_open", () => resolve());
    conn!.once("connection_error", (ctx: EventContext) => reject(ctx.connection.error ?? new Error("connection error")));
  });
  return broker;
}

/** Holds the disk: a commit in flight that finishes only when the test says so. */
function holdCommit(b: RunningBroker): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  b.persistence.commit.markDirty({ flush: () => gate });
  releaseHeld = release;
  return release;
}

describe("AMQP 1.0 accepted and the disk", () => {
  it("a durable message is accepted only after its fsync; a transient queue's at once", async () => {
    const b = await start();
    const durable = await openSender(conn!, "/amq/queue/durable-q");
    const transient = await openSender(conn!, "/amq/queue/transient-q");
    expect(await send(transient, { body: "warm-up" })).toBe("accepted");
    const release = holdCommit(b);
    let outcome: string | null = null;
    const pending = send(durable, { body: "safe", durable: true }).then((o) => (outcome = o));
    // the transfer after it on the same connection is answered: the broker has handled both
    expect(await send(transient, { body: "quick" })).toBe("accepted");
    expect(outcome).toBeNull();
    release();
    await pending;
    expect(outcome).toBe("accepted");
  });

  it("a commit the store fails (a full disk) rejects the transfer instead of accepting it", async () => {
    const b = await start();
    const durable = await openSender(conn!, "/amq/queue/durable-q");
    // every commit fails, as a full disk makes it fail, until the disk has room again
    let full = true;
    const disk = {
      flush: (): Promise<void> => {
        if (!full) return Promise.resolve();
        b.persistence.commit.markDirty(disk);
        return Promise.reject(
          Object.assign(new Error(`${dir}/queues/x/0000000001.seg: ENOSPC: no space left on device`), { code: "ENOSPC" }),
        );
      },
    };
    b.persistence.commit.markDirty(disk);
    expect(await send(durable, { body: "lost", durable: true })).toBe("rejected");
    full = false;
    expect(await send(durable, { body: "kept", durable: true })).toBe("accepted");
  });
});
