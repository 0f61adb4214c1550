import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BrokerError, ReplyCode, errors } from "../../src/core/index.js";
import { REPLY_CODE_INFO, isHardError } from "../../src/core/reply-codes.generated.js";
import { REPLY_CODE_INFO as CODEC_INFO } from "../../protocols/amqp/codec/methods.js";
import { erlangBinary, replyTextBytes } from "../../src/core/reply-text.js";

describe("reply codes: one table", () => {
  it("reply-codes.generated.ts (and methods.ts) are what the generator makes from the spec table today", () => {
    const generator = fileURLToPath(new URL("../../protocols/amqp/spec/generate.mjs", import.meta.url));
    expect(() => execFileSync(process.execPath, [generator, "--check"], { stdio: "pipe" })).not.toThrow();
  });

  it("the codec's table is the core's", () => {
    expect(CODEC_INFO).toBe(REPLY_CODE_INFO);
  });

  it("BrokerError takes name and hard/soft class from it", () => {
    const soft = errors.noQueue("q", "/");
    expect(soft.code).toBe(404);
    expect(soft.name).toBe("NOT_FOUND");
    expect(soft.text).toBe("NOT_FOUND - no queue 'q' in vhost '/'");
    expect(soft.isConnectionError).toBe(false);
    const hard = new BrokerError(ReplyCode.NOT_ALLOWED, "vhost x not found");
    expect(hard.name).toBe("NOT_ALLOWED");
    expect(hard.isConnectionError).toBe(true);
    for (const [name, code] of Object.entries(ReplyCode)) {
      const e = new BrokerError(code, "d");
      expect(e.name).toBe(name);
      expect(e.isConnectionError).toBe(isHardError(code));
    }
  });
});

describe("docs/errors.md", () => {
  const rows = readFileSync(fileURLToPath(new URL("../../docs/errors.md", import.meta.url)), "utf8")
    .split("\n")
    .map((l) => /^\| (\d{3}) \| ([A-Z_]+) \| (hard|soft|success) \| (.+) \|$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ code: Number(m[1]), name: m[2], kind: m[3], when: m[4]!.trim() }));

  it("lists every reply code of the generated table once, with its name and class, and no other", () => {
    const documented = rows.map((r) => r.code);
    expect(new Set(documented).size).toBe(documented.length);
    expect(documented.sort((a, b) => a - b)).toEqual(
      Object.keys(REPLY_CODE_INFO)
        .map(Number)
        .sort((a, b) => a - b),
    );
    for (const r of rows) {
      expect({ code: r.code, name: r.name, kind: r.kind }).toEqual({ code: r.code, ...REPLY_CODE_INFO[r.code] });
      expect(r.when.length).toBeGreaterThan(0);
    }
  });
});

describe("reply texts", () => {
  it("go out whole up to 255 bytes", () => {
    expect(replyTextBytes("x".repeat(255)).toString()).toBe("x".repeat(255));
  });

  it('over 255 bytes keep their first 252 bytes, even mid-character, and "..." (RabbitMQ 3.10.8)', () => {
    const text = `NOT_FOUND - no queue '${"a".repeat(181)}${"é".repeat(30)}' in vhost '/'`;
    const bytes = replyTextBytes(text);
    expect(bytes.length).toBe(255);
    expect(bytes.subarray(0, 252)).toEqual(Buffer.from(text).subarray(0, 252));
    expect(bytes[251]).toBe(0xc3);
    expect(bytes.subarray(252).toString()).toBe("...");
  });

  it("quote bytes with the one formatter, whichever path quotes them", () => {
    expect(erlangBinary(Buffer.from("ABCDEFGHIJKLMNOP"))).toBe('<<"ABCDEFGHIJKLMNOP">>');
    expect(erlangBinary(Buffer.from([1, 2]))).toBe("<<1,2>>");
  });
});
