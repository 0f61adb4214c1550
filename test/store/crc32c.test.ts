import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { crc32c } from "../../src/store/crc32c.js";

function bytewise(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc32c", () => {
  it("matches the RFC 3720 check value for 123456789", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
  });
  it("of 32 zero bytes is 0x8A9136AA (RFC 3720 B.4)", () => {
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });
  it("slice-by-8 agrees with the bitwise definition at every length and offset", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(8), (bytes, skip) => {
        const s = Math.min(skip, bytes.length);
        expect(crc32c(bytes, s)).toBe(bytewise(bytes.subarray(s)));
      }),
    );
  });
  it("continues across chunks", () => {
    const b = Buffer.from("hello, durable world");
    expect(crc32c(b, 7, b.length, crc32c(b, 0, 7))).toBe(crc32c(b));
  });
});
