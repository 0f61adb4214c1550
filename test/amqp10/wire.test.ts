import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import {
  writeAttach,
  writeBegin,
  writeClose,
  writeEnd,
  writeFlow,
  writeOpen,
  writeProperties,
  writeTransfer,
} from "../../protocols/amqp10/codec/types.generated.js";
import { AMQP10_HEADER, expectHeader, frameBytes, RawPeer } from "./raw.js";
import { AmqpMap, Writer } from "../../protocols/amqp10/codec/primitives.js";

let broker: RunningBroker;
let port: number;
beforeAll(async () => {
  // heartbeat 1 s: our idle-time-out is 1000 ms, a silent peer is closed after 2 s
  broker = await startBroker({
    amqp: { port: 0 },
    stomp: false,
    webStomp: false,
    mqtt: false,
    webMqtt: false,
    heartbeat: 1,
    logLevel: "silent",
  });
  port = broker.ports.amqp!;
});
afterAll(() => broker.close());

const open =
  (extra: Partial<Parameters<typeof writeOpen>[1]> = {}) =>
  (w: Parameters<typeof writeOpen>[0]) =>
    writeOpen(w, { containerId: "raw", ...extra });

describe("AMQP 1.0 on the AMQP port", () => {
  it("a header split across writes is still told apart from 0-9-1's", async () => {
    const p = await RawPeer.open(port);
    p.write(AMQP10_HEADER.subarray(0, 3));
    await new Promise((r) => setImmediate(r));
    p.write(AMQP10_HEADER.subarray(3));
    expectHeader(await p.bytes(8));
    p.destroy();
  });

  it("an unknown AMQP 1.0-like header (AMQP 2 1 0 0) gets AMQP 0-9-1's header and a close", async () => {
    const s = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    s.on("data", (d) => (data = Buffer.concat([data, d])));
    await new Promise<void>((resolve) => s.once("connect", () => resolve()));
    s.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 2, 1, 0, 0]));
    await new Promise<void>((resolve) => s.once("close", () => resolve()));
    expect(data.toString("hex")).toBe(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]).toString("hex"));
  });

  it("open agrees frame size, channel-max and idle-time-out", async () => {
    const p = await RawPeer.open(port);
    p.write(AMQP10_HEADER);
    expectHeader(await p.bytes(8));
    p.frame(0, open({ maxFrameSize: 4096, channelMax: 7 }));
    const reply = await p.next();
    expect(reply).toMatchObject({ kind: "open", maxFrameSize: 131072, channelMax: 7, idleTimeOut: 1000 });
    p.destroy();
  });

  it("a max-frame-size below 512 is refused with amqp:frame-size-too-small", async () => {
    const p = await RawPeer.open(port);
    p.write(AMQP10_HEADER);
    expectHeader(await p.bytes(8));
    p.frame(0, open({ maxFrameSize: 100 }));
    expect((await p.next())?.kind).toBe("open");
    expect(await p.next()).toMatchObject({ kind: "close", error: { condition: "amqp:frame-size-too-small" } });
    await p.untilClosed();
  });

  it("a frame that does not decode closes with amqp:decode-error", async () => {
    const p = await RawPeer.opened(port, open());
    p.write(Buffer.from([0, 0, 0, 12, 2, 0, 0, 0, 0x00, 0x53, 0x13, 0xff]));
    expect(await p.next()).toMatchObject({ kind: "close", error: { condition: "amqp:decode-error" } });
    await p.untilClosed();
  });

  it("a frame larger than our max-frame-size closes with amqp:connection:framing-error before its bytes come", async () => {
    const p = await RawPeer.opened(port, open());
    p.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 2, 0, 0, 0]));
    expect(await p.next()).toMatchObject({ kind: "close", error: { condition: "amqp:connection:framing-error" } });
    await p.untilClosed();
  });

  it("a performative on a channel with no session closes with amqp:not-allowed", async () => {
    const p = await RawPeer.opened(port, open());
    p.frame(3, (w) => writeFlow(w, { incomingWindow: 1, nextOutgoingId: 0, outgoingWindow: 1 }));
    expect(await p.next()).toMatchObject({ kind: "close", error: { condition: "amqp:not-allowed" } });
    await p.untilClosed();
  });

  it("sends heartbeats at half the peer's idle-time-out and closes a silent peer after twice its own", async () => {
    const p = await RawPeer.opened(port, open({ idleTimeOut: 200 }));
    expect(await p.countHeartbeats(700)).toBeGreaterThanOrEqual(3);
    // silent since the open: closed with the spec's condition once 2 × 1000 ms have passed
    const close = await p.next(4000);
    expect(close).toMatchObject({
      kind: "close",
      error: { condition: "amqp:resource-limit-exceeded", description: "local-idle-timeout expired" },
    });
  });

  it("a peer that sends heartbeats is not closed", async () => {
    const p = await RawPeer.opened(port, open());
    const beat = setInterval(() => p.write(Buffer.from([0, 0, 0, 8, 2, 0, 0, 0])), 300);
    try {
      await new Promise((r) => setTimeout(r, 2600));
      expect(p.closed).toBe(false);
      p.frame(0, (w) => writeClose(w, {}));
      expect((await p.next())?.kind).toBe("close");
    } finally {
      clearInterval(beat);
    }
  });

  it("an aborted multi-frame transfer publishes nothing; the next delivery goes through", async () => {
    const vhost = broker.core.vhost("/");
    if (!("declareQueue" in vhost)) throw vhost;
    vhost.declareQueue("raw-abort", { durable: false }, null);
    const p = await RawPeer.opened(port, open());
    p.frame(0, (w) => writeBegin(w, { nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 }));
    expect((await p.next())?.kind).toBe("begin");
    p.frame(0, (w) =>
      writeAttach(w, {
        name: "s",
        handle: 0,
        role: false,
        sndSettleMode: 1,
        target: { kind: "target", address: "/amq/queue/raw-abort" },
        initialDeliveryCount: 0,
      }),
    );
    expect((await p.next())?.kind).toBe("attach");
    expect((await p.next())?.kind).toBe("flow");
    const data = (s: string) => Buffer.concat([Buffer.from([0x00, 0x53, 0x75, 0xa0, s.length]), Buffer.from(s)]);
    const tag = Buffer.from([1]);
    p.write(
      frameBytes(0, (w) => writeTransfer(w, { handle: 0, deliveryId: 0, deliveryTag: tag, settled: true, more: true }), data("part")),
    );
    p.write(frameBytes(0, (w) => writeTransfer(w, { handle: 0, aborted: true })));
    p.write(frameBytes(0, (w) => writeTransfer(w, { handle: 0, deliveryId: 1, deliveryTag: tag, settled: true }), data("whole")));
    const q = vhost.queue("raw-abort", null);
    if (!("messageCount" in q)) throw q;
    const deadline = Date.now() + 3000;
    while (q.messageCount < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(q.messageCount).toBe(1);
    expect(q.get(true)?.message.body.toString()).toBe("whole");
    p.destroy();
  });

  it("answers the unsettled transfers of one read with one disposition per run of accepted ids, in order", async () => {
    const vhost = broker.core.vhost("/");
    if (!("declareQueue" in vhost)) throw vhost;
    vhost.declareQueue("raw-runs", { durable: false }, null);
    const p = await RawPeer.opened(port, open());
    p.frame(0, (w) => writeBegin(w, { nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 }));
    expect((await p.next())?.kind).toBe("begin");
    // an anonymous target: each message's `to` names its queue, so one can name none
    p.frame(0, (w) => writeAttach(w, { name: "s", handle: 0, role: false, target: { kind: "target" }, initialDeliveryCount: 0 }));
    expect((await p.next())?.kind).toBe("attach");
    expect((await p.next())?.kind).toBe("flow");
    const message = (to: string) => {
      const w = new Writer();
      writeProperties(w, { to });
      return Buffer.concat([w.take(), Buffer.from([0x00, 0x53, 0x75, 0xa0, 1, 0x78])]);
    };
    // ids 0-2 and 4-6 reach the queue, 3 names an exchange that does not exist: all in one write
    const frames: Buffer[] = [];
    for (let id = 0; id < 7; id++) {
      const to = id === 3 ? "/exchange/raw-runs-missing/k" : "/amq/queue/raw-runs";
      frames.push(frameBytes(0, (w) => writeTransfer(w, { handle: 0, deliveryId: id, deliveryTag: Buffer.from([id]) }), message(to)));
    }
    p.write(Buffer.concat(frames));
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const f = await p.next();
      if (f?.kind !== "disposition") throw new Error(`expected a disposition, got ${JSON.stringify(f)}`);
      expect(f.role).toBe(true);
      expect(f.settled).toBe(true);
      got.push(`${f.first}-${f.last ?? f.first} ${f.state?.kind}`);
    }
    expect(got).toEqual(["0-2 accepted", "3-3 rejected", "4-6 accepted"]);
    const q = vhost.queue("raw-runs", null);
    if (!("messageCount" in q)) throw q;
    expect(q.messageCount).toBe(6);
    p.destroy();
  });

  it("a session we end with an error drops the client's frames until its end answers; the channel can begin again", async () => {
    const p = await RawPeer.opened(port, open());
    const begin = (w: Parameters<typeof writeBegin>[0]) => writeBegin(w, { nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 });
    p.frame(0, begin);
    expect((await p.next())?.kind).toBe("begin");
    p.frame(0, (w) => writeTransfer(w, { handle: 9, deliveryId: 0, deliveryTag: Buffer.from([1]) }));
    expect(await p.next()).toMatchObject({ kind: "end", error: { condition: "amqp:session:unattached-handle" } });
    // sent before the client saw our end: dropped, not a connection error
    p.frame(0, (w) => writeFlow(w, { incomingWindow: 1, nextOutgoingId: 0, outgoingWindow: 1, handle: 9, linkCredit: 1 }));
    p.frame(0, (w) => writeEnd(w, {}));
    p.frame(0, begin);
    expect(await p.next()).toMatchObject({ kind: "begin", remoteChannel: 0 });
    p.destroy();
  });

  describe("link recovery and dynamic targets are refused as RabbitMQ refuses them: the session ends with amqp:not-implemented", () => {
    const source = { kind: "source" as const, address: "/queue/wire-resume" };
    const target = { kind: "target" as const, address: "/queue/wire-resume" };
    const unsettled = new AmqpMap([[Buffer.from("tag-1"), null]]);
    it.each([
      ["a receiver with an unsettled map", { role: true, source, unsettled }, "Link recovery not supported"],
      ["a sender with an unsettled map", { role: false, target, initialDeliveryCount: 0, unsettled }, "Link recovery not supported"],
      ["incomplete-unsettled", { role: true, source, incompleteUnsettled: true }, "Link recovery not supported"],
      [
        "a dynamic target",
        { role: false, target: { kind: "target" as const, dynamic: true }, initialDeliveryCount: 0 },
        "Dynamic targets not supported",
      ],
    ])("%s", async (_label, fields, description) => {
      const p = await RawPeer.opened(port, open());
      const begin = (w: Parameters<typeof writeBegin>[0]) => writeBegin(w, { nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 });
      p.frame(0, begin);
      expect((await p.next())?.kind).toBe("begin");
      p.frame(0, (w) => writeAttach(w, { name: "resumed", handle: 0, ...fields }));
      expect(await p.next()).toMatchObject({ kind: "end", error: { condition: "amqp:not-implemented", description } });
      // the connection goes on: the same link attached afresh (an empty unsettled map is no recovery) works
      p.frame(0, (w) => writeEnd(w, {}));
      p.frame(0, begin);
      expect((await p.next())?.kind).toBe("begin");
      p.frame(0, (w) => writeAttach(w, { name: "resumed", handle: 0, role: true, source, unsettled: new AmqpMap([]) }));
      expect(await p.next()).toMatchObject({ kind: "attach", source: { address: "/queue/wire-resume" } });
      p.destroy();
    });
  });
});
