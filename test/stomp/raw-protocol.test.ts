import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { watchTimerOverflows } from "../helpers/timer-overflows.js";

let broker: RunningBroker;
let port: number;

beforeAll(async () => {
  broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: false, logLevel: "silent" });
  port = broker.ports.stomp!;
});
afterAll(() => broker.close());
const overflows = watchTimerOverflows();

describe("STOMP handshake", () => {
  it("answers CONNECT with CONNECTED naming the highest common version, server, session and heart-beat", async () => {
    const { c, connected } = await RawStomp.connected(port, { "accept-version": "1.0,1.1,1.2" });
    expect(connected.command).toBe("CONNECTED");
    expect(connected.headers["version"]).toBe("1.2");
    expect(connected.headers["server"]).toMatch(/^Warren\//);
    expect(connected.headers["session"]).toMatch(/^session-/);
    expect(connected.headers["heart-beat"]).toBe("0,0");
    c.close();
  });

  it("accepts the STOMP command and falls back to 1.0 without accept-version", async () => {
    const c = await RawStomp.open(port);
    c.send("STOMP", { login: "guest", passcode: "guest" });
    const f = await c.next();
    expect(f.command).toBe("CONNECTED");
    expect(f.headers["version"]).toBe("1.0");
    c.close();
  });

  it("refuses a version it does not speak with an ERROR, leaving the connection open for another CONNECT as RabbitMQ does", async () => {
    const c = await RawStomp.open(port);
    c.send("CONNECT", { "accept-version": "2.0" });
    const f = await c.next();
    expect(f.command).toBe("ERROR");
    expect(f.headers["message"]).toBe("Version mismatch");
    expect(f.headers["version"]).toBe("1.0,1.1,1.2");
    expect(f.body.toString()).toBe("Supported versions are 1.0,1.1,1.2\n");
    c.send("CONNECT", { "accept-version": "1.1", login: "guest", passcode: "guest" });
    expect((await c.next()).headers["version"]).toBe("1.1");
    c.close();
  });

  it("refuses bad credentials as RabbitMQ does", async () => {
    const c = await RawStomp.open(port);
    c.send("CONNECT", { "accept-version": "1.2", login: "guest", passcode: "nope" });
    const f = await c.next();
    expect(f.headers["message"]).toBe("Bad CONNECT");
    expect(f.body.toString()).toBe("Access refused for user 'guest'\n");
    c.close();
  });

  it("logs anonymous clients in as the default user and selects the vhost from host", async () => {
    const ok = await RawStomp.open(port);
    ok.send("CONNECT", { "accept-version": "1.2" });
    expect((await ok.next()).command).toBe("CONNECTED");
    ok.close();
    const bad = await RawStomp.open(port);
    bad.send("CONNECT", { "accept-version": "1.2", host: "nowhere" });
    const f = await bad.next();
    expect(f.headers["message"]).toBe("Bad CONNECT");
    expect(f.body.toString()).toBe("Virtual host 'nowhere' access denied");
    bad.close();
  });

  it("sends heart-beats at the interval the client asked for, in whole seconds as RabbitMQ", async () => {
    const { c, connected } = await RawStomp.connected(port, { "heart-beat": "0,100" });
    expect(connected.headers["heart-beat"]).toBe("1000,0");
    await c.waitBytes(2, 4000);
    c.close();
  });

  it("closes a client that stops sending within twice its heart-beat interval", async () => {
    const { c, connected } = await RawStomp.connected(port, { "heart-beat": "1500,0" });
    expect(connected.headers["heart-beat"]).toBe("0,1000");
    await c.waitClosed(4000);
  });

  it("keeps a client that sends its heart-beats", async () => {
    const { c } = await RawStomp.connected(port, { "heart-beat": "1000,0" });
    // a beat every 500 ms for 3 s: well past the 2 s of silence that would end the connection
    for (let i = 0; i < 6; i++) {
      c.write("\n");
      await new Promise((r) => setTimeout(r, 500));
    }
    c.send("DISCONNECT", { receipt: "alive" });
    expect((await c.next()).headers["receipt-id"]).toBe("alive");
    c.close();
  }, 10_000);

  it("takes heart-beat intervals past 2^31-1 ms without a timer overflow", async () => {
    const { c, connected } = await RawStomp.connected(port, { "heart-beat": "5000000000,5000000000" });
    expect(connected.headers["heart-beat"]).toBe("5000000000,5000000000");
    // an overflowed interval would fire every 1 ms; a receipt is a turn later, the warning's tick before it
    c.send("DISCONNECT", { receipt: "long" });
    expect((await c.next()).headers["receipt-id"]).toBe("long");
    await new Promise((r) => setImmediate(r));
    expect(overflows()).toEqual([]);
    c.close();
  });

  it("refuses frames before CONNECT", async () => {
    const c = await RawStomp.open(port);
    c.send("SEND", { destination: "/queue/x" }, "hi");
    const f = await c.next();
    expect(f.headers["message"]).toBe("Illegal command");
    c.close();
  });
});

describe("STOMP frames", () => {
  it("sends a RECEIPT for a frame that asks and for DISCONNECT, then closes", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("SEND", { destination: "/queue/raw-receipt", receipt: "r1" }, "x");
    expect((await c.next()).headers["receipt-id"]).toBe("r1");
    c.send("DISCONNECT", { receipt: "bye" });
    const f = await c.next();
    expect(f.command).toBe("RECEIPT");
    expect(f.headers["receipt-id"]).toBe("bye");
    await c.waitClosed();
  });

  it("carries binary bodies with NULs end to end, with content-length", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("SUBSCRIBE", { destination: "/queue/raw-binary", id: "s1", receipt: "sub" });
    await c.next();
    const body = Buffer.from([1, 0, 2, 0, 0, 3]);
    c.send("SEND", { destination: "/queue/raw-binary", "content-type": "application/octet-stream" }, body);
    const m = await c.next();
    expect(m.command).toBe("MESSAGE");
    expect(m.body.equals(body)).toBe(true);
    expect(m.headers["content-length"]).toBe("6");
    expect(m.headers["subscription"]).toBe("s1");
    expect(m.headers["destination"]).toBe("/queue/raw-binary");
    expect(m.headers["message-id"]).toBeTruthy();
    expect(m.headers["content-type"]).toBe("application/octet-stream");
    c.close();
  });

  it("maps message headers both ways as RabbitMQ does", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("SUBSCRIBE", { destination: "/queue/raw-headers", id: "s1", receipt: "sub" });
    await c.next();
    c.send(
      "SEND",
      {
        destination: "/queue/raw-headers",
        persistent: "true",
        priority: "5",
        "correlation-id": "c1",
        "reply-to": "/queue/r",
        expiration: "60000",
        "amqp-message-id": "m1",
        timestamp: "1700000000",
        type: "t",
        "app-id": "a",
        "x-custom": "v",
        "content-encoding": "gzip",
      },
      "x",
    );
    const m = await c.next();
    expect(m.headers).toMatchObject({
      persistent: "true",
      priority: "5",
      "correlation-id": "c1",
      "reply-to": "/queue/r",
      expiration: "60000",
      "amqp-message-id": "m1",
      timestamp: "1700000000",
      type: "t",
      "app-id": "a",
      "x-custom": "v",
      "content-encoding": "gzip",
    });
    c.close();
  });
});

describe("STOMP 1.0", () => {
  it("trims header values and acks by message-id", async () => {
    const { c } = await RawStomp.connected(port, { "accept-version": "1.0" });
    c.send("SUBSCRIBE", { destination: " /queue/v10 ", ack: "client", receipt: "r" }, null, "1.0");
    expect((await c.next()).command).toBe("RECEIPT");
    c.send("SEND", { destination: "/queue/v10" }, "old", "1.0");
    const m = await c.next();
    expect(m.headers["subscription"]).toBe("/queue/v10");
    expect(m.headers["ack"]).toBeUndefined();
    c.send("ACK", { "message-id": m.headers["message-id"]!, receipt: "a" }, null, "1.0");
    expect((await c.next()).headers["receipt-id"]).toBe("a");
    c.close();
  });
});

describe("STOMP bad input", () => {
  const expectError = async (c: RawStomp, message: string) => {
    const f = await c.next();
    expect(f.command).toBe("ERROR");
    expect(f.headers["message"]).toBe(message);
    return f;
  };

  it("answers an unknown command with an ERROR", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("FROB");
    await expectError(c, "Bad command");
    c.close();
  });

  it("answers SEND without destination, and to an unknown destination type", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("SEND", {}, "x");
    await expectError(c, "Missing destination");
    c.send("SEND", { destination: "/nowhere/x" }, "x");
    const f = await expectError(c, "Unknown destination");
    expect(f.body.toString()).toContain("'/nowhere/x' is not a valid destination");
    c.send("SEND", { destination: "/queue/" }, "x");
    await expectError(c, "Invalid destination");
    c.close();
  });

  it("answers SEND to a missing exchange with not_found and closes", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("SEND", { destination: "/exchange/missing/k" }, "x");
    const f = await expectError(c, "not_found");
    expect(f.body.toString()).toBe("NOT_FOUND - no exchange 'missing' in vhost '/'");
    await c.waitClosed();
  });

  it("answers an ACK of an unknown subscription, and closes on an unknown delivery of a known one", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("ACK", { id: "T_x@@session-y@@42" });
    const e = await expectError(c, "Subscription not found");
    expect(e.body.toString()).toBe('Message with id "T_x@@session-y@@42" has no subscription');
    c.send("ACK", {});
    await expectError(c, "Missing header");
    c.send("ACK", { id: "garbage" });
    await expectError(c, "Invalid header");
    c.send("SUBSCRIBE", { destination: "/queue/ack-unknown", id: "s", ack: "client" });
    c.send("ACK", { id: "T_s@@session-y@@999" });
    const p = await expectError(c, "precondition_failed");
    expect(p.body.toString()).toBe("PRECONDITION_FAILED - unknown delivery tag 999");
    await c.waitClosed();
  });

  it("refuses message-id on SEND as RabbitMQ does", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("SEND", { destination: "/queue/x", "message-id": "m" }, "x");
    const e = await expectError(c, "Invalid header");
    expect(e.body.toString()).toBe("'message-id' is not allowed on 'SEND'.\n");
    c.close();
  });

  it("closes on a bad escape, an oversize body and garbage, never crashing", async () => {
    for (const bytes of [
      "SEND\ndestination:/queue/a\nk:bad\\tescape\n\n\0",
      `SEND\ndestination:/queue/a\ncontent-length:${2 ** 40}\n\n`,
      "SEND\ndestination:/queue/a\ncontent-length:1\n\nxy\0",
      "SEND\nno colon here\n\n\0",
    ]) {
      const { c } = await RawStomp.connected(port);
      c.write(bytes);
      await expectError(c, "Invalid frame");
      await c.waitClosed();
    }
    const { c } = await RawStomp.connected(port);
    expect(broker.connectionCount()).toBeGreaterThan(0);
    c.close();
  });

  it("refuses a duplicate subscription id and closes, as RabbitMQ does", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("SUBSCRIBE", { destination: "/queue/dup", id: "a" });
    c.send("SUBSCRIBE", { destination: "/queue/dup", id: "a" });
    await expectError(c, "Duplicated subscription identifier");
    await c.waitClosed();
  });

  it("answers COMMIT of an unknown transaction", async () => {
    const { c } = await RawStomp.connected(port);
    c.send("COMMIT", { transaction: "nope" });
    await expectError(c, "Bad transaction");
    c.close();
  });
});

describe("STOMP acknowledgements from a client that holds back each frame's NUL", () => {
  // stompit without heart-beats keeps Nagle on and writes an ACK and its NUL separately: the NUL
  // leaves only once this side answers. With the prefetch window full, the next MESSAGE is that
  // answer, so the ACK has to count before its NUL arrives.
  it("an ACK counts as soon as its headers end: the next MESSAGE comes before the NUL is sent", async () => {
    const { c } = await RawStomp.connected(port, {});
    c.send("SUBSCRIBE", { id: "s", destination: "/queue/nagle", ack: "client-individual", "prefetch-count": "1" });
    for (const body of ["one", "two"]) c.send("SEND", { destination: "/queue/nagle" }, body);
    const first = await c.take((f) => f.command === "MESSAGE", "the first MESSAGE");
    expect(first.body.toString()).toBe("one");
    c.write(`ACK\nid:${first.headers["ack"]}\n\n`);
    const second = await c.take((f) => f.command === "MESSAGE", "the second MESSAGE, before the first ACK's NUL", 2000);
    expect(second.body.toString()).toBe("two");
    c.write("\0");
    c.send("ACK", { id: second.headers["ack"]! });
    c.send("DISCONNECT", { receipt: "bye" });
    expect((await c.take((f) => f.command === "RECEIPT", "the receipt")).headers["receipt-id"]).toBe("bye");
    c.close();
  });

  // That NUL then travels alone, and nothing answers it: this side's kernel would delay its TCP
  // ACK by ~40 ms, holding the client's next (Nagle-buffered) ACK frames behind it.
  it("a read that carries only an ACK's NUL is answered with a heart-beat EOL (1.1 and later)", async () => {
    const { c } = await RawStomp.connected(port, {});
    c.send("SUBSCRIBE", { id: "s", destination: "/queue/nagle-eol", ack: "client-individual", "prefetch-count": "1" });
    for (const body of ["one", "two"]) c.send("SEND", { destination: "/queue/nagle-eol" }, body);
    const first = await c.take((f) => f.command === "MESSAGE", "the first MESSAGE");
    c.write(`ACK\nid:${first.headers["ack"]}\n\n`);
    // the second MESSAGE answers the ACK's headers; nothing is left to answer the NUL with
    await c.take((f) => f.command === "MESSAGE", "the second MESSAGE");
    c.write("\0");
    await c.waitBytes(1, 2000);
    c.close();
  });

  // With room left in the window, no MESSAGE is waiting on the client's ACKs: the EOL goes anyway.
  it("a lone NUL is answered with an EOL when the window has room and no MESSAGE follows", async () => {
    const { c } = await RawStomp.connected(port, {});
    c.send("SUBSCRIBE", { id: "s", destination: "/queue/nagle-eol-room", ack: "client-individual", "prefetch-count": "100" });
    c.send("SEND", { destination: "/queue/nagle-eol-room" }, "one");
    const first = await c.take((f) => f.command === "MESSAGE", "the MESSAGE");
    // the RECEIPT answers the ACK's headers (and shows they were read apart from the NUL)
    c.write(`ACK\nid:${first.headers["ack"]}\nreceipt:r\n\n`);
    await c.take((f) => f.command === "RECEIPT", "the ACK's receipt");
    c.write("\0");
    await c.waitBytes(1, 2000);
    c.close();
  });

  it("STOMP 1.0 has no heart-beats: the lone NUL gets no EOL", async () => {
    const { c } = await RawStomp.connected(port, { "accept-version": "1.0" });
    c.send("SUBSCRIBE", { id: "s", destination: "/queue/nagle-10", ack: "client" }, null, "1.0");
    c.send("SEND", { destination: "/queue/nagle-10" }, "one", "1.0");
    const first = await c.take((f) => f.command === "MESSAGE", "the MESSAGE");
    c.write(`ACK\nmessage-id:${first.headers["message-id"]}\n\n`);
    c.write("\0");
    const before = c.bytesIn;
    c.send("DISCONNECT", { receipt: "bye" }, null, "1.0");
    const receipt = await c.take((f) => f.command === "RECEIPT", "the receipt");
    expect(receipt.headers["receipt-id"]).toBe("bye");
    expect(c.bytesIn - before).toBe("RECEIPT\nreceipt-id:bye\n\n\0".length);
    c.close();
  });
});
