import { describe, expect, it } from "vitest";
import { Message, type MessageProperties, TypedField } from "../../src/core/index.js";
import { destinationFor } from "../../protocols/stomp/destinations.js";
import { encodeFrame } from "../../protocols/stomp/frame-encoder.js";
import type { StompVersion } from "../../protocols/stomp/frame-parser.js";
import { headersFromProperties } from "../../protocols/stomp/message-headers.js";
import { type FrameOutput, MessageFrames } from "../../protocols/stomp/message-frame.js";

/** Frames reserved and committed in one growing buffer, as the TCP transport's slab holds them. */
class Collect implements FrameOutput {
  slab = Buffer.alloc(64);
  private used = 0;
  private reserved = 0;
  readonly frames: Buffer[] = [];
  reserve(size: number): number {
    if (this.used + size > this.slab.length) {
      const bigger = Buffer.alloc((this.used + size) * 2);
      this.slab.copy(bigger, 0, 0, this.used);
      this.slab = bigger;
    }
    const at = this.used;
    this.used += size;
    this.reserved = at;
    return at;
  }
  commit(): void {
    this.frames.push(Buffer.from(this.slab.subarray(this.reserved, this.used)));
  }
}

/** The MESSAGE the general encoder writes for the same delivery (Subscriptions.deliver's header order). */
function reference(subId: string, session: string, version: StompVersion, ack: boolean, tag: number, m: Message, redelivered: boolean) {
  const messageId = `T_${subId}@@${session}@@${tag}`;
  const headers: [string, string][] = [
    ["subscription", subId],
    ["destination", destinationFor(m.exchange, m.routingKey)],
    ["message-id", messageId],
    ["redelivered", redelivered ? "true" : "false"],
  ];
  if (ack) headers.push(["ack", messageId]);
  headersFromProperties(m.properties, headers);
  return encodeFrame("MESSAGE", headers, m.body, version);
}

const PROPERTIES: MessageProperties[] = [
  {},
  { contentType: "text/plain", deliveryMode: 2, priority: 5, correlationId: "c:1\nx", timestamp: 1700000000 },
  { headers: { "x-a": "b\\c", n: 7, t: new TypedField("l", 12), é: "ünïcode", receipt: "r-1" }, replyTo: "/queue/r" },
];

describe("MESSAGE frames encoded in place", () => {
  for (const version of ["1.0", "1.1", "1.2"] as const) {
    for (const ack of [false, true]) {
      it(`are byte for byte the general encoder's (STOMP ${version}, ack header ${ack})`, () => {
        const out = new Collect();
        const session = "session-AbC_d-0123456789xyzAB";
        for (const subId of ["sub-0", "a:b\nc\\d\re"]) {
          const frames = new MessageFrames(subId, session, version, ack);
          const expected: Buffer[] = [];
          let tag = 0;
          for (const [exchange, key] of [
            ["", "q1"],
            ["", "q1"],
            ["amq.topic", "a.b"],
            ["", "amq.gen-x"],
            ["ex:1", ""],
            ["ex", "k\n2"],
          ] as const) {
            for (const props of PROPERTIES) {
              for (const body of [Buffer.alloc(0), Buffer.from("0123456789abcdef"), Buffer.from([0, 1, 0, 255])]) {
                for (const redelivered of [false, true]) {
                  tag = (tag * 31 + 7) % 9_007_199_254;
                  const m = new Message(exchange, key, body, props);
                  frames.write(out, tag, m, redelivered);
                  expected.push(reference(subId, session, version, ack, tag, m, redelivered));
                }
              }
            }
          }
          const got = out.frames.splice(0);
          expect(got.length).toBe(expected.length);
          for (let i = 0; i < got.length; i++) expect(got[i]!.toString("latin1")).toBe(expected[i]!.toString("latin1"));
        }
      });
    }
  }
});
