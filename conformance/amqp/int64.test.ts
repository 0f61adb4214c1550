// 64-bit integers beyond 2^53 (where a JavaScript number stops being exact): the timestamp
// property and long-long (`l`) and timestamp (`T`) field-table values are accepted and come back
// exactly, as RabbitMQ does (it takes any 64-bit value).

import { describe, expect, it } from "vitest";
import { conformanceSuite, runPython } from "./helpers.js";
import { consumeOneRaw } from "./raw/connection.js";
import { bodyFrame, headerFrame, M, Writer, writeBasicProperties, type RawProperties } from "./raw/codec.js";

const suite = conformanceSuite();
const BIG = 2n ** 60n + 7n;

describe("64-bit integers", () => {
  it("pika: a timestamp of 2^60 + 7 and long-long headers round-trip exactly", async () => {
    const queue = suite.queueName("int64-pika");
    const r = await runPython(suite, "int64.py", [queue]);
    expect(r).toEqual({
      timestamp: String(BIG),
      big: String(BIG),
      max: String(2n ** 63n - 1n),
      list: [String(BIG), String(2n ** 62n)],
    });
  });

  it("raw: timestamp 2^64 - 1, `l` -2^63 and 2^60 + 7, `T` 2^60 + 7 arrive byte-exact", async () => {
    const queue = suite.queueName("int64-raw");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    const raw = await suite.raw();
    await raw.openChannel(1);
    const props: RawProperties = {
      timestamp: 2n ** 64n - 1n,
      headers: {
        min: { type: "l", value: -(2n ** 63n) },
        big: { type: "l", value: BIG },
        when: { type: "T", value: BIG },
        list: {
          type: "A",
          value: [
            { type: "l", value: BIG },
            { type: "T", value: 2n ** 64n - 1n },
          ],
        },
      },
    };
    const { flags, bytes } = writeBasicProperties(props);
    raw.sendMethod(1, M.basicPublish, new Writer().short(0).shortstr("").shortstr(queue).bits(false, false).done());
    raw.write(Buffer.concat([headerFrame(1, 5, flags, bytes), bodyFrame(1, Buffer.from("int64"))]));
    const d = await consumeOneRaw(raw, 1, queue);
    expect(d.properties).toEqual(props);
  });
});
