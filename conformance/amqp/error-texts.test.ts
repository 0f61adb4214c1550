// Reply texts that embed long names: a reply text is a shortstr, so RabbitMQ 3.10 cuts one over
// 255 bytes to its first 252 bytes and "..." (rabbit_binary_generator), counting bytes, so a cut
// can split a multi-byte character. And UNEXPECTED_FRAME quotes at most a frame's first 16 octets.
// Compared byte for byte, as a client receives them.

import { describe, expect, it } from "vitest";
import { conformanceSuite } from "./helpers.js";
import { bodyFrame, encodeFrame, FrameType, headerFrame, isMethod, M, Writer } from "./raw/codec.js";
import type { RawConnection } from "./raw/connection.js";

const suite = conformanceSuite();

/** The next channel.close on `channel`: its code and reply text as raw bytes (close-ok sent). */
async function channelCloseBytes(raw: RawConnection, channel: number): Promise<{ code: number; text: Buffer }> {
  for (;;) {
    const f = await raw.nextNonHeartbeat();
    if (isMethod(f, M.channelClose) && f.channel === channel) {
      raw.sendMethod(channel, M.channelCloseOk);
      const n = f.payload[6]!;
      return { code: f.payload.readUInt16BE(4), text: Buffer.from(f.payload.subarray(7, 7 + n)) };
    }
    if (isMethod(f, M.connectionClose)) throw new Error("expected channel.close, got connection.close");
  }
}

/** RabbitMQ's cut: the first 252 bytes and "..." when the text is over 255 bytes. */
const cut = (text: string): Buffer => {
  const b = Buffer.from(text, "utf8");
  return b.length <= 255 ? b : Buffer.concat([b.subarray(0, 252), Buffer.from("...")]);
};

const declare = (name: string, { passive = false, durable = false, autoDelete = false } = {}) =>
  new Writer().short(0).shortstr(name).bits(passive, durable, false, autoDelete, false).table({}).done();

describe("reply texts over 255 bytes", () => {
  it('an inequivalent redeclare of a queue with a 255-byte name: 252 bytes of the text and "..."', async () => {
    const raw = await suite.raw();
    const name = `long-${Date.now()}-`.padEnd(255, "q");
    await raw.openChannel(1);
    raw.sendMethod(1, M.queueDeclare, declare(name, { autoDelete: true }));
    await raw.expectMethod(M.queueDeclareOk);
    raw.sendMethod(1, M.queueDeclare, declare(name, { durable: true }));
    const { code, text } = await channelCloseBytes(raw, 1);
    expect(code).toBe(406);
    const full = `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${name}' in vhost '/': received 'true' but current is 'false'`;
    expect(text.length).toBe(255);
    expect(text).toEqual(cut(full));
    expect(text.subarray(252).toString()).toBe("...");
    await raw.openChannel(2);
    raw.sendMethod(2, M.queueDelete, new Writer().short(0).shortstr(name).bits(false, false, false).done());
    await raw.expectMethod(M.queueDeleteOk);
    await raw.close();
  });

  it("a publish to a missing exchange with a 255-byte name", async () => {
    const raw = await suite.raw();
    const exchange = `missing-${Date.now()}-`.padEnd(255, "x");
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicPublish, new Writer().short(0).shortstr(exchange).shortstr("k").bits(false, false).done());
    raw.write(headerFrame(1, 1));
    raw.write(bodyFrame(1, Buffer.from("x")));
    const { code, text } = await channelCloseBytes(raw, 1);
    expect(code).toBe(404);
    expect(text).toEqual(cut(`NOT_FOUND - no exchange '${exchange}' in vhost '/'`));
    await raw.close();
  });

  it('the cut counts bytes, so it can split a multi-byte character: the lead byte stays, then "..."', async () => {
    const raw = await suite.raw();
    // "NOT_FOUND - no queue '" is 22 bytes; 181 more ASCII bytes put byte 252 inside an "é"
    const name = `${"a".repeat(181)}${"é".repeat(30)}`;
    await raw.openChannel(1);
    raw.sendMethod(1, M.queueDeclare, declare(name, { passive: true }));
    const { code, text } = await channelCloseBytes(raw, 1);
    expect(code).toBe(404);
    expect(text).toEqual(cut(`NOT_FOUND - no queue '${name}' in vhost '/'`));
    expect(text[251]).toBe(0xc3);
    await raw.close();
  });

  it("a text of 255 bytes or less goes out whole", async () => {
    const raw = await suite.raw();
    // "NOT_FOUND - no queue '" is 22 bytes and "' in vhost '/'" 14: 22 + 219 + 14 = 255
    const name = "b".repeat(219);
    await raw.openChannel(1);
    raw.sendMethod(1, M.queueDeclare, declare(name, { passive: true }));
    const { text } = await channelCloseBytes(raw, 1);
    expect(text.toString()).toBe(`NOT_FOUND - no queue '${name}' in vhost '/'`);
    expect(text.length).toBe(255);
    await raw.close();
  });
});

describe("frame quoting", () => {
  it("UNEXPECTED_FRAME quotes a long frame's first 16 octets as Erlang's ~p prints them", async () => {
    const raw = await suite.raw();
    raw.write(encodeFrame(FrameType.BODY, 0, Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn")));
    expect(await raw.expectConnectionClose()).toEqual({
      replyCode: 505,
      replyText: 'UNEXPECTED_FRAME - type 3, first 16 octets = <<"ABCDEFGHIJKLMNOP">>',
      classId: 0,
      methodId: 0,
    });
  });
});
