#!/usr/bin/env node
// Generates protocols/amqp/codec/methods.ts from amqp-0-9-1.json: one interface per method, the
// AmqpMethod union, id/flag tables, and straight-line decode/encode code per method and for the
// basic-class properties. It also writes src/core/reply-codes.generated.ts, the one table of reply
// codes (name, code, hard/soft) that the core's BrokerError and every front-end use: that is data,
// not a wire format, so the core owns it and the codec re-exports it. Plain Node, no dependencies:
//
//   node protocols/amqp/spec/generate.mjs          write both files
//   node protocols/amqp/spec/generate.mjs --check  exit 1 if either is out of date
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const specPath = join(here, "amqp-0-9-1.json");
const outPath = join(here, "..", "codec", "methods.ts");
const replyCodesPath = join(here, "..", "..", "..", "src", "core", "reply-codes.generated.ts");
const spec = JSON.parse(readFileSync(specPath, "utf8"));

// ---- names ------------------------------------------------------------------------------------

/** "reply-code" → "replyCode", "reserved-1" → "reserved1", "nowait" → "nowait". */
const camel = (name) => name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
/** "basic" + "get-ok" → "BasicGetOk". */
const pascal = (...parts) =>
  parts
    .map((p) => camel(p))
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join("");
const constName = (name) => name.replace(/-/g, "_").toUpperCase();
const hex = (n, width) => `0x${n.toString(16).padStart(width, "0")}`;

// ---- resolve the table ------------------------------------------------------------------------

const PRIMITIVES = new Set(["bit", "octet", "short", "long", "longlong", "shortstr", "longstr", "table", "timestamp"]);

function primitiveOf(field, where) {
  const type = spec.domains[field.domain];
  if (!type) throw new Error(`${where}: unknown domain '${field.domain}'`);
  if (!PRIMITIVES.has(type)) throw new Error(`${where}: domain '${field.domain}' maps to unknown type '${type}'`);
  return type;
}

const methods = [];
for (const cls of spec.classes) {
  for (const m of cls.methods) {
    const kind = `${cls.name}.${m.name}`;
    const fields = m.fields.map((f) => ({
      ...f,
      prop: camel(f.name),
      type: primitiveOf(f, `${kind}.${f.name}`),
    }));
    methods.push({
      kind,
      cls,
      method: m,
      classId: cls.id,
      methodId: m.id,
      id: (cls.id << 16) | m.id,
      iface: pascal(cls.name, m.name),
      synchronous: m.synchronous === true,
      content: m.content === true,
      responses: (m.responses ?? []).map((r) => `${cls.name}.${r}`),
      hasNowait: fields.some((f) => f.name === "nowait"),
      fields,
    });
  }
}
const byKind = new Map(methods.map((m) => [m.kind, m]));
for (const m of methods) {
  for (const r of m.responses) if (!byKind.has(r)) throw new Error(`${m.kind}: unknown response ${r}`);
  if (m.synchronous !== m.responses.length > 0) throw new Error(`${m.kind}: synchronous methods, and only they, list responses`);
}
const basic = spec.classes.find((c) => c.name === "basic");
const properties = basic.properties.map((p) => ({ ...p, prop: camel(p.name), type: primitiveOf(p, `basic property ${p.name}`) }));

// ---- TypeScript types -------------------------------------------------------------------------

function tsType(f) {
  switch (f.type) {
    case "bit":
      return "boolean";
    case "octet":
    case "short":
    case "long":
    case "longlong":
    case "timestamp":
      return "number";
    case "shortstr":
      return "string";
    case "longstr":
      return f.binary ? "Buffer" : "string";
    case "table":
      return "FieldTable";
  }
  throw new Error(f.type);
}

const FIXED_SIZE = { octet: 1, short: 2, long: 4, longlong: 8, timestamp: 8 };
const LENGTH_PREFIX = { shortstr: 1, longstr: 4, table: 4 };

// ---- decoder ----------------------------------------------------------------------------------

/**
 * A method's fields as read operations: fixed-size reads (a bit group is one octet, §4.2.5.2) and
 * variable bodies whose length the preceding fixed read put in `n`. Consecutive fixed reads, and a
 * body plus the fixed reads after it, share one bounds check. Octets are read by index with `!`:
 * the shared check before them (and decodeMethod's `end <= payload.length`) means the byte is
 * there, so the assertion costs nothing at run time where `readUInt8` would check again.
 */
function readOps(m) {
  const ops = [];
  let bitGroup = null;
  m.fields.forEach((f, i) => {
    const v = `f${i}`;
    if (f.type === "bit") {
      if (bitGroup === null || bitGroup.bits.length === 8) {
        bitGroup = { kind: "fixed", size: 1, bits: [], byteVar: `b${i}` };
        bitGroup.code = [`const ${bitGroup.byteVar} = payload[p]!;`, "p += 1;"];
        ops.push(bitGroup);
      }
      bitGroup.bits.push(f);
      f.valueExpr = `(${bitGroup.byteVar} & ${1 << (bitGroup.bits.length - 1)}) !== 0`;
      return;
    }
    bitGroup = null;
    f.valueExpr = v;
    switch (f.type) {
      case "octet":
        ops.push({ kind: "fixed", size: 1, code: [`const ${v} = payload[p]!;`, "p += 1;"] });
        break;
      case "short":
        ops.push({ kind: "fixed", size: 2, code: [`const ${v} = (payload[p]! << 8) | payload[p + 1]!;`, "p += 2;"] });
        break;
      case "long":
        ops.push({ kind: "fixed", size: 4, code: [`const ${v} = payload.readUInt32BE(p);`, "p += 4;"] });
        break;
      case "longlong":
      case "timestamp":
        ops.push({ kind: "fixed", size: 8, code: [`const ${v} = readUint64(payload, p);`, "p += 8;"] });
        break;
      case "shortstr":
        ops.push({ kind: "fixed", size: 1, code: ["n = payload[p]!;", "p += 1;"] });
        ops.push({
          kind: "body",
          code: [`const ${v} = readText(payload, p, p + n, ${JSON.stringify(`${m.kind} ${f.name}`)});`, "p += n;"],
        });
        break;
      case "longstr":
        ops.push({ kind: "fixed", size: 4, code: ["n = payload.readUInt32BE(p);", "p += 4;"] });
        ops.push({
          kind: "body",
          code: f.binary
            ? // A copy: these (credentials, locales) outlive the read buffer they arrived in
              [`const ${v} = Buffer.from(payload.subarray(p, p + n));`, "p += n;"]
            : [`const ${v} = readText(payload, p, p + n, ${JSON.stringify(`${m.kind} ${f.name}`)});`, "p += n;"],
        });
        break;
      case "table":
        ops.push({ kind: "fixed", size: 4, code: ["n = payload.readUInt32BE(p);", "p += 4;"] });
        ops.push({ kind: "body", code: [`const ${v} = decodeTableBody(payload, p, p + n);`, "p += n;"] });
        break;
      default:
        throw new Error(f.type);
    }
  });
  return ops;
}

function decoderCase(m) {
  const lines = [];
  const ops = readOps(m);
  const usesN = ops.some((o) => o.kind === "body");
  if (usesN) lines.push("let n: number;");
  let i = 0;
  while (i < ops.length) {
    let body = null;
    if (ops[i].kind === "body") body = ops[i++];
    const fixed = [];
    while (i < ops.length && ops[i].kind === "fixed") fixed.push(ops[i++]);
    const size = fixed.reduce((s, o) => s + o.size, 0);
    const need = [body ? "n" : null, size > 0 ? String(size) : null].filter(Boolean).join(" + ");
    lines.push(`if (p + ${need} > end) throw truncated(${JSON.stringify(m.kind)});`);
    if (body) lines.push(...body.code);
    for (const o of fixed) lines.push(...o.code);
  }
  lines.push(`if (p !== end) throw overlong(${JSON.stringify(m.kind)}, end - p);`);
  const props = [`kind: ${JSON.stringify(m.kind)}`, ...m.fields.map((f) => `${f.prop}: ${f.valueExpr}`)];
  lines.push(`return { ${props.join(", ")} };`);
  return [`case ${hex(m.id, 8)}: { // ${m.kind} (${m.classId}/${m.methodId})`, ...lines.map((l) => `  ${l}`), "}"];
}

// ---- encoder ----------------------------------------------------------------------------------

function encoderCase(m) {
  const sizeTerms = [String(4)]; // class-id + method-id
  const pre = [];
  const writes = [`buf.writeUInt32BE(${hex(m.id, 8)}, 7);`, "let p = 11;"];
  let bitGroup = null;
  const flushBits = () => {
    if (bitGroup === null) return;
    const expr = bitGroup.map((f, j) => `(m.${f.prop} ? ${1 << j} : 0)`).join(" | ");
    writes.push(`buf[p++] = ${expr};`);
    bitGroup = null;
  };
  m.fields.forEach((f, i) => {
    if (f.type === "bit") {
      if (bitGroup === null) {
        bitGroup = [];
        sizeTerms.push("1");
      } else if (bitGroup.length === 8) {
        flushBits();
        bitGroup = [];
        sizeTerms.push("1");
      }
      bitGroup.push(f);
      return;
    }
    flushBits();
    const label = JSON.stringify(`${m.kind} ${f.name}`);
    switch (f.type) {
      case "octet":
        sizeTerms.push("1");
        writes.push(`p = buf.writeUInt8(m.${f.prop}, p);`);
        break;
      case "short":
        sizeTerms.push("2");
        writes.push(`p = buf.writeUInt16BE(m.${f.prop}, p);`);
        break;
      case "long":
        sizeTerms.push("4");
        writes.push(`p = buf.writeUInt32BE(m.${f.prop}, p);`);
        break;
      case "longlong":
      case "timestamp":
        sizeTerms.push("8");
        writes.push(`p = writeUint64(buf, p, m.${f.prop});`);
        break;
      case "shortstr":
        if (f.domain === "reply-text") {
          // Error texts embed names of up to 255 bytes themselves: cut as RabbitMQ cuts them
          pre.push(`const n${i} = replyTextLength(m.${f.prop});`);
          sizeTerms.push(`1 + n${i}`);
          writes.push(`p = writeReplyText(buf, p, m.${f.prop}, n${i});`);
          break;
        }
        pre.push(`const n${i} = shortStringLength(m.${f.prop}, ${label});`);
        sizeTerms.push(`1 + n${i}`);
        writes.push(`p = writeShortString(buf, p, m.${f.prop}, n${i});`);
        break;
      case "longstr":
        if (f.binary) {
          pre.push(`const n${i} = m.${f.prop}.length;`);
          writes.push(`buf.writeUInt32BE(n${i}, p);`, `buf.set(m.${f.prop}, p + 4);`, `p += 4 + n${i};`);
        } else {
          pre.push(`const n${i} = utf8Length(m.${f.prop});`);
          writes.push(`buf.writeUInt32BE(n${i}, p);`, `p = writeText(buf, p + 4, m.${f.prop}, n${i});`);
        }
        sizeTerms.push(`4 + n${i}`);
        break;
      case "table":
        pre.push(`const n${i} = tableSize(m.${f.prop});`);
        sizeTerms.push(`n${i}`);
        writes.push(`p = encodeTable(buf, p, m.${f.prop});`);
        break;
      default:
        throw new Error(f.type);
    }
  });
  flushBits();
  const constant = sizeTerms.filter((t) => /^\d+$/.test(t)).reduce((s, t) => s + Number(t), 0);
  const variable = sizeTerms.filter((t) => !/^\d+$/.test(t));
  const size = [String(constant), ...variable].join(" + ");
  const needsP = writes.length > 2;
  return [
    `case ${JSON.stringify(m.kind)}: {`,
    ...pre.map((l) => `  ${l}`),
    `  const buf = methodFrame(channel, ${size});`,
    ...(needsP ? writes : writes.slice(0, 1)).map((l) => `  ${l}`),
    needsP ? "  buf[p] = FRAME_END;" : `  buf[${7 + constant}] = FRAME_END;`,
    "  return buf;",
    "}",
  ];
}

// ---- basic properties (§4.2.6.1: 16-bit flags, bit 15 = first property, then the present values) --

function propertiesDecoder() {
  const lines = [
    "export function decodeBasicProperties(buf: Buffer, start: number, end: number): MessageProperties {",
    '  if (start + 2 > end) throw frameError("content header properties shorter than their flags");',
    // every octet read below by index (with `!`) is behind a check against `end`, so `end` must be inside buf
    '  if (end > buf.length) throw truncated("basic properties");',
    "  const flags = (buf[start]! << 8) | buf[start + 1]!;",
    `  if ((flags & ${hex(unusedFlagBits(), 4)}) !== 0) throw syntaxError(\`unknown basic property flags 0x\${flags.toString(16)}\`);`,
    "  const props: MessageProperties = {};",
    "  let p = start + 2;",
    "  let n: number;",
  ];
  for (const pr of properties) {
    const bit = hex(1 << pr.flag, 4);
    const label = JSON.stringify(`${pr.name} property`);
    lines.push(`  if ((flags & ${bit}) !== 0) {`);
    switch (pr.type) {
      case "shortstr":
        lines.push(
          '    if (p >= end) throw truncated("basic properties");',
          "    n = buf[p]!;",
          '    if (p + 1 + n > end) throw truncated("basic properties");',
          `    props.${pr.prop} = readText(buf, p + 1, p + 1 + n, ${label});`,
          "    p += 1 + n;",
        );
        break;
      case "octet":
        lines.push('    if (p >= end) throw truncated("basic properties");', `    props.${pr.prop} = buf[p]!;`, "    p += 1;");
        break;
      case "timestamp":
        // Any 64-bit value, as RabbitMQ: a number up to 2^53, a bigint past it (re-encoded exactly)
        lines.push(
          '    if (p + 8 > end) throw truncated("basic properties");',
          `    props.${pr.prop} = readUint64Exact(buf, p);`,
          "    p += 8;",
        );
        break;
      case "table":
        lines.push(
          '    if (p + 4 > end) throw truncated("basic properties");',
          "    n = buf.readUInt32BE(p);",
          '    if (p + 4 + n > end) throw truncated("basic properties");',
          `    props.${pr.prop} = decodeTableBody(buf, p + 4, p + 4 + n);`,
          "    p += 4 + n;",
        );
        break;
      default:
        throw new Error(`basic property ${pr.name}: no codec for ${pr.type}`);
    }
    lines.push("  }");
  }
  lines.push('  if (p !== end) throw overlong("basic properties", end - p);', "  return props;", "}");
  return lines;
}

function unusedFlagBits() {
  let used = 0;
  for (const pr of properties) used |= 1 << pr.flag;
  return 0xffff & ~used;
}

function propertiesEncoder() {
  const size = ["  let size = 2;"];
  const writes = ["  let flags = 0;", "  let p = 2;"];
  properties.forEach((pr, i) => {
    const bit = hex(1 << pr.flag, 4);
    const label = JSON.stringify(`${pr.name} property`);
    const v = `v${i}`;
    size.push(`  const ${v} = props.${pr.prop};`);
    switch (pr.type) {
      case "shortstr":
        size.push(`  const n${i} = ${v} == null ? -1 : shortStringLength(${v}, ${label});`, `  if (n${i} >= 0) size += 1 + n${i};`);
        writes.push(`  if (n${i} >= 0) {`, `    flags |= ${bit};`, `    p = writeShortString(buf, p, ${v}!, n${i});`, "  }");
        break;
      case "octet":
        size.push(`  if (${v} != null) size += 1;`);
        writes.push(`  if (${v} != null) {`, `    flags |= ${bit};`, `    p = buf.writeUInt8(${v}, p);`, "  }");
        break;
      case "timestamp":
        size.push(`  if (${v} != null) size += 8;`);
        writes.push(`  if (${v} != null) {`, `    flags |= ${bit};`, `    p = writeUint64Exact(buf, p, ${v});`, "  }");
        break;
      case "table":
        size.push(`  const n${i} = ${v} == null ? -1 : tableSize(${v});`, `  if (n${i} >= 0) size += n${i};`);
        writes.push(`  if (n${i} >= 0) {`, `    flags |= ${bit};`, `    p = encodeTable(buf, p, ${v}!);`, "  }");
        break;
      default:
        throw new Error(pr.type);
    }
  });
  return [
    "export function encodeBasicProperties(props: MessageProperties): Buffer {",
    ...size,
    "  const buf = Buffer.allocUnsafe(size);",
    ...writes,
    "  buf.writeUInt16BE(flags, 0);",
    "  return buf;",
    "}",
  ];
}

// ---- assemble ---------------------------------------------------------------------------------

const out = [];
const emit = (...lines) => out.push(...lines);

emit(
  "// GENERATED by protocols/amqp/spec/generate.mjs from protocols/amqp/spec/amqp-0-9-1.json — do not edit.",
  "// Change the spec table or the generator, then run `node protocols/amqp/spec/generate.mjs`.",
  "//",
  "// AMQP 0-9-1 methods (§4.2.4: class-id, method-id, then the fields in spec order; consecutive bits",
  "// packed low bit first into octets, §4.2.5.2) and the basic-class properties (§4.2.6.1).",
  "/* eslint-disable */",
  "",
  'import type { FieldTable, MessageProperties } from "../../../src/core/index.js";',
  'import { CodecError, FRAME_ERROR, NOT_IMPLEMENTED, describeFrame, erlangBinary, frameError, syntaxError } from "./errors.js";',
  'import { decodeTableBody, encodeTable, tableSize } from "./field-table.js";',
  "import {",
  "  readText, readUint64, readUint64Exact, replyTextLength, shortStringLength, utf8Length, writeReplyText, writeShortString, writeText,",
  "  writeUint64, writeUint64Exact,",
  '} from "./primitives.js";',
  "",
  "/** §4.2.3: every frame ends with this octet. */",
  `const FRAME_END = ${spec.frameEnd};`,
  "",
);

// Reply codes: the table lives in the core (see replyCodesFile below); the codec re-exports it
emit('export { REPLY_CODE, REPLY_CODE_INFO, type ReplyCodeInfo, isHardError } from "../../../src/core/index.js";', "");

// Class ids
emit("export const CLASS_ID = {");
for (const c of spec.classes) emit(`  ${camel(c.name)}: ${c.id},`);
emit("} as const;", "");

// Interfaces
for (const m of methods) {
  const traits = [
    m.synchronous ? `synchronous, answered by ${m.responses.join(" or ")}` : "asynchronous",
    m.content ? "carries content" : null,
  ].filter(Boolean);
  emit(`/** ${m.kind} (${m.classId}/${m.methodId}): ${traits.join("; ")}. */`, `export interface ${m.iface} {`);
  emit(`  readonly kind: ${JSON.stringify(m.kind)};`);
  for (const f of m.fields) {
    if (f.reserved) emit(`  /** Reserved in 0-9-1${f.rabbitmqName ? ` (RabbitMQ's table: ${f.rabbitmqName})` : ""}. */`);
    emit(`  readonly ${f.prop}: ${tsType(f)};`);
  }
  emit("}", "");
}
emit('/** Every AMQP 0-9-1 method, discriminated by `kind` ("class.method"). */', "export type AmqpMethod =");
methods.forEach((m, i) => emit(`  | ${m.iface}${i === methods.length - 1 ? ";" : ""}`));
emit(
  "",
  'export type MethodKind = AmqpMethod["kind"];',
  "",
  '/** The method interface for a kind: MethodOf<"basic.publish"> is BasicPublish. */',
  "export type MethodOf<K extends MethodKind> = Extract<AmqpMethod, { kind: K }>;",
  "",
);

// Info tables
emit(
  "export interface MethodInfo {",
  "  readonly kind: MethodKind;",
  "  readonly classId: number;",
  "  readonly methodId: number;",
  "  /** The sender waits for one of `responses` (unless it set nowait). */",
  "  readonly synchronous: boolean;",
  "  /** A content header and body frames follow the method (§4.2.6). */",
  "  readonly content: boolean;",
  "  readonly responses: readonly MethodKind[];",
  "  /** Has a nowait bit; when set, no response is sent. */",
  "  readonly hasNowait: boolean;",
  "}",
  "",
  "export const METHOD_INFO: { readonly [K in MethodKind]: MethodInfo } = {",
);
for (const m of methods) {
  emit(
    `  ${JSON.stringify(m.kind)}: { kind: ${JSON.stringify(m.kind)}, classId: ${m.classId}, methodId: ${m.methodId}, ` +
      `synchronous: ${m.synchronous}, content: ${m.content}, responses: [${m.responses.map((r) => JSON.stringify(r)).join(", ")}], ` +
      `hasNowait: ${m.hasNowait} },`,
  );
}
emit(
  "};",
  "",
  "/** [class-id, method-id] per kind, e.g. for connection.close's class-id/method-id fields. */",
  "export const METHOD_IDS: { readonly [K in MethodKind]: readonly [classId: number, methodId: number] } = {",
);
for (const m of methods) emit(`  ${JSON.stringify(m.kind)}: [${m.classId}, ${m.methodId}],`);
emit(
  "};",
  "",
  "const INFO_BY_ID = new Map<number, MethodInfo>(",
  "  Object.values(METHOD_INFO).map((info: MethodInfo) => [(info.classId << 16) | info.methodId, info]),",
  ");",
  "",
  "/** The method with these ids, or undefined when AMQP 0-9-1 (with RabbitMQ's extensions) has none. */",
  "export function methodInfoById(classId: number, methodId: number): MethodInfo | undefined {",
  "  return INFO_BY_ID.get((classId << 16) | methodId);",
  "}",
  "",
);

// Decoder
emit(
  "function truncated(what: string): CodecError {",
  "  return frameError(`cannot decode ${what}: truncated`);",
  "}",
  "",
  "function overlong(what: string, extra: number): CodecError {",
  "  return frameError(`cannot decode ${what}: ${extra} unexpected trailing bytes`);",
  "}",
  "",
  "/**",
  " * Decodes a method frame's payload, bytes [start, end) of `payload`: class-id, method-id, fields.",
  " * Throws CodecError carrying the method's class and method ids: 501 when the fields are truncated",
  ' * or too long ("FRAME_ERROR - cannot decode <<...>>", as RabbitMQ says it), 502 for illegal',
  " * values, 540 for ids AMQP 0-9-1 does not have.",
  " */",
  "export function decodeMethod(payload: Buffer, start: number, end: number): AmqpMethod {",
  "  if (start < 0 || end > payload.length || end - start < 4) {",
  "    const octets = payload.subarray(Math.max(0, start), Math.max(0, Math.min(end, payload.length)));",
  "    throw frameError(`${describeFrame(1, octets)}: unknown_frame`);",
  "  }",
  "  try {",
  "    return decodeFields(payload, start, end);",
  "  } catch (err) {",
  "    throw inMethod(err, payload, start, end);",
  "  }",
  "}",
  "",
  "/** Adds the method's ids to a codec error from inside its fields, and RabbitMQ's text for undecodable ones. */",
  "function inMethod(err: unknown, payload: Buffer, start: number, end: number): unknown {",
  "  if (!(err instanceof CodecError) || err.classId !== 0) return err;",
  "  const classId = payload.readUInt16BE(start);",
  "  const methodId = payload.readUInt16BE(start + 2);",
  '  const text = err.replyCode === FRAME_ERROR ? `FRAME_ERROR - cannot decode ${erlangBinary(payload.subarray(start + 4, end), "w")}` : err.text;',
  "  return new CodecError(err.replyCode, text, classId, methodId);",
  "}",
  "",
  "function decodeFields(payload: Buffer, start: number, end: number): AmqpMethod {",
  "  let p = start + 4;",
  "  switch (payload.readUInt32BE(start)) {",
);
// Clients send basic-class methods (publish, ack) most; until the switch is optimised its cases
// are compared in order, so those come first.
const hotFirst = [...methods.filter((m) => m.cls.name === "basic"), ...methods.filter((m) => m.cls.name !== "basic")];
for (const m of hotFirst) emit(...decoderCase(m).map((l) => `    ${l}`));
emit(
  "    default: {",
  "      const classId = payload.readUInt16BE(start);",
  "      const methodId = payload.readUInt16BE(start + 2);",
  "      throw new CodecError(NOT_IMPLEMENTED, `NOT_IMPLEMENTED - unknown method class ${classId}, method ${methodId}`, classId, methodId);",
  "    }",
  "  }",
  "}",
  "",
);

// Encoder
emit(
  "/** A method frame of `payloadSize` bytes with its 7-byte header written (§4.2.3). */",
  "function methodFrame(channel: number, payloadSize: number): Buffer {",
  "  const buf = Buffer.allocUnsafe(payloadSize + 8);",
  "  buf[0] = 1; // frame type: method",
  "  buf.writeUInt16BE(channel, 1);",
  "  buf.writeUInt32BE(payloadSize, 3);",
  "  return buf;",
  "}",
  "",
  "/** One complete method frame (header, payload, frame-end), sized first and allocated once. */",
  "export function encodeMethodFrame(channel: number, m: AmqpMethod): Buffer {",
  "  switch (m.kind) {",
);
// The broker sends basic-class methods (ack/nack confirms, consume-ok) most; string cases are
// compared in order.
for (const m of hotFirst) emit(...encoderCase(m).map((l) => `    ${l}`));
emit(
  "    default: {",
  "      const unknown: never = m;",
  "      throw new TypeError(`not an AMQP method: ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);",
  "    }",
  "  }",
  "}",
  "",
);

// Properties
emit("/** Basic-class property flags (§4.2.6.1), bit 15 for the first property. */", "export const BASIC_PROPERTY_FLAGS = {");
for (const pr of properties) emit(`  ${pr.prop}: ${hex(1 << pr.flag, 4)},`);
emit(
  "} as const;",
  "",
  "/** Decodes a content header's property flags and list, bytes [start, end). */",
  ...propertiesDecoder(),
  "",
  "/** Encodes property flags and list for a content header, sized first. */",
  ...propertiesEncoder(),
  "",
);

function replyCodesFile() {
  const lines = [
    "// GENERATED by protocols/amqp/spec/generate.mjs from protocols/amqp/spec/amqp-0-9-1.json — do not edit.",
    "// Change the spec table's replyCodes, then run `node protocols/amqp/spec/generate.mjs`.",
    "//",
    "// The one table of AMQP 0-9-1 reply codes (§1.2, the spec's constants) by RabbitMQ's names, with",
    "// their class: hard errors close the connection, soft ones a channel. Every front-end maps from",
    "// these codes (docs/errors.md lists what Warren sends; test/core/reply-codes.test.ts checks it).",
    "",
    "/** Every reply code, by name (REPLY_SUCCESS included). */",
    "export const REPLY_CODE = {",
  ];
  for (const r of spec.replyCodes) lines.push(`  ${constName(r.name)}: ${r.code},`);
  const successName = constName(spec.replyCodes.find((r) => r.kind === "success").name);
  lines.push(
    "} as const;",
    "",
    "/** The error codes (all but the success code): what a BrokerError carries. */",
    `const { ${successName}: _success, ...errorCodes } = REPLY_CODE;`,
    "export const ReplyCode = errorCodes;",
    "",
    "export type ReplyCodeName = keyof typeof ReplyCode;",
    "export type ReplyCodeValue = (typeof ReplyCode)[ReplyCodeName];",
    "",
    "export interface ReplyCodeInfo {",
    "  readonly name: string;",
    "  /** hard: connection.close; soft: channel.close; success: 200 only. */",
    '  readonly kind: "hard" | "soft" | "success";',
    "}",
    "",
    "export const REPLY_CODE_INFO: Readonly<Record<number, ReplyCodeInfo>> = {",
  );
  for (const r of spec.replyCodes)
    lines.push(`  ${r.code}: { name: ${JSON.stringify(constName(r.name))}, kind: ${JSON.stringify(r.kind)} },`);
  lines.push(
    "};",
    "",
    "/** Whether a reply code closes the whole connection (§1.2); unknown codes count as hard. */",
    "export function isHardError(replyCode: number): boolean {",
    '  return REPLY_CODE_INFO[replyCode]?.kind !== "soft";',
    "}",
    "",
  );
  return lines.join("\n");
}

const outputs = [
  [outPath, out.join("\n"), `${methods.length} methods, ${properties.length} basic properties`],
  [replyCodesPath, replyCodesFile(), `${spec.replyCodes.length} reply codes`],
];
if (process.argv.includes("--check")) {
  let stale = false;
  for (const [path, text] of outputs) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    if (current !== text) {
      console.error(`${path} is out of date; run node protocols/amqp/spec/generate.mjs`);
      stale = true;
    }
  }
  if (stale) process.exit(1);
} else {
  for (const [path, text, what] of outputs) {
    writeFileSync(path, text);
    console.log(`wrote ${path}: ${what}`);
  }
}
