#!/usr/bin/env node
// Writes protocols/openwire/codec/commands.generated.ts from the OpenWire table in openwire.json.
//
//   node protocols/openwire/spec/generate.mjs          regenerate
//   node protocols/openwire/spec/generate.mjs --check  exit 1 if the generated file is out of date
//
// The table lists every data structure OpenWire versions 1 to 12 carry: its type code, the type it
// extends (whose fields come first on the wire) and its fields in wire order, each with its kind
// and the first version that has it. From it this writes, per concrete type, an interface (with
// `dataType`, its code), a `make<Type>` with every field's default, a straight-line loose decoder
// and encoder (fields newer than the negotiated version skipped), unions of each type's concrete
// descendants (`AnyActiveMQDestination`, `AnyBaseCommand`, `DataStructure`) and the dispatch by
// type code; and the same again for tight encoding (`tightDecodeBody`, `tightEncodeBody`: the
// booleans into the writer's bit stream, the data into its buffer; see primitives.ts). A cached
// field is a nested one unless the Reader or Writer has a MarshalCache (CacheEnabled): then a
// "new" flag and an index come first, and the structure only when new (Warren refers to what it
// sent before only for the same object, see MarshalCache).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const specPath = fileURLToPath(new URL("openwire.json", import.meta.url));
const outPath = fileURLToPath(new URL("../codec/commands.generated.ts", import.meta.url));
const spec = JSON.parse(readFileSync(specPath, "utf8"));

const types = new Map(spec.types.map((t) => [t.name, t]));
for (const t of spec.types) {
  if (t.extends !== undefined && !types.has(t.extends)) throw new Error(`${t.name} extends unknown ${t.extends}`);
  for (const f of t.fields) {
    if (f.of !== undefined && f.of !== "DataStructure" && !types.has(f.of)) throw new Error(`${t.name}.${f.name}: unknown type ${f.of}`);
    if ((f.since ?? 1) > spec.maxVersion) throw new Error(`${t.name}.${f.name}: since ${f.since} > ${spec.maxVersion}`);
  }
}
const concrete = spec.types.filter((t) => t.dataType !== undefined).sort((a, b) => a.dataType - b.dataType);
const codes = new Set();
for (const t of concrete) {
  if (codes.has(t.dataType)) throw new Error(`type code ${t.dataType} used twice`);
  codes.add(t.dataType);
}

/** A type's fields after its ancestors'. */
function allFields(t) {
  const parent = t.extends === undefined ? [] : allFields(types.get(t.extends));
  return [...parent, ...t.fields];
}
function descends(t, ancestor) {
  for (let x = t; x !== undefined; x = x.extends === undefined ? undefined : types.get(x.extends)) if (x.name === ancestor) return true;
  return false;
}
/** The concrete types a field of type `name` may hold. */
function concreteOf(name) {
  if (name === "DataStructure") return concrete;
  return concrete.filter((t) => descends(t, name));
}
/** The TypeScript type naming "a `name` or any of its subtypes". */
function anyName(name) {
  if (name === "DataStructure") return "DataStructure";
  const cs = concreteOf(name);
  if (cs.length === 1 && cs[0].name === name) return name;
  return `Any${name}`;
}

function tsType(f) {
  switch (f.kind) {
    case "boolean":
      return "boolean";
    case "byte":
    case "short":
    case "int":
    case "long":
      return "number";
    case "string":
      return "string | null";
    case "bytes":
      return "Buffer | null";
    case "magic":
      return "Buffer";
    case "throwable":
      return "JavaThrowable | null";
    case "cached":
    case "nested":
      return `${anyName(f.of)} | null`;
    case "array":
      return `${anyName(f.of)}[] | null`;
  }
  throw new Error(`unknown kind ${f.kind}`);
}
function defaultValue(f) {
  switch (f.kind) {
    case "boolean":
      return "false";
    case "byte":
    case "short":
    case "int":
    case "long":
      return "0";
    case "magic":
      return "Buffer.alloc(8)";
    default:
      return "null";
  }
}
function readExpr(f) {
  switch (f.kind) {
    case "boolean":
    case "byte":
    case "short":
    case "int":
    case "long":
    case "string":
    case "bytes":
      return `r.${f.kind}()`;
    case "magic":
      return "r.raw(8)";
    case "throwable":
      return "readThrowable(r)";
    case "cached":
      return `readCached${anyName(f.of)}(r)`;
    case "nested":
      return `read${anyName(f.of)}(r)`;
    case "array":
      return `readArray(r, read${anyName(f.of)}Body)`;
  }
  throw new Error(`unknown kind ${f.kind}`);
}
function writeStmt(f) {
  const v = `o.${f.name}`;
  switch (f.kind) {
    case "boolean":
    case "byte":
    case "short":
    case "int":
    case "long":
    case "string":
    case "bytes":
      return `w.${f.kind}(${v});`;
    case "magic":
      return `w.raw(${v});`;
    case "throwable":
      return `writeThrowable(w, ${v});`;
    case "cached":
      return `writeCached(w, ${v});`;
    case "nested":
      return `writeNested(w, ${v});`;
    case "array":
      return `writeArray(w, ${v});`;
  }
  throw new Error(`unknown kind ${f.kind}`);
}
const gate = (f) => (f.since ?? 1) > 1;
function marshallAware(t) {
  for (let x = t; x !== undefined; x = x.extends === undefined ? undefined : types.get(x.extends)) if (x.marshallAware) return true;
  return false;
}
/** Tight encoding: booleans go to the bit stream, longs, strings and byte arrays have their own forms. */
function tightReadExpr(f) {
  switch (f.kind) {
    case "boolean":
      return "r.bit()";
    case "long":
      return "r.tlong()";
    case "string":
      return "r.tstring()";
    case "bytes":
      return "r.tbytes()";
    case "byte":
    case "short":
    case "int":
      return `r.${f.kind}()`;
    case "magic":
      return "r.raw(8)";
    case "throwable":
      return "readThrowableTight(r)";
    case "cached":
      return `tightReadCached${anyName(f.of)}(r)`;
    case "nested":
      return `tightRead${anyName(f.of)}(r)`;
    case "array":
      return `tightReadArray(r, tightRead${anyName(f.of)})`;
  }
  throw new Error(`unknown kind ${f.kind}`);
}
function tightWriteStmt(f) {
  const v = `o.${f.name}`;
  switch (f.kind) {
    case "boolean":
      return `w.bit(${v});`;
    case "long":
    case "string":
    case "bytes":
      return `w.t${f.kind}(${v});`;
    case "byte":
    case "short":
    case "int":
      return `w.${f.kind}(${v});`;
    case "magic":
      return `w.raw(${v});`;
    case "throwable":
      return `writeThrowableTight(w, ${v});`;
    case "cached":
      return `tightWriteCached(w, ${v});`;
    case "nested":
      return `tightWriteNested(w, ${v});`;
    case "array":
      return `tightWriteArray(w, ${v});`;
  }
  throw new Error(`unknown kind ${f.kind}`);
}

const out = [];
out.push(
  "// Generated by protocols/openwire/spec/generate.mjs from protocols/openwire/spec/openwire.json. Do not edit.",
  "// Loose and tight encoding, no marshal cache: see the generator's header.",
  "import {",
  "  DecodeError,",
  "  looseBytesToTight,",
  "  looseLongToTight,",
  "  looseStringToTight,",
  "  type MarshalCache,",
  "  type JavaThrowable,",
  "  type Reader,",
  "  readThrowable,",
  "  readThrowableTight,",
  "  tightBytesToLoose,",
  "  tightLongToLoose,",
  "  tightStringToLoose,",
  "  type TightReader,",
  "  type TightWriter,",
  "  type Writer,",
  "  writeThrowable,",
  "  writeThrowableTight,",
  '} from "./primitives.js";',
  "",
  `/** The highest OpenWire version this codec speaks. */`,
  `export const OPENWIRE_MAX_VERSION = ${spec.maxVersion};`,
  "",
  "/** Every data structure's type code. */",
  "export const DataType = {",
  ...concrete.map((t) => `  ${t.name}: ${t.dataType},`),
  "} as const;",
  "",
);
// field interfaces, one per type (abstract ones too), each extending its parent's
for (const t of spec.types) {
  const parent = t.extends === undefined ? "" : ` extends ${t.extends}Fields`;
  out.push(`export interface ${t.name}Fields${parent} {`);
  for (const f of t.fields) out.push(`  ${f.name}: ${tsType(f)};`);
  out.push("}", "");
}
for (const t of concrete) {
  out.push(`export interface ${t.name} extends ${t.name}Fields {`, `  readonly dataType: ${t.dataType};`, "}", "");
}
// unions of concrete descendants for the types fields refer to (and the abstract ones)
const unions = new Set(["BaseCommand"]);
for (const t of spec.types) {
  if (t.dataType === undefined) unions.add(t.name);
  for (const f of t.fields) if (f.of !== undefined && f.of !== "DataStructure") unions.add(f.of);
}
const unionList = [...unions].filter((n) => anyName(n) !== n).sort();
for (const n of unionList) {
  out.push(
    `export type Any${n} = ${concreteOf(n)
      .map((c) => c.name)
      .join(" | ")};`,
  );
}
out.push(`export type DataStructure = ${concrete.map((c) => c.name).join(" | ")};`, "");

for (const t of concrete) {
  const fs = allFields(t);
  out.push(`export function make${t.name}(init: Partial<${t.name}Fields> = {}): ${t.name} {`);
  out.push(
    `  return { dataType: ${t.dataType}, ${fs.map((f) => `${f.name}: ${defaultValue(f)}`).join(", ")}${fs.length ? ", " : ""}...init };`,
  );
  out.push("}", "");
}
for (const t of concrete) {
  const fs = allFields(t);
  out.push(`function decode${t.name}(${fs.length ? "r" : "_r"}: Reader): ${t.name} {`);
  if (fs.some(gate)) out.push("  const v = r.version;");
  out.push(`  return {`, `    dataType: ${t.dataType},`);
  for (const f of fs) out.push(`    ${f.name}: ${gate(f) ? `v >= ${f.since} ? ${readExpr(f)} : ${defaultValue(f)}` : readExpr(f)},`);
  out.push("  };", "}", "");
  out.push(`function encode${t.name}(${fs.length ? "w" : "_w"}: Writer, ${fs.length ? "o" : "_o"}: ${t.name}): void {`);
  if (fs.some(gate)) out.push("  const v = w.version;");
  for (const f of fs) out.push(gate(f) ? `  if (v >= ${f.since}) ${writeStmt(f)}` : `  ${writeStmt(f)}`);
  out.push("}", "");
}
out.push(
  "/** The body of the data structure of type `dataType` (its type octet already read). */",
  "export function decodeBody(dataType: number, r: Reader): DataStructure {",
  "  switch (dataType) {",
  ...concrete.map((t) => `    case ${t.dataType}:\n      return decode${t.name}(r);`),
  "    default:",
  "      throw new DecodeError(`unknown data structure type ${dataType}`);",
  "  }",
  "}",
  "",
  "/** Writes `o`'s body (not its type octet). */",
  "export function encodeBody(w: Writer, o: DataStructure): void {",
  "  switch (o.dataType) {",
  ...concrete.map((t) => `    case ${t.dataType}:\n      return encode${t.name}(w, o);`),
  "  }",
  "}",
  "",
  "/** A nested structure: a not-null boolean, its type octet, its body. */",
  "export function writeNested(w: Writer, o: DataStructure | null): void {",
  "  w.boolean(o !== null);",
  "  if (o === null) return;",
  "  w.byte(o.dataType);",
  "  encodeBody(w, o);",
  "}",
  "",
  "function writeArray(w: Writer, a: readonly DataStructure[] | null): void {",
  "  w.boolean(a !== null);",
  "  if (a === null) return;",
  "  w.short(a.length);",
  "  for (const o of a) writeNested(w, o);",
  "}",
  "",
  "function readArray<T>(r: Reader, body: (r: Reader) => T | null): T[] | null {",
  "  if (!r.boolean()) return null;",
  "  const n = r.short();",
  "  if (n < 0) throw new DecodeError(`negative array length ${n}`);",
  "  // every element takes at least its not-null octet",
  "  r.need(n);",
  "  const out: T[] = [];",
  "  for (let i = 0; i < n; i++) {",
  "    const e = body(r);",
  '    if (e === null) throw new DecodeError("null array element");',
  "    out.push(e);",
  "  }",
  "  return out;",
  "}",
  "",
);
// typed nested readers: the type octet must be one of the field's type's concrete descendants
for (const n of ["DataStructure", ...[...unions].sort()]) {
  const name = anyName(n);
  const cs = concreteOf(n);
  out.push(`function read${name}Body(r: Reader): ${name} | null {`, "  if (!r.boolean()) return null;", "  const t = r.byte();");
  if (n !== "DataStructure") {
    const cond = cs.map((c) => `t !== ${c.dataType}`).join(" && ");
    out.push(`  if (${cond}) throw new DecodeError(\`type \${t} where a ${n} belongs\`);`);
  }
  out.push(`  return decodeBody(t, r) as ${name};`, "}", "");
  out.push(`export const read${name} = read${name}Body;`, "");
}
// tight encoding, the same structures
for (const t of concrete) {
  const fs = allFields(t);
  out.push(`function tightDecode${t.name}(${fs.length ? "r" : "_r"}: TightReader): ${t.name} {`);
  if (fs.some(gate)) out.push("  const v = r.version;");
  out.push(`  return {`, `    dataType: ${t.dataType},`);
  for (const f of fs)
    out.push(`    ${f.name}: ${gate(f) ? `v >= ${f.since} ? ${tightReadExpr(f)} : ${defaultValue(f)}` : tightReadExpr(f)},`);
  out.push("  };", "}", "");
  out.push(`function tightEncode${t.name}(${fs.length ? "w" : "_w"}: TightWriter, ${fs.length ? "o" : "_o"}: ${t.name}): void {`);
  if (fs.some(gate)) out.push("  const v = w.version;");
  for (const f of fs) out.push(gate(f) ? `  if (v >= ${f.since}) ${tightWriteStmt(f)}` : `  ${tightWriteStmt(f)}`);
  out.push("}", "");
}
const aware = concrete.filter(marshallAware);
out.push(
  "/** The tight body of the data structure of type `dataType` (its type octet read, and the boolean stream). */",
  "export function tightDecodeBody(dataType: number, r: TightReader): DataStructure {",
  "  switch (dataType) {",
  ...concrete.map((t) => `    case ${t.dataType}:\n      return tightDecode${t.name}(r);`),
  "    default:",
  "      throw new DecodeError(`unknown data structure type ${dataType}`);",
  "  }",
  "}",
  "",
  "/** Writes `o`'s tight body: its data to `w`, its booleans to `w`'s bit stream. */",
  "export function tightEncodeBody(w: TightWriter, o: DataStructure): void {",
  "  switch (o.dataType) {",
  ...concrete.map((t) => `    case ${t.dataType}:\n      return tightEncode${t.name}(w, o);`),
  "  }",
  "}",
  "",
  "/** Whether a nested structure of this type carries the cached-marshalled-form boolean (ActiveMQ's MarshallAware). */",
  "function marshallAware(dataType: number): boolean {",
  `  return ${aware.map((t) => `dataType === ${t.dataType}`).join(" || ")};`,
  "}",
  "",
  "/** A nested structure, tight: a not-null bit (and for a MarshallAware one a false bit), its type octet, its body. */",
  "export function tightWriteNested(w: TightWriter, o: DataStructure | null): void {",
  "  w.bit(o !== null);",
  "  if (o === null) return;",
  "  if (marshallAware(o.dataType)) w.bit(false);",
  "  w.byte(o.dataType);",
  "  tightEncodeBody(w, o);",
  "}",
  "",
  "function tightWriteArray(w: TightWriter, a: readonly DataStructure[] | null): void {",
  "  w.bit(a !== null);",
  "  if (a === null) return;",
  "  w.short(a.length);",
  "  for (const o of a) tightWriteNested(w, o);",
  "}",
  "",
  "function tightReadArray<T>(r: TightReader, body: (r: TightReader) => T | null): T[] | null {",
  "  if (!r.bit()) return null;",
  "  const n = r.short();",
  "  if (n < 0) throw new DecodeError(`negative array length ${n}`);",
  "  // every element takes at least its not-null bit",
  "  r.need(n >> 3);",
  "  const out: T[] = [];",
  "  for (let i = 0; i < n; i++) {",
  "    const e = body(r);",
  '    if (e === null) throw new DecodeError("null array element");',
  "    out.push(e);",
  "  }",
  "  return out;",
  "}",
  "",
);
for (const n of ["DataStructure", ...[...unions].sort()]) {
  const name = anyName(n);
  const cs = concreteOf(n);
  out.push(`export function tightRead${name}(r: TightReader): ${name} | null {`, "  if (!r.bit()) return null;", "  const t = r.byte();");
  if (n !== "DataStructure") {
    const cond = cs.map((c) => `t !== ${c.dataType}`).join(" && ");
    out.push(`  if (${cond}) throw new DecodeError(\`type \${t} where a ${n} belongs\`);`);
  }
  if (cs.some(marshallAware)) {
    out.push('  if (marshallAware(t) && r.bit()) throw new DecodeError("a nested structure in its cached marshalled form");');
  }
  out.push(`  return tightDecodeBody(t, r) as ${name};`, "}", "");
}
// transcoders, loose to tight and back, field by field without building the values (structures
// nested in a command, small ids mostly, are decoded and encoded)
function looseToTightStmt(f) {
  switch (f.kind) {
    case "boolean":
      return "w.bit(r.boolean());";
    case "byte":
    case "short":
    case "int":
      return `w.${f.kind}(r.${f.kind}());`;
    case "long":
      return "looseLongToTight(r, w);";
    case "string":
      return "looseStringToTight(r, w);";
    case "bytes":
      return "looseBytesToTight(r, w);";
    case "magic":
      return "w.raw(r.raw(8));";
    case "throwable":
      return "writeThrowableTight(w, readThrowable(r));";
    case "cached":
      return `tightWriteCached(w, readCached${anyName(f.of)}(r));`;
    case "nested":
      return `tightWriteNested(w, read${anyName(f.of)}(r));`;
    case "array":
      return `tightWriteArray(w, readArray(r, read${anyName(f.of)}Body));`;
  }
  throw new Error(`unknown kind ${f.kind}`);
}
function tightToLooseStmt(f) {
  switch (f.kind) {
    case "boolean":
      return "w.boolean(r.bit());";
    case "byte":
    case "short":
    case "int":
      return `w.${f.kind}(r.${f.kind}());`;
    case "long":
      return "tightLongToLoose(r, w);";
    case "string":
      return "tightStringToLoose(r, w);";
    case "bytes":
      return "tightBytesToLoose(r, w);";
    case "magic":
      return "w.raw(r.raw(8));";
    case "throwable":
      return "writeThrowable(w, readThrowableTight(r));";
    case "cached":
      return `writeCached(w, tightReadCached${anyName(f.of)}(r));`;
    case "nested":
      return `writeNested(w, tightRead${anyName(f.of)}(r));`;
    case "array":
      return `writeArray(w, tightReadArray(r, tightRead${anyName(f.of)}));`;
  }
  throw new Error(`unknown kind ${f.kind}`);
}
for (const [name, R, W, stmt] of [
  ["looseToTight", "Reader", "TightWriter", looseToTightStmt],
  ["tightToLoose", "TightReader", "Writer", tightToLooseStmt],
]) {
  for (const t of concrete) {
    const fs = allFields(t);
    out.push(`function ${name}${t.name}(${fs.length ? "r" : "_r"}: ${R}, ${fs.length ? "w" : "_w"}: ${W}): void {`);
    if (fs.some(gate)) out.push("  const v = r.version;");
    for (const f of fs) out.push(gate(f) ? `  if (v >= ${f.since}) ${stmt(f)}` : `  ${stmt(f)}`);
    out.push("}", "");
  }
  out.push(
    `/** The body of a structure of type \`dataType\` at \`r\` written to \`w\` in the other encoding (same version). */`,
    `export function ${name}Body(dataType: number, r: ${R}, w: ${W}): void {`,
    "  switch (dataType) {",
    ...concrete.map((t) => `    case ${t.dataType}:\n      return ${name}${t.name}(r, w);`),
    "    default:",
    "      throw new DecodeError(`unknown data structure type ${dataType}`);",
    "  }",
    "}",
    "",
  );
}

// the marshal cache: cached fields of each type, both encodings
const cachedOf = new Set();
for (const t of spec.types) for (const f of t.fields) if (f.kind === "cached") cachedOf.add(f.of);
out.push(
  "/**",
  " * A cached field, loose: with the cache, a new flag and an index first, the structure only when",
  " * new. Warren's new entries go under index -1, which ActiveMQ's reader does not store: only what",
  " * tightWriteKept put in the cache is referred to.",
  " */",
  "function writeCached(w: Writer, o: DataStructure | null): void {",
  "  const c = w.cache;",
  "  if (c === null) return writeNested(w, o);",
  "  const i = c.indexOf(o);",
  "  w.boolean(i < 0);",
  "  if (i >= 0) return w.short(i);",
  "  w.short(-1);",
  "  writeNested(w, o);",
  "}",
  "",
  "/** A cached field whose object will go again (a consumer's id): kept in the cache, referred to after. */",
  "export function tightWriteKept(w: TightWriter, o: DataStructure): void {",
  "  const c = w.cache;",
  "  if (c === null) return tightWriteNested(w, o);",
  "  const i = c.indexOf(o);",
  "  w.bit(i < 0);",
  "  if (i >= 0) return w.short(i);",
  "  w.short(c.add(o));",
  "  tightWriteNested(w, o);",
  "}",
  "",
  "export function tightWriteCached(w: TightWriter, o: DataStructure | null): void {",
  "  const c = w.cache;",
  "  if (c === null) return tightWriteNested(w, o);",
  "  const i = c.indexOf(o);",
  "  w.bit(i < 0);",
  "  if (i >= 0) return w.short(i);",
  "  w.short(-1);",
  "  tightWriteNested(w, o);",
  "}",
  "",
);
for (const n of [...cachedOf].sort()) {
  const name = anyName(n);
  const cs = concreteOf(n);
  out.push(
    `/** What a cache index holds, if it is a ${n} (or null). */`,
    `function cached${name}(c: MarshalCache, i: number): ${name} | null {`,
  );
  out.push("  const o = c.get(i) as DataStructure | null;");
  if (n !== "DataStructure") {
    const cond = cs.map((c) => `o.dataType !== ${c.dataType}`).join(" && ");
    out.push(`  if (o !== null && ${cond}) throw new DecodeError(\`cache index \${i} holds a type \${o.dataType} where a ${n} belongs\`);`);
  }
  out.push(`  return o as ${name} | null;`, "}", "");
  for (const [prefix, R, bool] of [
    ["read", "Reader", "r.boolean()"],
    ["tightRead", "TightReader", "r.bit()"],
  ]) {
    out.push(
      `function ${prefix}Cached${name}(r: ${R}): ${name} | null {`,
      "  const c = r.cache;",
      `  if (c === null) return ${prefix}${name}(r);`,
      `  if (!${bool}) return cached${name}(c, r.short());`,
      "  const i = r.short();",
      `  const o = ${prefix}${name}(r);`,
      "  c.set(i, o);",
      "  return o;",
      "}",
      "",
    );
  }
}
const text = `${out.join("\n")}`;

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(outPath, "utf8");
  } catch {}
  if (current !== text) {
    console.error(`${outPath} is out of date; run node protocols/openwire/spec/generate.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(outPath, text);
  console.log(`wrote ${outPath}: ${concrete.length} data structures`);
}
