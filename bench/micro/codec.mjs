// Micro-benchmark of the AMQP codec's hot path. Run: npx tsx bench/micro/codec.mjs
// (tsx only strips types; the timings are those of the plain JS V8 runs.)
import { encodeDelivery } from "../../protocols/amqp/codec/delivery.js";
import { FrameReader, decodeContentHeader } from "../../protocols/amqp/codec/frames.js";
import { decodeMethod, encodeMethodFrame } from "../../protocols/amqp/codec/methods.js";
import { decodeProperties, encodeProperties } from "../../protocols/amqp/codec/properties.js";

let sink = 0;

function bench(name, fn, iterations = 2_000_000) {
  for (let i = 0; i < iterations / 10; i++) sink += fn(i) ? 1 : 0; // warm up into optimised code
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += fn(i) ? 1 : 0;
    best = Math.min(best, Number(process.hrtime.bigint() - start) / iterations);
  }
  console.log(`${name.padEnd(58)} ${best.toFixed(0).padStart(5)} ns/op`);
}

const publish = encodeMethodFrame(1, {
  kind: "basic.publish",
  reserved1: 0,
  exchange: "amq.topic",
  routingKey: "orders.created.eu-west-1",
  mandatory: false,
  immediate: false,
});
const properties = encodeProperties({
  contentType: "application/json",
  deliveryMode: 2,
  messageId: "3f2a9c1e-7b4d-4e8a-9c61-2d5e8f0a1b3c",
});
const body16 = Buffer.from("0123456789abcdef");
const header = Buffer.alloc(12 + properties.length);
header.writeUInt16BE(60, 0);
header.writeUInt32BE(16, 8);
properties.copy(header, 12);

bench("decodeMethod basic.publish (exchange 9 B, routing key 24 B)", () => decodeMethod(publish, 7, publish.length - 1));
bench("decodeContentHeader (properties kept as bytes)", () => decodeContentHeader(header));
bench("encodeDelivery, 16-byte body, 57-byte properties", (i) =>
  encodeDelivery(1, "amq.ctag-Xb3k9Qm2Lr8Tz", i + 1, false, "amq.topic", "orders.created.eu-west-1", properties, body16, 131072),
);
bench("encodeMethodFrame basic.ack", (i) => encodeMethodFrame(1, { kind: "basic.ack", deliveryTag: i + 1, multiple: false }));
bench("decodeProperties (content-type, delivery-mode, message-id)", () => decodeProperties(properties, 0, properties.length));

// The reader over a 64 KiB read full of publish + header + body triples, per frame
const triple = Buffer.concat([
  publish,
  Buffer.from([2, 0, 1]),
  Buffer.alloc(4),
  header,
  Buffer.from([0xce]),
  Buffer.from([3, 0, 1, 0, 0, 0, 16]),
  body16,
  Buffer.from([0xce]),
]);
triple.writeUInt32BE(header.length, publish.length + 3);
const chunk = Buffer.concat(Array.from({ length: Math.floor(65536 / triple.length) }, () => triple));
const framesPerChunk = Math.floor(65536 / triple.length) * 3;
const reader = new FrameReader(131072);
bench("FrameReader.next, per frame (frames within one 64 KiB chunk)", (i) => {
  if (i % framesPerChunk === 0) reader.push(chunk);
  return reader.next();
});
if (sink === 0.5) console.log(sink);
