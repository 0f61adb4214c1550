// Crossed channel.close (AMQP 0-9-1 §4.2.8, the "closing" state): the client closes a channel
// while the broker's channel.close for an error on it is in flight. The broker answers the
// client's close with close-ok and keeps waiting for the close-ok to its own; the connection
// carries on. The Go client does this on every channel exception (it answers the broker's close
// with close-ok while its Channel.Close() sends close).

import { describe, expect, it } from "vitest";
import { conformanceSuite } from "./helpers.js";
import { bodyFrame, headerFrame, isMethod, M, readClose, Writer } from "./raw/codec.js";
import { describe as describeFrame, type RawConnection } from "./raw/connection.js";

const suite = conformanceSuite();

const closeArgs = () => new Writer().short(200).shortstr("bye").short(0).short(0).done();

/** basic.publish of a one-byte message to an exchange that does not exist. */
function publishToMissingExchange(raw: RawConnection, channel: number, exchange: string): void {
  raw.sendMethod(channel, M.basicPublish, new Writer().short(0).shortstr(exchange).shortstr("k").bits(false, false).done());
  raw.write(headerFrame(channel, 1));
  raw.write(bodyFrame(channel, Buffer.from("x")));
}

/** The next two frames on `channel` as method names, whatever their order. */
async function nextTwo(raw: RawConnection): Promise<string[]> {
  const names: string[] = [];
  while (names.length < 2) {
    const f = await raw.nextNonHeartbeat();
    if (isMethod(f, M.channelClose)) names.push(`channel.close ${readClose(f).replyCode} on ${f.channel}`);
    else if (isMethod(f, M.channelCloseOk)) names.push(`channel.close-ok on ${f.channel}`);
    else throw new Error(`unexpected ${describeFrame(f)}`);
  }
  return names.sort();
}

describe("crossed channel.close", () => {
  it("the client's close crossing the broker's 404 close gets close-ok; the client's close-ok then ends the channel and the connection carries on", async () => {
    const raw = await suite.raw();
    await raw.openChannel(1);
    publishToMissingExchange(raw, 1, `missing-${Date.now()}`);
    raw.sendMethod(1, M.channelClose, closeArgs());
    expect(await nextTwo(raw)).toEqual(["channel.close 404 on 1", "channel.close-ok on 1"]);
    raw.sendMethod(1, M.channelCloseOk);
    // the connection is alive and the channel number is free again
    await raw.openChannel(1);
    raw.sendMethod(1, M.basicQos, new Writer().long(0).short(1).bits(false).done());
    await raw.expectMethod(M.basicQosOk);
    await raw.close();
  });

  it("amqplib: close() right after a publish to a missing exchange, then the connection is still usable", async () => {
    const conn = await suite.connect();
    for (let round = 0; round < 3; round++) {
      const ch = await conn.createChannel();
      ch.on("error", () => undefined);
      ch.publish(`missing-${Date.now()}-${round}`, "k", Buffer.from("x"));
      await ch.close().catch(() => undefined);
    }
    const ch = await conn.createChannel();
    const q = await ch.assertQueue("", { exclusive: true });
    expect(q.messageCount).toBe(0);
  });
});
