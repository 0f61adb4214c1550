import { describe, expect, it } from "vitest";
import { Message, type MessageProperties, type PropertiesCodec } from "../../src/core/message.js";
import { VirtualHost } from "../../src/core/vhost.js";
import { BrokerError } from "../../src/core/errors.js";

function ok<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw new Error(`unexpected ${r.toString()}`);
  return r;
}

/** A front-end codec that counts how often the core asks it to decode. */
class CountingCodec implements PropertiesCodec {
  readonly format = "test";
  calls = 0;
  constructor(private readonly props: MessageProperties) {}
  decode(bytes: Buffer): MessageProperties {
    this.calls++;
    expect(bytes.toString()).toBe("encoded-props");
    return this.props;
  }
}

const encodedMessage = (codec: PropertiesCodec, exchange = "amq.fanout") =>
  new Message(exchange, "rk", Buffer.from("payload"), null, { codec, bytes: Buffer.from("encoded-props") });

function vhostWithQueues(n: number): VirtualHost {
  const v = new VirtualHost("/");
  for (let i = 0; i < n; i++) {
    ok(v.declareQueue(`q${i}`, {}, null));
    v.bindQueue(`q${i}`, "amq.fanout", "", {}, null);
    v.bindQueue(`q${i}`, "amq.direct", "rk", {}, null);
  }
  return v;
}

describe("Message", () => {
  it("does not decode encoded properties until someone reads them, then decodes once", () => {
    const codec = new CountingCodec({ contentType: "text/plain", headers: { a: 1 } });
    const m = encodedMessage(codec);
    expect(codec.calls).toBe(0);
    expect(m.properties.contentType).toBe("text/plain");
    expect(m.properties.headers).toEqual({ a: 1 });
    expect(codec.calls).toBe(1);
  });

  it("routing through fanout and direct exchanges never decodes the properties", () => {
    const codec = new CountingCodec({});
    const v = vhostWithQueues(3);
    expect(ok(v.publish("amq.fanout", "rk", encodedMessage(codec))).routed).toBe(3);
    expect(ok(v.publish("amq.direct", "rk", encodedMessage(codec))).routed).toBe(3);
    expect(ok(v.publish("amq.topic", "rk", encodedMessage(codec))).routed).toBe(0);
    expect(codec.calls).toBe(0);
  });

  it("routing through a headers exchange decodes the properties once however many bindings it checks", () => {
    const codec = new CountingCodec({ headers: { k: "v" } });
    const v = new VirtualHost("/");
    for (const q of ["a", "b", "c"]) {
      ok(v.declareQueue(q, {}, null));
      v.bindQueue(q, "amq.headers", "", { k: "v", other: q }, null);
      v.bindQueue(q, "amq.headers", "", { k: "v" }, null);
    }
    expect(ok(v.publish("amq.headers", "", encodedMessage(codec))).routed).toBe(3);
    expect(codec.calls).toBe(1);
  });

  it("properties given in decoded form are used as they are, without calling the codec", () => {
    const codec = new CountingCodec({ contentType: "from-codec" });
    const m = new Message("", "q", Buffer.alloc(0), { contentType: "given" }, { codec, bytes: Buffer.from("encoded-props") });
    expect(m.properties.contentType).toBe("given");
    expect(codec.calls).toBe(0);
  });

  it("a message with no properties at all answers an empty set", () => {
    const m = new Message("", "q", Buffer.alloc(0), null);
    expect(m.properties).toEqual({});
    expect(m.encoded).toBeNull();
  });

  it("the body is one Buffer shared by every queue a fan-out reaches", () => {
    const v = vhostWithQueues(4);
    const body = Buffer.from("shared payload");
    const m = new Message("amq.fanout", "", body, null);
    expect(ok(v.publish("amq.fanout", "", m)).routed).toBe(4);
    for (let i = 0; i < 4; i++) {
      const entry = v.queues.get(`q${i}`)!.get(true)!;
      expect(entry.message.body).toBe(body);
    }
  });

  it("each queue keeps its own entry state for a shared message", () => {
    const v = vhostWithQueues(2);
    ok(v.publish("amq.fanout", "", new Message("amq.fanout", "", Buffer.from("x"), null)));
    const q0 = v.queues.get("q0")!;
    const e0 = q0.get(false)!;
    q0.requeue(e0);
    const e1 = v.queues.get("q1")!.get(false)!;
    expect(e0.message).toBe(e1.message);
    expect([e0.redelivered, e1.redelivered]).toEqual([true, false]);
  });

  it("withProperties keeps the body, drops the old encoding and may change exchange and key", () => {
    const codec = new CountingCodec({ contentType: "old" });
    const m = encodedMessage(codec);
    const copy = m.withProperties({ contentType: "new" }, "dlx", "dead");
    expect(copy.body).toBe(m.body);
    expect(copy.encoded).toBeNull();
    expect([copy.exchange, copy.routingKey, copy.properties.contentType]).toEqual(["dlx", "dead", "new"]);
    expect(codec.calls).toBe(0);
    expect(copy.bodySize).toBe(7);
  });
});
