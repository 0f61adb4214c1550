import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FrameError, FrameParser, type StompFrame, type StompVersion } from "../../protocols/stomp/frame-parser.js";
import { encodeFrame, escapeHeader } from "../../protocols/stomp/frame-encoder.js";

/** Every frame and error the parser yields for these chunks. */
function parseAll(chunks: Buffer[], version: StompVersion = "1.2", limits?: ConstructorParameters<typeof FrameParser>[0]) {
  const p = new FrameParser(limits);
  p.version = version;
  const out: (StompFrame | FrameError)[] = [];
  for (const c of chunks) {
    p.push(c);
    for (let f = p.next(); f !== null; f = p.next()) out.push(f);
  }
  return out;
}

const bytewise = (b: Buffer) => [...b].map((x) => Buffer.from([x]));

const FIXTURES: {
  name: string;
  wire: Buffer;
  version?: StompVersion;
  frames: { command: string; headers: Record<string, string>; body: string }[];
}[] = [
  {
    name: "a CONNECT without body",
    wire: Buffer.from("CONNECT\naccept-version:1.2\nhost:/\n\n\0"),
    frames: [{ command: "CONNECT", headers: { "accept-version": "1.2", host: "/" }, body: "" }],
  },
  {
    name: "a SEND with a body and CRLF line ends",
    wire: Buffer.from("SEND\r\ndestination:/queue/a\r\n\r\nhello\0"),
    frames: [{ command: "SEND", headers: { destination: "/queue/a" }, body: "hello" }],
  },
  {
    name: "heart-beat EOLs between frames",
    wire: Buffer.from("\n\r\nSEND\ndestination:/queue/a\n\nx\0\n\n\nSEND\ndestination:/queue/b\n\ny\0\r\n"),
    frames: [
      { command: "SEND", headers: { destination: "/queue/a" }, body: "x" },
      { command: "SEND", headers: { destination: "/queue/b" }, body: "y" },
    ],
  },
  {
    name: "a content-length body containing NULs",
    wire: Buffer.from("SEND\ndestination:/queue/a\ncontent-length:5\n\na\0b\0c\0"),
    frames: [{ command: "SEND", headers: { destination: "/queue/a", "content-length": "5" }, body: "a\0b\0c" }],
  },
  {
    name: "repeated headers keep the first value",
    wire: Buffer.from("MESSAGE\nfoo:World\nfoo:Hello\n\n\0"),
    frames: [{ command: "MESSAGE", headers: { foo: "World" }, body: "" }],
  },
  {
    name: "1.2 escapes including \\r",
    wire: Buffer.from("SEND\na\\cb:x\\ny\\\\z\\r\n\n\0"),
    frames: [{ command: "SEND", headers: { "a:b": "x\ny\\z\r" }, body: "" }],
  },
  {
    name: "1.0 headers are taken literally",
    version: "1.0",
    wire: Buffer.from("SEND\nk:a\\nb\n\n\0"),
    frames: [{ command: "SEND", headers: { k: "a\\nb" }, body: "" }],
  },
  {
    name: "CONNECT headers are never unescaped",
    wire: Buffer.from("CONNECT\npasscode:a\\b\n\n\0"),
    frames: [{ command: "CONNECT", headers: { passcode: "a\\b" }, body: "" }],
  },
  {
    name: "a header value containing colons",
    version: "1.0",
    wire: Buffer.from("SEND\nurl:http://x:1/\n\n\0"),
    frames: [{ command: "SEND", headers: { url: "http://x:1/" }, body: "" }],
  },
];

const plain = (f: StompFrame | FrameError) => {
  if (f instanceof FrameError) return f;
  return { command: f.command, headers: { ...f.headers }, body: f.body.toString("latin1") };
};

describe("STOMP frame parser", () => {
  for (const fx of FIXTURES) {
    it(`parses ${fx.name}, whole and fed one byte at a time`, () => {
      expect(parseAll([fx.wire], fx.version).map(plain)).toEqual(fx.frames);
      expect(parseAll(bytewise(fx.wire), fx.version).map(plain)).toEqual(fx.frames);
    });
    it(`parses ${fx.name} split at every offset`, () => {
      for (let i = 0; i <= fx.wire.length; i++) {
        const got = parseAll([fx.wire.subarray(0, i), fx.wire.subarray(i)], fx.version).map(plain);
        expect(got, `split at ${i}`).toEqual(fx.frames);
      }
    });
  }

  it("refuses a bad escape in 1.1 (\\r is 1.2 only) and an unknown one in 1.2", () => {
    const r11 = parseAll([Buffer.from("SEND\nk:a\\rb\n\n\0")], "1.1");
    expect(r11[0]).toBeInstanceOf(FrameError);
    const r12 = parseAll([Buffer.from("SEND\nk:a\\tb\n\n\0")], "1.2");
    expect(r12[0]).toBeInstanceOf(FrameError);
    expect((r12[0] as FrameError).message).toBe("Invalid frame");
  });

  it("takes an ACK or NACK when its headers end, before its NUL; the NUL, or a stray body, is then skipped", () => {
    const p = new FrameParser();
    p.version = "1.2";
    p.push(Buffer.from("ACK\nid:1\n\n"));
    const ack = p.next();
    expect(ack).toMatchObject({ command: "ACK", headers: { id: "1" } });
    expect((ack as StompFrame).body.length).toBe(0);
    expect(p.next()).toBeNull();
    p.push(Buffer.from("\0NACK\nid:2\n\n"));
    expect(p.next()).toMatchObject({ command: "NACK", headers: { id: "2" } });
    p.push(Buffer.from("stray"));
    expect(p.next()).toBeNull();
    p.push(Buffer.from(" body\0\nSEND\ndestination:/queue/q\n\nhi\0"));
    const send = p.next() as StompFrame;
    expect(send.command).toBe("SEND");
    expect(send.body.toString()).toBe("hi");
  });

  it("decodes each frame's values afresh although it reuses the ones that repeat", () => {
    const wire = [
      "SEND\ndestination:/queue/ab\n\n\0",
      "SEND\ndestination:/queue/ac\n\n\0",
      "SEND\ndestination:/queue/\u00e9\n\n\0",
      "SEND\ndestination:/queue/ac\n\n\0",
      "ACK\nsubscription:1\nmessage-id:T_1@@s@@9\nid:T_1@@s@@9\n\n\0",
      "ACK\nsubscription:1\nmessage-id:T_1@@s@@10\nid:T_1@@s@@11\n\n\0",
      "ACK\nsubscription:2\nmessage-id:T_2@@s@@12\nid:T_2@@s@@12\nreceipt:T_2@@s@@13\n\n\0",
    ].join("");
    const frames = parseAll([Buffer.from(wire)]) as StompFrame[];
    expect(frames.map((f) => ({ ...f.headers }))).toEqual([
      { destination: "/queue/ab" },
      { destination: "/queue/ac" },
      { destination: "/queue/\u00e9" },
      { destination: "/queue/ac" },
      { subscription: "1", "message-id": "T_1@@s@@9", id: "T_1@@s@@9" },
      { subscription: "1", "message-id": "T_1@@s@@10", id: "T_1@@s@@11" },
      { subscription: "2", "message-id": "T_2@@s@@12", id: "T_2@@s@@12", receipt: "T_2@@s@@13" },
    ]);
  });

  it("keeps headers named after Object's properties as headers, and no inherited ones", () => {
    const [f] = parseAll([Buffer.from("SEND\n__proto__:x\nconstructor:y\n\n\0SEND\n\n\0")]) as StompFrame[];
    expect(Object.keys(f!.headers)).toEqual(["__proto__", "constructor"]);
    expect(f!.headers["__proto__"]).toBe("x");
    expect(f!.headers["constructor"]).toBe("y");
    const [, bare] = parseAll([Buffer.from("SEND\n\n\0SEND\n\n\0")]) as StompFrame[];
    for (const k of ["constructor", "__proto__", "toString", "hasOwnProperty"]) expect(k in bare!.headers).toBe(false);
  });

  it("refuses a content-length body not followed by NUL", () => {
    const r = parseAll([Buffer.from("SEND\ncontent-length:2\n\nabc\0")]);
    expect(r[0]).toBeInstanceOf(FrameError);
  });

  it("refuses bodies, lines and header counts over the limits, with or without content-length", () => {
    const limits = { maxBodyLength: 10, maxLineLength: 20, maxHeaders: 2 };
    expect(parseAll([Buffer.from("SEND\ncontent-length:11\n\n")], "1.2", limits)[0]).toBeInstanceOf(FrameError);
    const noNul = bytewise(Buffer.from(`SEND\n\n${"x".repeat(30)}`));
    expect(parseAll(noNul, "1.2", limits)[0]).toBeInstanceOf(FrameError);
    expect(parseAll([Buffer.from(`SEND\nk:${"v".repeat(30)}`)], "1.2", limits)[0]).toBeInstanceOf(FrameError);
    expect(parseAll([Buffer.from("SEND\na:1\nb:2\nc:3\n\n\0")], "1.2", limits)[0]).toBeInstanceOf(FrameError);
  });

  it("refuses a header line without a colon and a non-numeric content-length", () => {
    expect(parseAll([Buffer.from("SEND\nnocolon\n\n\0")])[0]).toBeInstanceOf(FrameError);
    expect(parseAll([Buffer.from("SEND\ncontent-length:x\n\n\0")])[0]).toBeInstanceOf(FrameError);
  });

  it("waits for the rest of a frame without a NUL terminator", () => {
    expect(parseAll([Buffer.from("SEND\ndestination:/queue/a\n\nhello")])).toEqual([]);
  });

  it("round-trips encoded frames with arbitrary headers and binary bodies, split anywhere (property)", () => {
    const key = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== "content-length");
    fc.assert(
      fc.property(
        fc.constantFrom<StompVersion>("1.1", "1.2"),
        fc.dictionary(key, fc.string({ maxLength: 12 }), { maxKeys: 5 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.nat(200),
        (version, headers, body, split) => {
          const wire = encodeFrame("SEND", Object.entries(headers), Buffer.from(body), version);
          const at = split % (wire.length + 1);
          const [f] = parseAll([wire.subarray(0, at), wire.subarray(at)], version);
          expect(f).not.toBeInstanceOf(FrameError);
          const frame = f as StompFrame;
          expect(frame.body.equals(Buffer.from(body))).toBe(true);
          for (const [k, v] of Object.entries(headers)) expect(frame.headers[k]).toBe(v);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws on random bytes and stops after its first error (fuzz)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const out = parseAll(
          chunks.map((c) => Buffer.from(c)),
          "1.2",
          { maxBodyLength: 100, maxLineLength: 50, maxHeaders: 5 },
        );
        const firstError = out.findIndex((f) => f instanceof FrameError);
        if (firstError !== -1) expect(firstError).toBe(out.length - 1);
      }),
      { numRuns: 500 },
    );
  });
});

describe("STOMP frame encoder", () => {
  it("escapes per version and never escapes CONNECTED", () => {
    expect(escapeHeader("a:b\nc\\d\re", "1.0")).toBe("a:bc\\de");
    expect(escapeHeader("a:b\nc\\d\re", "1.1")).toBe("a\\cb\\nc\\\\d\re");
    expect(escapeHeader("a:b\nc\\d\re", "1.2")).toBe("a\\cb\\nc\\\\d\\re");
    expect(encodeFrame("CONNECTED", [["k", "a:b"]], null, "1.2").toString()).toBe("CONNECTED\nk:a:b\n\n\0");
  });

  it("writes content-length for bodies so NULs survive", () => {
    const f = encodeFrame("MESSAGE", [["destination", "/queue/a"]], Buffer.from("a\0b"), "1.2");
    expect(f.toString("latin1")).toBe("MESSAGE\ndestination:/queue/a\ncontent-length:3\n\na\0b\0");
  });
});
