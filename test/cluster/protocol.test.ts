/**
 * The replication port's frame decoder (src/cluster/protocol.ts): frames come out the same however
 * the socket splits them, and a large frame arriving in many reads is joined once, not at every
 * read (a 4 MiB WRITE in 1 KiB reads would otherwise copy gigabytes).
 */
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";
import { type Frame, FrameDecoder, frames, HASH_BYTES, PROTOCOL_HEADER, tableCrc32 } from "../../src/cluster/protocol.js";

function stream(): { bytes: Buffer; expected: Frame[] } {
  const bufs = [
    PROTOCOL_HEADER,
    ...frames.hello(7, "c1", "n1"),
    ...frames.write(7, "definitions.json", 0, Buffer.from("{}")),
    ...frames.write(7, `queues/${"a".repeat(32)}/0000000001.seg`, 4096, Buffer.alloc(3000, 7)),
    ...frames.have(7, "warren-store.json", 20, Buffer.alloc(HASH_BYTES, 1)),
    ...frames.haveEnd(7),
    ...frames.truncate(7, `queues/${"a".repeat(32)}/0000000001.acks`, 12),
    ...frames.commit(7, 3),
  ];
  const bytes = Buffer.concat(bufs);
  const whole = new FrameDecoder(true).push(bytes);
  if (!Array.isArray(whole)) throw whole;
  return { bytes, expected: whole };
}

describe("FrameDecoder", () => {
  it("decodes the same frames whatever the reads' sizes", () => {
    const { bytes, expected } = stream();
    expect(expected.map((f) => f.type)).toEqual([1, 11, 11, 4, 5, 14, 20]);
    for (const size of [1, 3, 7, 8, 17, 1000, 65_536]) {
      const d = new FrameDecoder(true);
      const got: Frame[] = [];
      for (let at = 0; at < bytes.length; at += size) {
        const r = d.push(bytes.subarray(at, at + size));
        if (!Array.isArray(r)) throw r;
        got.push(...r);
      }
      expect(got).toEqual(expected);
    }
  });

  it("joins a 4 MiB frame read 1 KiB at a time once", { timeout: 60_000 }, () => {
    const bytes = Buffer.concat([PROTOCOL_HEADER, ...frames.write(7, "definitions.json", 0, Buffer.alloc(4 * 1024 * 1024, 9))]);
    const d = new FrameDecoder(true);
    const started = performance.now();
    let got: Frame[] = [];
    for (let at = 0; at < bytes.length; at += 1024) {
      const r = d.push(bytes.subarray(at, at + 1024));
      if (!Array.isArray(r)) throw r;
      got = got.concat(r);
    }
    const ms = performance.now() - started;
    expect(got.length).toBe(1);
    // joining at every read copies 4096 × 2 MiB on average (8 GiB): 24 s on the loaded test
    // machine, against 0.65 s (mostly the frame's CRC) when joined once
    expect(ms).toBeLessThan(5000);
  });

  it("still refuses a bad header and a length out of bounds", () => {
    expect(new FrameDecoder(true).push(Buffer.from("WRNX"))).toMatchObject({ reason: expect.stringMatching(/bad header/) });
    const d = new FrameDecoder(false);
    expect(d.push(Buffer.from([0, 0]))).toEqual([]);
    expect(d.push(Buffer.from([0, 1]))).toMatchObject({ reason: "frame length 1 out of bounds" });
  });

  it("checks every byte of a frame with CRC-32 (version 3): a flipped payload byte is refused", () => {
    const bytes = Buffer.concat([PROTOCOL_HEADER, ...frames.write(7, "definitions.json", 0, Buffer.from('{"a":1}'))]);
    // the checksum is zlib's CRC-32 of everything after the checksum field
    expect(bytes.readUInt32BE(PROTOCOL_HEADER.length + 4)).toBe(zlib.crc32(bytes.subarray(PROTOCOL_HEADER.length + 8)));
    expect(new FrameDecoder(true).push(bytes)).toHaveLength(1);
    const bad = Buffer.from(bytes);
    bad[bad.length - 2]! ^= 1;
    expect(new FrameDecoder(true).push(bad)).toMatchObject({ reason: "frame checksum mismatch" });
    // a version-2 peer (CRC-32C) is not taken for this protocol
    expect(new FrameDecoder(true).push(Buffer.from("WRNREPL\x02", "latin1"))).toMatchObject({
      reason: expect.stringMatching(/bad header/),
    });
  });

  it("computes the same CRC-32 without zlib's (older Node 20), continued across pieces", () => {
    const b = randomBytes(10_000);
    expect(tableCrc32(b, 0, b.length)).toBe(zlib.crc32(b));
    expect(tableCrc32(b, 4321, b.length, tableCrc32(b, 0, 4321))).toBe(zlib.crc32(b));
    expect(tableCrc32(b, 100, 200)).toBe(zlib.crc32(b.subarray(100, 200)));
  });
});
