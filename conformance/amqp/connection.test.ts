// Connection handshake: connection.start's properties and capabilities, tune proposals and
// negotiation (heartbeat, frame_max), authentication (PLAIN, AMQPLAIN, refusals), vhosts.

import { describe, expect, it } from "vitest";
import amqplib from "amqplib";
import { AMQPClient } from "@cloudamqp/amqp-client";
import { conformanceSuite, expectFailure } from "./helpers.js";
import { FrameType, headerFrame, bodyFrame, M, Writer } from "./raw/codec.js";
import { RawConnection, ServerClosedError, parseAmqpUrl, type HandshakeOptions } from "./raw/connection.js";

const suite = conformanceSuite();

const CAPABILITIES = {
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  "basic.nack": true,
  consumer_cancel_notify: true,
  "connection.blocked": true,
  consumer_priorities: true,
  authentication_failure_close: true,
  per_consumer_qos: true,
  direct_reply_to: true,
};

const LOGIN_REFUSED = "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.";

/** The broker URL with other credentials or vhost. */
function urlWith(parts: { user?: string; pass?: string; vhost?: string }): string {
  const t = parseAmqpUrl(suite.url);
  const user = encodeURIComponent(parts.user ?? t.user);
  const pass = encodeURIComponent(parts.pass ?? t.pass);
  const vhost = encodeURIComponent(parts.vhost ?? t.vhost);
  return `amqp://${user}:${pass}@${t.host}:${t.port}/${vhost}`;
}

describe("connection.start", () => {
  it("offers AMQP 0-9, mechanisms PLAIN and AMQPLAIN, locale en_US", async () => {
    const raw = await suite.raw({ handshake: false });
    const { start } = await raw.handshake();
    expect([start.versionMajor, start.versionMinor]).toEqual([0, 9]);
    expect(start.mechanisms.split(" ").sort()).toEqual(["AMQPLAIN", "PLAIN"]);
    expect(start.locales).toBe("en_US");
  });

  it("server properties are product, version, platform, copyright, information, cluster_name as long strings plus a capabilities table", async () => {
    const raw = await suite.raw({ handshake: false });
    const { start } = await raw.handshake();
    const types = Object.fromEntries(Object.entries(start.serverProperties).map(([k, v]) => [k, v.type]));
    expect(types).toEqual({
      capabilities: "F",
      cluster_name: "S",
      copyright: "S",
      information: "S",
      platform: "S",
      product: "S",
      version: "S",
    });
    const caps = start.serverProperties.capabilities!;
    expect(caps.type).toBe("F");
    if (caps.type !== "F") return;
    expect(Object.fromEntries(Object.entries(caps.value).map(([k, v]) => [k, v.type]))).toEqual(
      Object.fromEntries(Object.keys(CAPABILITIES).map((k) => [k, "t"])),
    );
  });

  it("amqplib sees every RabbitMQ capability advertised as true", async () => {
    const conn = await suite.connect();
    const props = (conn as unknown as { connection: { serverProperties: Record<string, unknown> } }).connection.serverProperties;
    expect(props.capabilities).toEqual(CAPABILITIES);
    expect(typeof props.product).toBe("string");
    expect(props.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("connection.tune and negotiation", () => {
  it("proposes channel_max 2047, frame_max 131072 and heartbeat 60", async () => {
    const raw = await suite.raw({ handshake: false });
    const { tune } = await raw.handshake();
    expect(tune).toEqual({ channelMax: 2047, frameMax: 131072, heartbeat: 60 });
  });

  it("honours a client's lower heartbeat: with heartbeat=1 the server sends heartbeat frames", async () => {
    const raw = await suite.raw({ heartbeat: 1 });
    const t0 = Date.now();
    const first = await raw.nextFrame(3_000);
    const second = await raw.nextFrame(3_000);
    expect([first.type, first.channel, first.payload.length]).toEqual([FrameType.HEARTBEAT, 0, 0]);
    expect([second.type, second.channel]).toEqual([FrameType.HEARTBEAT, 0]);
    // Two heartbeats this soon can only come from the negotiated 1 s interval, not the 60 s one.
    expect(Date.now() - t0).toBeLessThan(3_500);
  });

  it("closes the socket of a client that sends nothing for two heartbeat intervals, without connection.close", async () => {
    const raw = await suite.raw({ heartbeat: 1 });
    const bytes = await raw.bytesUntilClose(10_000);
    // Only heartbeat frames (8 bytes each) came before the socket closed.
    expect(bytes.length % 8).toBe(0);
    for (let i = 0; i < bytes.length; i += 8) expect(bytes.subarray(i, i + 8)).toEqual(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]));
  });

  it("honours a client's lower frame_max: a 10000-byte body is delivered in frames of at most 4096 bytes", async () => {
    const raw = await suite.raw({ frameMax: 4096 });
    await raw.openChannel(1);
    raw.sendMethod(1, M.queueDeclare, new Writer().short(0).shortstr("").bits(false, false, true, true, false).table({}).done());
    const q = (await raw.expectMethod(M.queueDeclareOk)).shortstr();
    const body = Buffer.alloc(10_000, 7);
    raw.sendMethod(1, M.basicPublish, new Writer().short(0).shortstr("").shortstr(q).bits(false, false).done());
    raw.write(headerFrame(1, body.length));
    for (let i = 0; i < body.length; i += 4088) raw.write(bodyFrame(1, body.subarray(i, i + 4088)));
    raw.sendMethod(1, M.basicGet, new Writer().short(0).shortstr(q).bits(true).done());
    await raw.expectMethod(M.basicGetOk);
    const header = await raw.nextNonHeartbeat();
    expect(header.type).toBe(FrameType.HEADER);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < body.length) {
      const f = await raw.nextNonHeartbeat();
      expect(f.type).toBe(FrameType.BODY);
      expect(f.payload.length + 8).toBeLessThanOrEqual(4096);
      parts.push(f.payload);
      got += f.payload.length;
    }
    expect(Buffer.concat(parts).equals(body)).toBe(true);
  });

  it("amqplib and amqp-client negotiate the server's limits", async () => {
    const conn = await suite.connect({ heartbeat: 5, frameMax: 8192 });
    const c = (conn as unknown as { connection: { heartbeat: number; frameMax: number; channelMax: number } }).connection;
    expect([c.heartbeat, c.frameMax, c.channelMax]).toEqual([5, 8192, 2047]);
    const client = await suite.amqpClient();
    expect([client.frameMax, client.channelMax]).toEqual([8192, 2047]);
  });

  it("handshake failures close the socket without a close frame: bad tune-ok values, refused login without authentication_failure_close", async () => {
    // RabbitMQ logs the reason and closes the TCP connection (after a short delay) without
    // connection.close: frame_max above the server's, frame_max below the 4096 minimum,
    // channel_max above the server's, and a wrong password from a client that did not announce
    // the authentication_failure_close capability. Run together: each takes RabbitMQ ~3 s.
    const attempt = async (opts: HandshakeOptions) => {
      const raw = suite.track(await RawConnection.open(suite.url));
      return raw.handshake(opts).then(
        () => "opened",
        (e: unknown) => (e instanceof ServerClosedError ? `connection.close ${e.reason.replyCode}` : "socket closed"),
      );
    };
    expect(
      await Promise.all([
        attempt({ frameMax: 200_000 }),
        attempt({ frameMax: 1_000 }),
        attempt({ channelMax: 3_000 }),
        attempt({ pass: "wrong", capabilities: {} }),
      ]),
    ).toEqual(["socket closed", "socket closed", "socket closed", "socket closed"]);
  });
});

describe("authentication and vhosts", () => {
  it("before tune-ok frames are limited to 4096 bytes of payload: a larger start-ok gets the socket closed, no close frame", async () => {
    // the client properties are padded so that start-ok's frame payload is exactly `payload` bytes
    const startOkPayload = (padding: number) =>
      new Writer()
        .table({
          product: { type: "S", value: "warren-conformance-raw" },
          capabilities: {
            type: "F",
            value: { authentication_failure_close: { type: "t", value: true }, consumer_cancel_notify: { type: "t", value: true } },
          },
          padding: { type: "S", value: "x".repeat(padding) },
        })
        .shortstr("PLAIN")
        .longstr(`\u0000${parseAmqpUrl(suite.url).user}\u0000${parseAmqpUrl(suite.url).pass}`)
        .shortstr("en_US")
        .done().length + 4;
    const paddingFor = (payload: number) => payload - startOkPayload(0);
    expect(startOkPayload(paddingFor(4096))).toBe(4096);
    const attempt = async (payload: number) => {
      const raw = suite.track(await RawConnection.open(suite.url));
      return raw.handshake({ clientProperties: { padding: { type: "S", value: "x".repeat(paddingFor(payload)) } } }).then(
        () => "opened",
        (e: unknown) => (e instanceof ServerClosedError ? `connection.close ${e.reason.replyCode}` : "socket closed"),
      );
    };
    expect(await Promise.all([attempt(4096), attempt(4097), attempt(20_000)])).toEqual(["opened", "socket closed", "socket closed"]);
  });

  it("a wrong password is refused with 403 ACCESS_REFUSED (authentication_failure_close)", async () => {
    await expectFailure(amqplib.connect(urlWith({ pass: "wrong-password" })), 403, LOGIN_REFUSED);
  });

  it("an unknown user is refused with the same 403 text", async () => {
    const client = new AMQPClient(urlWith({ user: "no-such-user", pass: "x" }));
    await expectFailure(client.connect(), 403, LOGIN_REFUSED);
  });

  it("AMQPLAIN login is accepted", async () => {
    const raw = await suite.raw({ mechanism: "AMQPLAIN" });
    await raw.openChannel(1);
  });

  it("connection.open of an unknown vhost is refused with 530 NOT_ALLOWED", async () => {
    const raw = await suite.raw({ handshake: false });
    const err = await raw.handshake({ vhost: "xyz" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServerClosedError);
    expect((err as ServerClosedError).reason).toEqual({
      replyCode: 530,
      replyText: "NOT_ALLOWED - vhost xyz not found",
      classId: 10,
      methodId: 40,
    });
  });

  it("amqp-client sees the same 530 for an unknown vhost", async () => {
    await expectFailure(new AMQPClient(urlWith({ vhost: "no-such-vhost" })).connect(), 530, "NOT_ALLOWED - vhost no-such-vhost not found");
  });

  it("connection.open on an open connection closes it with 504 CHANNEL_ERROR", async () => {
    const raw = await suite.raw();
    raw.sendMethod(0, M.connectionOpen, new Writer().shortstr("/").shortstr("").bits(false).done());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 504,
      replyText: "CHANNEL_ERROR - unexpected method in connection state running",
      classId: 10,
      methodId: 40,
    });
  });

  it("connection.close from the client is answered with close-ok", async () => {
    const raw = await suite.raw();
    raw.sendMethod(0, M.connectionClose, new Writer().short(200).shortstr("bye").short(0).short(0).done());
    await raw.expectMethod(M.connectionCloseOk);
  });
});
