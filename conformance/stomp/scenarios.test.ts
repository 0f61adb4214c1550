// STOMP scenarios that must behave the same on RabbitMQ 3.10 (rabbitmq_stomp) and on Warren.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { RawStomp } from "./raw-client.js";
import { type StompBrokerUnderTest, useStompBroker } from "./target.js";

let target: StompBrokerUnderTest;
const open: RawStomp[] = [];
/** Names unique per run so an external broker shared between runs starts clean. */
const unique = (s: string) => `conf-${s}-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  target = await useStompBroker();
});
afterAll(async () => {
  for (const c of open) c.close();
  await target.close();
});

async function client(headers: Record<string, string> = {}) {
  const r = await RawStomp.connected(target.port, headers, target.host);
  open.push(r.c);
  return r;
}

describe("STOMP conformance", () => {
  it("CONNECT negotiates 1.2 and names a session", async () => {
    const { connected } = await client({ "accept-version": "1.0,1.1,1.2" });
    expect(connected.command).toBe("CONNECTED");
    expect(connected.headers["version"]).toBe("1.2");
    expect(connected.headers["session"]).toBeTruthy();
    expect(connected.headers["server"]).toBeTruthy();
  });

  it("refuses a wrong passcode with ERROR message 'Bad CONNECT'", async () => {
    const c = await RawStomp.open(target.port, target.host);
    open.push(c);
    c.send("CONNECT", { "accept-version": "1.2", host: "/", login: "guest", passcode: "wrong" });
    const f = await c.next();
    expect(f.command).toBe("ERROR");
    expect(f.headers["message"]).toBe("Bad CONNECT");
    expect(f.body.toString()).toContain("Access refused for user 'guest'");
  });

  it("a /queue round trip with a receipt, MESSAGE headers as RabbitMQ sends them", async () => {
    const q = unique("q");
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s1", ack: "client-individual", receipt: "sub" });
    expect((await c.next()).headers["receipt-id"]).toBe("sub");
    c.send("SEND", { destination: `/queue/${q}`, "content-type": "text/plain", "x-custom": "v", receipt: "sent" }, "hello");
    const frames = [await c.next(), await c.next()];
    const m = frames.find((f) => f.command === "MESSAGE")!;
    expect(frames.some((f) => f.command === "RECEIPT" && f.headers["receipt-id"] === "sent")).toBe(true);
    expect(m.body.toString()).toBe("hello");
    expect(m.headers["destination"]).toBe(`/queue/${q}`);
    expect(m.headers["subscription"]).toBe("s1");
    expect(m.headers["content-type"]).toBe("text/plain");
    expect(m.headers["x-custom"]).toBe("v");
    // RabbitMQ keeps the SEND's receipt header on the message
    expect(m.headers["receipt"]).toBe("sent");
    expect(m.headers["redelivered"]).toBe("false");
    expect(m.headers["ack"]).toBe(m.headers["message-id"]);
    c.send("ACK", { id: m.headers["ack"]!, receipt: "acked" });
    expect((await c.next()).headers["receipt-id"]).toBe("acked");
  });

  it("NACK requeues: the message comes back redelivered", async () => {
    const q = unique("nack");
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s", ack: "client-individual" });
    c.send("SEND", { destination: `/queue/${q}` }, "again");
    const m = await c.next();
    c.send("NACK", { id: m.headers["ack"]! });
    const m2 = await c.next();
    expect(m2.body.toString()).toBe("again");
    expect(m2.headers["redelivered"]).toBe("true");
  });

  it("/topic fans out to every subscriber, wildcards included", async () => {
    const k = unique("t").replace(/-/g, "");
    const subs = await Promise.all([client(), client()]);
    subs[0]!.c.send("SUBSCRIBE", { destination: `/topic/${k}.a`, id: "1", receipt: "r" });
    subs[1]!.c.send("SUBSCRIBE", { destination: `/topic/${k}.*`, id: "1", receipt: "r" });
    for (const s of subs) await s.c.next();
    const { c: pub } = await client();
    pub.send("SEND", { destination: `/topic/${k}.a` }, "fan");
    for (const s of subs) {
      const m = await s.c.next();
      expect(m.body.toString()).toBe("fan");
      expect(m.headers["destination"]).toBe(`/topic/${k}.a`);
    }
  });

  it("transactions: nothing is delivered before COMMIT, ABORT drops", async () => {
    const q = unique("tx");
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s", receipt: "r" });
    await c.next();
    c.send("BEGIN", { transaction: "a" });
    c.send("SEND", { destination: `/queue/${q}`, transaction: "a" }, "dropped");
    c.send("ABORT", { transaction: "a" });
    c.send("BEGIN", { transaction: "b" });
    c.send("SEND", { destination: `/queue/${q}`, transaction: "b" }, "kept");
    c.send("COMMIT", { transaction: "b", receipt: "committed" });
    const frames = [await c.next(), await c.next()];
    const messages = frames.filter((f) => f.command === "MESSAGE").map((f) => f.body.toString());
    expect(messages).toEqual(["kept"]);
  });

  it("temp-queue reply-to is rewritten and the reply arrives on the temp subscription", async () => {
    const q = unique("rpc");
    const { c: server } = await client();
    server.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "srv", receipt: "r" });
    await server.next();
    const { c: caller } = await client();
    caller.send("SEND", { destination: `/queue/${q}`, "reply-to": "/temp-queue/replies" }, "ping");
    const req = await server.next();
    expect(req.headers["reply-to"]).toMatch(/^\/reply-queue\//);
    server.send("SEND", { destination: req.headers["reply-to"]! }, "pong");
    const rep = await caller.next();
    expect(rep.body.toString()).toBe("pong");
    expect(rep.headers["subscription"]).toBe("/temp-queue/replies");
  });

  it("ACK of a delivery tag the subscription never had: ERROR precondition_failed, then the server closes", async () => {
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${unique("ack")}`, id: "s", ack: "client" });
    c.send("ACK", { id: "T_s@@session-none@@999" });
    const f = await c.next();
    expect(f.headers["message"]).toBe("precondition_failed");
    expect(f.body.toString()).toBe("PRECONDITION_FAILED - unknown delivery tag 999");
    await c.waitClosed();
  });

  it("errors that end no channel leave the connection usable", async () => {
    const { c } = await client();
    c.send("FROB");
    const f = await c.next();
    expect(f.headers["message"]).toBe("Bad command");
    expect(f.body.toString()).toBe('Could not interpret command "FROB"\n');
    c.send("COMMIT", { transaction: "none" });
    const t = await c.next();
    expect(t.headers["message"]).toBe("Bad transaction");
    expect(t.body.toString()).toBe('Invalid transaction identifier: "none"\n');
    c.send("UNSUBSCRIBE", { id: "none", receipt: "u" });
    const u = await c.next();
    expect(u.headers["message"]).toBe("No subscription found");
    expect(u.body.toString()).toBe("UNSUBSCRIBE must refer to an existing subscription.\nSubscription to \"id='none'\" not found.\n");
    c.send("DISCONNECT", { receipt: "still-here" });
    expect((await c.next()).headers["receipt-id"]).toBe("still-here");
  });

  it("a missing exchange is not_found and ends the connection", async () => {
    const { c } = await client();
    c.send("SEND", { destination: `/exchange/${unique("nox")}/k` }, "x");
    const f = await c.next();
    expect(f.headers["message"]).toBe("not_found");
    expect(f.body.toString()).toMatch(/^NOT_FOUND - no exchange 'conf-nox-[0-9a-f]+' in vhost '\/'$/);
    await c.waitClosed();
  });

  it('an error text over 255 bytes is cut as AMQP cuts it: 252 bytes, even mid-character, and "..."', async () => {
    const { c } = await client();
    // "NOT_FOUND - no queue '" is 22 bytes; 181 more ASCII bytes put byte 252 inside an "é"
    const name = `${"a".repeat(181)}${"é".repeat(30)}`;
    c.send("SUBSCRIBE", { id: "1", destination: `/amq/queue/${name}` });
    const f = await c.next();
    expect(f.headers["message"]).toBe("not_found");
    const full = Buffer.from(`NOT_FOUND - no queue '${name}' in vhost '/'`);
    expect(f.body).toEqual(Buffer.concat([full.subarray(0, 252), Buffer.from("...")]));
    await c.waitClosed();
  });

  it("heart-beat is answered mirrored: the server sends at the client's wanted rate", async () => {
    const { connected } = await client({ "heart-beat": "5000,7000" });
    expect(connected.headers["heart-beat"]).toBe("7000,5000");
  });

  it("heart-beats are whole seconds, at least one", async () => {
    const { connected } = await client({ "heart-beat": "100,1500" });
    expect(connected.headers["heart-beat"]).toBe("1000,1000");
  });

  it("a durable topic subscription (persistent, auto-delete:false) keeps messages while its subscriber is away", async () => {
    const topic = `/topic/${unique("dur").replace(/-/g, "")}`;
    const id = unique("id");
    const sub = { destination: topic, id, persistent: "true", "auto-delete": "false", receipt: "r" };
    const { c: a } = await client();
    a.send("SUBSCRIBE", sub);
    await a.next();
    a.send("DISCONNECT", { receipt: "bye" });
    await a.next();
    const { c: pub } = await client();
    pub.send("SEND", { destination: topic, receipt: "p" }, "while-away");
    await pub.next();
    const { c: b } = await client();
    b.send("SUBSCRIBE", sub);
    const frames = [await b.next(), await b.next()];
    expect(frames.find((f) => f.command === "MESSAGE")?.body.toString()).toBe("while-away");
    b.send("UNSUBSCRIBE", { id, persistent: "true", receipt: "u" });
    expect((await b.next()).headers["receipt-id"]).toBe("u");
  });

  it("a session declares a /queue/ once: its own SENDs use the queue as its SUBSCRIBE declared it", async () => {
    const q = unique("nd");
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s", durable: "false", "auto-delete": "false", receipt: "r" });
    expect((await c.next()).command).toBe("RECEIPT");
    c.send("SEND", { destination: `/queue/${q}` }, "same-session");
    expect((await c.next()).body.toString()).toBe("same-session");
  });

  it("a queue name with a slash is an invalid destination", async () => {
    const { c } = await client();
    c.send("SEND", { destination: "/queue/a/b" }, "x");
    const f = await c.next();
    expect(f.headers["message"]).toBe("Invalid destination");
    expect(f.body.toString()).toBe("'/a/b' is not a valid queue destination\n");
  });

  it("an unknown destination type gets ERROR 'Unknown destination'", async () => {
    const { c } = await client();
    c.send("SEND", { destination: "/bogus/x" }, "x");
    const f = await c.next();
    expect(f.command).toBe("ERROR");
    expect(f.headers["message"]).toBe("Unknown destination");
  });

  it("SEND without destination gets ERROR 'Missing destination'", async () => {
    const { c } = await client();
    c.send("SEND", {}, "x");
    const f = await c.next();
    expect(f.headers["message"]).toBe("Missing destination");
  });

  it("a body with NULs survives with content-length", async () => {
    const q = unique("bin");
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s", receipt: "r" });
    await c.next();
    const body = Buffer.from([0, 1, 0, 2]);
    c.send("SEND", { destination: `/queue/${q}` }, body);
    const m = await c.next();
    expect(m.body.equals(body)).toBe(true);
  });

  it("DISCONNECT with a receipt gets the RECEIPT, then the server closes", async () => {
    const { c } = await client();
    c.send("DISCONNECT", { receipt: "bye" });
    expect((await c.next()).headers["receipt-id"]).toBe("bye");
    await c.waitClosed();
  });
});

describe("STOMP conformance: properties checked, headers required, escapes, flow", () => {
  it("user-id must be the logged-in user: a match passes through, another name is precondition_failed and closes", async () => {
    const q = unique("uid");
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s", receipt: "r" });
    await c.next();
    c.send("SEND", { destination: `/queue/${q}`, "user-id": "guest" }, "mine");
    expect((await c.next()).headers["user-id"]).toBe("guest");
    c.send("SEND", { destination: `/queue/${q}`, "user-id": "bob" }, "forged");
    const f = await c.next();
    expect(f.command).toBe("ERROR");
    expect(f.headers["message"]).toBe("precondition_failed");
    expect(f.body.toString()).toBe("PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'");
    await c.waitClosed();
  });

  it("an expiration that is not a non-negative integer is precondition_failed and closes", async () => {
    const { c } = await client();
    c.send("SEND", { destination: `/queue/${unique("exp")}`, expiration: "soon" }, "x");
    const f = await c.next();
    expect(f.headers["message"]).toBe("precondition_failed");
    expect(f.body.toString()).toBe("PRECONDITION_FAILED - invalid expiration 'soon': no_integer");
    await c.waitClosed();
  });

  it("frames missing a required header get ERRORs in RabbitMQ's words", async () => {
    const { c } = await client();
    c.send("SUBSCRIBE", { id: "s" });
    let f = await c.next();
    expect(f.headers["message"]).toBe("Missing destination");
    expect(f.body.toString()).toBe(`"SUBSCRIBE" must include a 'destination' header\n`);
    c.send("BEGIN", {});
    f = await c.next();
    expect(f.headers["message"]).toBe("Missing transaction");
    expect(f.body.toString()).toBe(`"BEGIN" must include a 'transaction' header\n`);
    c.send("ACK", {});
    f = await c.next();
    expect(f.headers["message"]).toBe("Missing header");
    expect(f.body.toString()).toBe(`"ACK" must include the "id" header\n`);
    // a 1.1 session names the ACK header of its version
    const { c: old } = await client({ "accept-version": "1.1" });
    old.send("ACK", {});
    f = await old.next();
    expect(f.headers["message"]).toBe("Missing header");
    expect(f.body.toString()).toBe(`"ACK" must include the "message-id" header\n`);
  });

  it("a vhost the user cannot open is 'Bad CONNECT'", async () => {
    const c = await RawStomp.open(target.port, target.host);
    open.push(c);
    c.send("CONNECT", { "accept-version": "1.2", host: unique("novhost"), login: "guest", passcode: "guest" });
    const f = await c.next();
    expect(f.command).toBe("ERROR");
    expect(f.headers["message"]).toBe("Bad CONNECT");
    expect(f.body.toString()).toMatch(/^Virtual host 'conf-novhost-[0-9a-f]+' access denied$/);
  });

  it("UNSUBSCRIBE without id or destination, SUBSCRIBE to a /temp-queue/ and NACK of a malformed id get RabbitMQ's ERRORs", async () => {
    const { c } = await client();
    c.send("UNSUBSCRIBE", {});
    let f = await c.next();
    expect(f.headers["message"]).toBe("Missing destination or id");
    expect(f.body.toString()).toBe("UNSUBSCRIBE must include a 'destination' or 'id' header");
    c.send("SUBSCRIBE", { destination: "/temp-queue/x", id: "t" });
    f = await c.next();
    expect(f.headers["message"]).toBe("Invalid destination");
    expect(f.body.toString()).toBe("'/temp-queue/x' is not a valid destination for 'SUBSCRIBE'\n");
    c.send("NACK", { id: "bogus" });
    f = await c.next();
    expect(f.headers["message"]).toBe("Invalid header");
    expect(f.body.toString()).toBe(`"NACK" must include a valid "id" header\n`);
  });

  it("escaped header names and values round-trip: \\c \\n \\\\ in 1.1, \\r too in 1.2", async () => {
    for (const version of ["1.1", "1.2"] as const) {
      const q = unique(`esc${version.replace(".", "")}`);
      const { c } = await client({ "accept-version": version });
      c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s", receipt: "r" }, null, version);
      await c.next();
      const value = version === "1.2" ? "a:b\nc\\d\re" : "a:b\nc\\d";
      c.send("SEND", { destination: `/queue/${q}`, "x-k:y": value }, "x", version);
      const m = await c.next();
      expect(m.headers["x-k:y"]).toBe(value);
    }
  });

  it("prefetch-count bounds unacked deliveries: the second message waits for the first one's ACK", async () => {
    const q = unique("pf");
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s", ack: "client-individual", "prefetch-count": "1", receipt: "r" });
    await c.next();
    c.send("SEND", { destination: `/queue/${q}` }, "1");
    c.send("SEND", { destination: `/queue/${q}` }, "2");
    c.send("SEND", { destination: `/queue/${unique("pf-other")}`, receipt: "after" }, "x");
    const first = await c.next();
    expect(first.body.toString()).toBe("1");
    // the broker has handled both SENDs (the receipt after them), yet holds "2" back
    expect((await c.next()).headers["receipt-id"]).toBe("after");
    c.send("ACK", { id: first.headers["ack"]! });
    expect((await c.next()).body.toString()).toBe("2");
  });

  it("transactions cover NACK: an aborted NACK leaves the message unacked, a committed one requeues it", async () => {
    const q = unique("ntx");
    const { c } = await client();
    c.send("SUBSCRIBE", { destination: `/queue/${q}`, id: "s", ack: "client-individual", receipt: "r" });
    await c.next();
    c.send("SEND", { destination: `/queue/${q}` }, "m");
    const m = await c.next();
    c.send("BEGIN", { transaction: "a" });
    c.send("NACK", { id: m.headers["ack"]!, transaction: "a" });
    c.send("ABORT", { transaction: "a", receipt: "aborted" });
    // nothing came back: the next frame is the ABORT's receipt
    expect((await c.next()).headers["receipt-id"]).toBe("aborted");
    c.send("BEGIN", { transaction: "b" });
    c.send("NACK", { id: m.headers["ack"]!, transaction: "b" });
    c.send("COMMIT", { transaction: "b" });
    const again = await c.take((f) => f.command === "MESSAGE");
    expect(again.body.toString()).toBe("m");
    expect(again.headers["redelivered"]).toBe("true");
  });
});
