// The AMQP 1.0 handshake on the shared AMQP port: the protocol headers, SASL mechanisms and
// refusals, and the vhost an open names.

import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { amqp10Suite, eventually } from "./helpers.js";

const suite = amqp10Suite();

/** A raw socket that collects what the broker sends. */
async function raw(): Promise<{ socket: Socket; received: () => Buffer; closed: () => boolean }> {
  const socket = connect(suite.broker.port, suite.broker.host);
  let data = Buffer.alloc(0);
  let isClosed = false;
  socket.on("data", (d) => (data = Buffer.concat([data, d])));
  socket.on("close", () => (isClosed = true));
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return { socket, received: () => data, closed: () => isClosed };
}

const AMQP10 = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
const SASL = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);

describe("AMQP 1.0 handshake", () => {
  it("AMQP 0 1 0 0 on the AMQP port is answered with the same header and the socket stays open", async () => {
    const c = await raw();
    c.socket.write(AMQP10);
    await eventually(() => c.received().length >= 8);
    expect(c.received().subarray(0, 8)).toEqual(AMQP10);
    expect(c.closed()).toBe(false);
    c.socket.destroy();
  });

  it("the SASL header is answered with SASL's and the mechanisms, ANONYMOUS and PLAIN among them", async () => {
    const c = await raw();
    c.socket.write(SASL);
    await eventually(() => c.received().length >= 16 && c.received().length >= 8 + c.received().readUInt32BE(8));
    const b = c.received();
    expect(b.subarray(0, 8)).toEqual(SASL);
    expect(b[8 + 5]).toBe(1); // a SASL frame
    const text = b.subarray(16).toString("latin1");
    expect(text).toContain("PLAIN");
    expect(text).toContain("ANONYMOUS");
    c.socket.destroy();
  });

  it("a wrong password is refused at SASL: the client never gets to open", async () => {
    const error = await suite.connect({ password: "wrong" }).then(
      () => "opened",
      (e: unknown) => String((e as { condition?: string }).condition ?? e),
    );
    expect(error).not.toBe("opened");
  });

  it("ANONYMOUS logs in as the default user (guest from loopback)", async () => {
    const conn = await suite.connect({ username: undefined, password: undefined, sasl_mechanisms: undefined } as never);
    expect(conn.is_open()).toBe(true);
  });

  it("hostname vhost:/ and a host address both open the default vhost", async () => {
    const a = await suite.connect({ hostname: "vhost:/" });
    const b = await suite.connect({ hostname: "127.0.0.1" });
    expect(a.is_open() && b.is_open()).toBe(true);
  });
});
