// Framing-level behaviour that client libraries cannot express: protocol header negotiation,
// frames on unopened channels, content frames out of order, oversized or malformed frames. Each
// is answered with RabbitMQ's connection.close code, text and class/method ids.

import { describe, expect, it } from "vitest";
import { conformanceSuite } from "./helpers.js";
import { bodyFrame, encodeFrame, FrameType, headerFrame, M, PROTOCOL_HEADER, Writer } from "./raw/codec.js";

const suite = conformanceSuite();

const qosArgs = () => new Writer().long(0).short(1).bits(false).done();
const publishArgs = (routingKey = "x") => new Writer().short(0).shortstr("").shortstr(routingKey).bits(false, false).done();

describe("protocol header", () => {
  it.each([
    ["a newer 0-9-x revision", Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 2])],
    // AMQP 1.0's headers (0 1 0 0, SASL 3 1 0 0) go to the AMQP 1.0 front-end on this port, as in
    // RabbitMQ with rabbitmq_amqp1_0: conformance/amqp10/connection.test.ts
    ["AMQP 0-10", Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 10])],
    ["an HTTP request", Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    ["garbage", Buffer.from("XXXXXXXX")],
  ])("%s is answered with the 0-9-1 header and the socket is closed", async (_label, header) => {
    const raw = await suite.raw({ handshake: false });
    raw.write(header);
    const bytes = await raw.bytesUntilClose();
    expect(bytes.toString("hex")).toBe(PROTOCOL_HEADER.toString("hex")); // "AMQP" 0 0 9 1
  });

  it("the 0-9-1 header is answered with connection.start", async () => {
    const raw = await suite.raw({ handshake: false });
    raw.write(PROTOCOL_HEADER);
    const start = await raw.expectMethod(M.connectionStart);
    expect([start.octet(), start.octet()]).toEqual([0, 9]);
  });
});

describe("channels", () => {
  it("a method on a channel that was never opened closes the connection with 504", async () => {
    const raw = await suite.raw();
    raw.sendMethod(5, M.queueDeclare, new Writer().short(0).shortstr("").bits(false, false, true, true, false).table({}).done());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 504,
      replyText: "CHANNEL_ERROR - expected 'channel.open'",
      classId: 50,
      methodId: 10,
    });
  });

  it("opening an already open channel closes the connection with 504", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.channelOpen, new Writer().shortstr("").done());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 504,
      replyText: "CHANNEL_ERROR - second 'channel.open' seen",
      classId: 20,
      methodId: 10,
    });
  });

  it("channel.close on a channel that was never opened closes the connection with 504", async () => {
    const raw = await suite.raw();
    raw.sendMethod(4, M.channelClose, new Writer().short(200).shortstr("").short(0).short(0).done());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 504,
      replyText: "CHANNEL_ERROR - expected 'channel.open'",
      classId: 20,
      methodId: 40,
    });
  });

  it("a method on a channel after its close-ok closes the connection with 504", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.channelClose, new Writer().short(200).shortstr("").short(0).short(0).done());
    await raw.expectMethod(M.channelCloseOk);
    raw.sendMethod(1, M.basicQos, qosArgs());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 504,
      replyText: "CHANNEL_ERROR - expected 'channel.open'",
      classId: 60,
      methodId: 10,
    });
  });

  it("a closed channel number can be opened again", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.channelClose, new Writer().short(200).shortstr("").short(0).short(0).done());
    await raw.expectMethod(M.channelCloseOk);
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicQos, qosArgs());
    await raw.expectMethod(M.basicQosOk);
  });

  it("a channel method on channel 0 closes the connection with 504", async () => {
    const raw = await suite.raw();
    raw.sendMethod(0, M.basicQos, qosArgs());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 504,
      replyText: "CHANNEL_ERROR - unexpected method in connection state running",
      classId: 60,
      methodId: 10,
    });
  });

  it("channel.open on channel 0 closes the connection with 504", async () => {
    const raw = await suite.raw();
    raw.sendMethod(0, M.channelOpen, new Writer().shortstr("").done());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 504,
      replyText: "CHANNEL_ERROR - unexpected method in connection state running",
      classId: 20,
      methodId: 10,
    });
  });

  it("a channel error closes only that channel; the connection and its other channels go on", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    await raw.openChannel(2);
    raw.sendMethod(1, [90, 20]); // tx.commit without tx.select
    expect(await raw.expectChannelClose(1)).toEqual({
      replyCode: 406,
      replyText: "PRECONDITION_FAILED - channel is not transactional",
      classId: 90,
      methodId: 20,
    });
    raw.sendMethod(2, M.basicQos, qosArgs());
    await raw.expectMethod(M.basicQosOk);
    await raw.openChannel(1);
  });
});

describe("content frames", () => {
  it("a body frame without a content header closes the connection with 505", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.write(bodyFrame(1, Buffer.from("hello")));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 505,
      replyText: "UNEXPECTED_FRAME - expected method frame, got non method frame instead",
      classId: 0,
      methodId: 0,
    });
  });

  it("a content header without basic.publish closes the connection with 505", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.write(headerFrame(1, 5));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 505,
      replyText: "UNEXPECTED_FRAME - expected method frame, got non method frame instead",
      classId: 0,
      methodId: 0,
    });
  });

  it("a method where the content header belongs closes the connection with 505", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicPublish, publishArgs());
    raw.sendMethod(1, M.basicQos, qosArgs());
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 505,
      replyText: "UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead",
      classId: 60,
      methodId: 40,
    });
  });

  it("a content header of another class closes the connection with 505", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicPublish, publishArgs());
    raw.write(encodeFrame(FrameType.HEADER, 1, new Writer().short(50).short(0).longlong(3).short(0).done()));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 505,
      replyText: "UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead",
      classId: 60,
      methodId: 40,
    });
  });

  it("a content header on channel 0 closes the connection with 505", async () => {
    const raw = await suite.raw();
    raw.write(headerFrame(0, 5));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 505,
      replyText: "UNEXPECTED_FRAME - type 2, all octets = <<0,60,0,0,0,0,0,0,0,0,0,5,0,0>>",
      classId: 0,
      methodId: 0,
    });
  });

  it("a body split over several frames is reassembled", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.queueDeclare, new Writer().short(0).shortstr("").bits(false, false, true, true, false).table({}).done());
    const q = (await raw.expectMethod(M.queueDeclareOk)).shortstr();
    raw.sendMethod(1, M.basicPublish, publishArgs(q));
    raw.write(headerFrame(1, 11));
    raw.write(bodyFrame(1, Buffer.from("hello")));
    raw.write(bodyFrame(1, Buffer.from(" ")));
    raw.write(bodyFrame(1, Buffer.from("world")));
    raw.sendMethod(1, M.basicGet, new Writer().short(0).shortstr(q).bits(true).done());
    await raw.expectMethod(M.basicGetOk);
    const header = await raw.nextNonHeartbeat();
    expect(header.type).toBe(FrameType.HEADER);
    const body = await raw.nextNonHeartbeat();
    expect(body.payload.toString()).toBe("hello world");
  });

  it("a zero-length body needs no body frame", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.queueDeclare, new Writer().short(0).shortstr("").bits(false, false, true, true, false).table({}).done());
    const q = (await raw.expectMethod(M.queueDeclareOk)).shortstr();
    raw.sendMethod(1, M.basicPublish, publishArgs(q));
    raw.write(headerFrame(1, 0));
    raw.sendMethod(1, M.basicGet, new Writer().short(0).shortstr(q).bits(true).done());
    await raw.expectMethod(M.basicGetOk);
    const header = await raw.nextNonHeartbeat();
    expect(header.type).toBe(FrameType.HEADER);
    // The next frame is the answer to the next command, not an empty body frame.
    raw.sendMethod(1, M.basicQos, qosArgs());
    await raw.expectMethod(M.basicQosOk);
  });
});

describe("malformed frames", () => {
  it("a frame larger than frame_max closes the connection with 501 FRAME_ERROR", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicPublish, publishArgs());
    raw.write(headerFrame(1, 200_000));
    raw.write(bodyFrame(1, Buffer.alloc(140_000)));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 501,
      replyText: "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,140000,131064}",
      classId: 0,
      methodId: 0,
    });
  });

  it("an oversized method frame closes the connection with 501 FRAME_ERROR", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.write(encodeFrame(FrameType.METHOD, 1, Buffer.alloc(140_000)));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 501,
      replyText: "FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,140000,131064}",
      classId: 0,
      methodId: 0,
    });
  });

  it("a wrong frame-end octet closes the connection with 501 FRAME_ERROR", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.write(encodeFrame(FrameType.METHOD, 1, new Writer().short(60).short(10).long(0).short(1).bits(false).done(), 0x00));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 501,
      replyText: "FRAME_ERROR - type 1, all octets = <<0,60,0,10,0,0,0,0,0,1,0>>: {invalid_frame_end_marker,0}",
      classId: 0,
      methodId: 0,
    });
  });

  it("an unknown frame type closes the connection with 501 FRAME_ERROR", async () => {
    const raw = await suite.raw();
    raw.write(encodeFrame(7, 0, Buffer.alloc(4)));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 501,
      replyText: "FRAME_ERROR - type 7, all octets = <<0,0,0,0>>: unknown_frame",
      classId: 0,
      methodId: 0,
    });
  });

  it("a heartbeat frame on a non-zero channel closes the connection with 505", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    raw.write(encodeFrame(FrameType.HEARTBEAT, 1, Buffer.alloc(0)));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 505,
      replyText: "UNEXPECTED_FRAME - type 8, all octets = <<>>",
      classId: 0,
      methodId: 0,
    });
  });

  it("client heartbeats on channel 0 are accepted silently", async () => {
    const raw = await suite.raw();
    raw.write(encodeFrame(FrameType.HEARTBEAT, 0, Buffer.alloc(0)));
    await raw.openChannel(1);
  });
});
