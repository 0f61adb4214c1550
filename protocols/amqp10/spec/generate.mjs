#!/usr/bin/env node
// Generates the AMQP 1.0 codec from the OASIS specification's XML (spec/xml/*.xml, kept verbatim
// with its licence notice) in two steps, both checked for staleness:
//
//   1. xml/*.xml        → amqp-1.0.json: the machine-readable table (primitive encodings,
//                         restricted types and their choices, composite types with descriptors and
//                         fields, definitions).
//   2. amqp-1.0.json    → codec/types.generated.ts: one interface per composite type (as decoded,
//                         defaults filled in) and one for building it (`…Init`), straight-line
//                         decoders and encoders over the hand-written primitive codec
//                         (codec/primitives.ts), the descriptor codes, the choices as constants
//                         and the performative dispatch.
//
//   node protocols/amqp10/spec/generate.mjs          write both files
//   node protocols/amqp10/spec/generate.mjs --check  exit 1 if either is out of date
//
// Plain Node, no dependencies: the spec's XML is regular (one element per line, attributes in
// double quotes), so a small tag scanner reads it; anything it does not expect is an error.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const xmlDir = join(here, "xml");
const jsonPath = join(here, "amqp-1.0.json");
const tsPath = join(here, "..", "codec", "types.generated.ts");
const XML_FILES = ["types.xml", "transport.xml", "messaging.xml", "security.xml", "transactions.xml"];

// ---- step 1: XML → table ----------------------------------------------------------------------

/** The start, end and self-closing tags of one XML file, in order, with their attributes. */
function tags(text, file) {
  const out = [];
  const noComments = text.replace(/<!--[\s\S]*?-->/g, "").replace(/<\?[\s\S]*?\?>/g, "");
  // descriptive markup (doc, p, xref…) carries no codec facts; keep only the elements we read
  const re = /<(\/?)(amqp|section|type|encoding|descriptor|field|choice|definition)\b([^>]*?)(\/?)>/g;
  for (let m = re.exec(noComments); m !== null; m = re.exec(noComments)) {
    const attrs = {};
    for (const a of m[3].matchAll(/([a-z-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    out.push({ close: m[1] === "/", name: m[2], attrs, selfClosing: m[4] === "/", file });
  }
  return out;
}

function descriptorCode(text, where) {
  const m = /^0x([0-9a-f]{8}):0x([0-9a-f]{8})$/i.exec(text);
  if (!m) throw new Error(`${where}: descriptor code '${text}'`);
  if (Number.parseInt(m[1], 16) !== 0) throw new Error(`${where}: only the amqp domain (0) is expected`);
  return Number.parseInt(m[2], 16);
}

function buildTable() {
  const table = {
    source: "OASIS AMQP 1.0 (amqp-core-*-v1.0), spec/xml/*.xml",
    definitions: {},
    primitives: {},
    restricted: {},
    composites: {},
  };
  const known = new Set();
  for (const file of XML_FILES) {
    let current = null;
    for (const t of tags(readFileSync(join(xmlDir, file), "utf8"), file)) {
      const where = `${file}: ${current?.name ?? ""}`;
      if (t.close) {
        if (t.name === "type") current = null;
        continue;
      }
      switch (t.name) {
        case "amqp":
        case "section":
          break;
        case "definition":
          table.definitions[t.attrs.name] = /^[0-9]+$/.test(t.attrs.value) ? Number(t.attrs.value) : t.attrs.value;
          break;
        case "type": {
          const { name, class: cls, source, provides } = t.attrs;
          if (known.has(name)) throw new Error(`${file}: type ${name} defined twice`);
          known.add(name);
          const prov = provides ? provides.split(",").map((s) => s.trim()) : [];
          if (cls === "primitive") {
            current = { name, kind: "primitive", encodings: [] };
            table.primitives[name] = current.encodings;
          } else if (cls === "restricted") {
            current = { name, kind: "restricted", entry: { source, provides: prov, descriptor: null, choices: [] } };
            table.restricted[name] = current.entry;
          } else if (cls === "composite") {
            if (source !== "list") throw new Error(`${file}: composite ${name} from ${source}`);
            current = { name, kind: "composite", entry: { provides: prov, descriptor: null, fields: [] } };
            table.composites[name] = current.entry;
          } else throw new Error(`${file}: type ${name} has class ${cls}`);
          if (t.selfClosing) current = null;
          break;
        }
        case "encoding": {
          if (current?.kind !== "primitive") throw new Error(`${where}: encoding outside a primitive type`);
          const e = { code: Number.parseInt(t.attrs.code, 16), category: t.attrs.category, width: Number(t.attrs.width) };
          if (t.attrs.name) e.name = t.attrs.name;
          current.encodings.push(e);
          break;
        }
        case "descriptor":
          if (current === null || current.kind === "primitive") throw new Error(`${where}: stray descriptor`);
          current.entry.descriptor = { name: t.attrs.name, code: descriptorCode(t.attrs.code, where) };
          break;
        case "field": {
          if (current?.kind !== "composite") throw new Error(`${where}: field outside a composite type`);
          const f = { name: t.attrs.name, type: t.attrs.type };
          if (t.attrs.mandatory === "true") f.mandatory = true;
          if (t.attrs.multiple === "true") f.multiple = true;
          if (t.attrs.default !== undefined) f.default = t.attrs.default;
          if (t.attrs.requires !== undefined) f.requires = t.attrs.requires;
          current.entry.fields.push(f);
          break;
        }
        case "choice":
          if (current?.kind !== "restricted") throw new Error(`${where}: choice outside a restricted type`);
          current.entry.choices.push({ name: t.attrs.name, value: t.attrs.value });
          break;
      }
    }
  }
  return table;
}

// ---- step 2: table → TypeScript ---------------------------------------------------------------

const camel = (name) => name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
/** Type names that would shadow a global in TypeScript. */
const RENAMED = { error: "ErrorDetails" };
const pascal = (name) => {
  if (RENAMED[name]) return RENAMED[name];
  const c = camel(name);
  return c[0].toUpperCase() + c.slice(1);
};
const constName = (name) => name.replace(/[-.]/g, "_").toUpperCase();
const hex = (n) => `0x${n.toString(16).padStart(2, "0")}`;

function generate(table) {
  const { primitives, restricted, composites } = table;

  /** The primitive a type name ends at, following restricted types. */
  function primitiveOf(type, where) {
    let t = type;
    for (let i = 0; i < 10; i++) {
      if (primitives[t]) return t;
      const r = restricted[t];
      if (!r) return null;
      t = r.source;
    }
    throw new Error(`${where}: restriction chain too long`);
  }

  // which composite types provide each archetype (delivery-state, outcome, source, target…)
  const providers = new Map();
  for (const [name, c] of Object.entries(composites)) {
    for (const p of c.provides) {
      if (!providers.has(p)) providers.set(p, []);
      providers.get(p).push(name);
    }
  }

  const NUMBER = new Set(["ubyte", "ushort", "uint", "ulong", "byte", "short", "int", "long", "float", "double", "timestamp", "char"]);
  const tsOfPrimitive = (p) => {
    if (p === "boolean") return "boolean";
    if (NUMBER.has(p)) return "number";
    if (p === "binary" || p === "uuid" || p.startsWith("decimal")) return "Buffer";
    if (p === "string" || p === "symbol") return "string";
    if (p === "map") return "AmqpMap";
    if (p === "list" || p === "array") return "AmqpValue[]";
    if (p === "null") return "null";
    throw new Error(`no TypeScript type for ${p}`);
  };
  const readerOfPrimitive = (p) => {
    if (p.startsWith("decimal")) return "readDecimal";
    if (p === "array") return "readList";
    return `read${pascal(p)}`;
  };
  const writerOfPrimitive = (p) => {
    if (p.startsWith("decimal")) throw new Error("decimal fields are not written");
    if (p === "array") return "writeList";
    return `write${pascal(p)}`;
  };

  /** How one field is typed, read and written. */
  function fieldPlan(owner, f) {
    const where = `${owner}.${f.name}`;
    if (f.multiple) {
      if (primitiveOf(f.type, where) !== "symbol") throw new Error(`${where}: only symbol fields are multiple`);
      return { ts: "string[]", read: "readSymbols(c)", write: (v) => `writeSymbols(w, ${v})` };
    }
    if (f.type === "*") {
      const prov = providers.get(f.requires);
      if (prov && prov.length > 0) {
        const union = prov.map(pascal).join(" | ");
        const init = prov.map((p) => `(${pascal(p)}Init & { kind: ${JSON.stringify(p)} })`).join(" | ");
        return {
          ts: union,
          tsInit: init,
          read: `readAny${pascal(f.requires)}(c)`,
          write: (v) => `writeAny${pascal(f.requires)}(w, ${v})`,
          archetype: f.requires,
        };
      }
      // message-id, address: restricted primitives; kept as decoded values
      return { ts: "AmqpValue", read: "readAny(c)", write: (v) => `writeAny(w, ${v})` };
    }
    if (composites[f.type]) {
      const n = pascal(f.type);
      return { ts: n, tsInit: `${n}Init`, read: `read${n}(c)`, write: (v) => `write${n}(w, ${v})` };
    }
    const p = primitiveOf(f.type, where);
    if (p === null) throw new Error(`${where}: unknown type ${f.type}`);
    return { ts: tsOfPrimitive(p), read: `${readerOfPrimitive(p)}(c)`, write: (v) => `${writerOfPrimitive(p)}(w, ${v})`, primitive: p };
  }

  /** A field's default as a TypeScript literal (choices resolved to their value). */
  function defaultLiteral(f, plan) {
    let v = f.default;
    const r = restricted[f.type];
    const choice = r?.choices.find((c) => c.name === v);
    if (choice) v = choice.value;
    if (plan.ts === "boolean") return v === "true" ? "true" : "false";
    if (plan.ts === "number") return String(Number(v));
    if (plan.ts === "string") return JSON.stringify(v);
    throw new Error(`default ${f.default} of a ${plan.ts} field`);
  }

  const out = [];
  const emit = (s = "") => out.push(s);
  emit("// Generated by protocols/amqp10/spec/generate.mjs from amqp-1.0.json (the OASIS AMQP 1.0 XML).");
  emit("// Do not edit: change the generator and run `node protocols/amqp10/spec/generate.mjs`.");
  const readers = new Set();
  const writers = new Set();
  const importsAt = out.length;
  emit();

  // definitions
  emit("// ---- definitions ----");
  for (const [k, v] of Object.entries(table.definitions)) emit(`export const ${constName(k)} = ${JSON.stringify(v)};`);
  emit();

  // primitive encodings: the constructor codes the hand-written codec switches on
  emit("// ---- primitive format codes (types.xml) ----");
  emit("/** Every format code of the spec, by encoding name (the type's name where it has one encoding). */");
  emit("export const FormatCode = {");
  for (const [type, encs] of Object.entries(primitives)) {
    for (const e of encs)
      emit(`  ${camel(e.name && encs.length > 1 && e.name !== "ieee-754" ? e.name : type).replace(/-/g, "")}: ${hex(e.code)},`);
  }
  emit("} as const;");
  emit("/** Fixed-width encodings: format code → width in octets (variable, compound and array ones have a size field instead). */");
  emit("export const FIXED_WIDTH: Readonly<Record<number, number>> = {");
  for (const encs of Object.values(primitives)) for (const e of encs) if (e.category === "fixed") emit(`  ${hex(e.code)}: ${e.width},`);
  emit("};");
  emit("/** Variable, compound and array encodings: format code → width of the size field. */");
  emit("export const SIZE_WIDTH: Readonly<Record<number, number>> = {");
  for (const encs of Object.values(primitives)) for (const e of encs) if (e.category !== "fixed") emit(`  ${hex(e.code)}: ${e.width},`);
  emit("};");
  emit();

  // choices
  emit("// ---- restricted types with choices ----");
  for (const [name, r] of Object.entries(restricted)) {
    if (r.choices.length === 0) continue;
    const p = primitiveOf(name, name);
    emit(`export const ${pascal(name)} = {`);
    for (const c of r.choices) {
      const v = tsOfPrimitive(p) === "string" ? JSON.stringify(c.value) : c.value;
      emit(`  ${camel(c.name)}: ${v},`);
    }
    emit("} as const;");
  }
  emit();

  // descriptors
  emit("// ---- descriptors ----");
  emit("/** Descriptor codes (domain 0, the amqp domain) of the composite and described restricted types. */");
  emit("export const Descriptor = {");
  const described = [];
  for (const [name, c] of Object.entries(composites)) if (c.descriptor) described.push([name, c.descriptor]);
  for (const [name, r] of Object.entries(restricted)) if (r.descriptor) described.push([name, r.descriptor]);
  for (const [name, d] of described) emit(`  ${camel(name)}: ${hex(d.code)},`);
  emit("} as const;");
  emit("/** Symbolic descriptors (`amqp:open:list`) → their code, for peers that send the name. */");
  emit("export const DESCRIPTOR_BY_NAME: ReadonlyMap<string, number> = new Map([");
  for (const [, d] of described) emit(`  [${JSON.stringify(d.name)}, ${hex(d.code)}],`);
  emit("]);");
  emit("/** Code → the type's name, for error texts. */");
  emit("export const DESCRIPTOR_NAMES: Readonly<Record<number, string>> = {");
  for (const [name, d] of described) emit(`  ${hex(d.code)}: ${JSON.stringify(name)},`);
  emit("};");
  emit();
  emit("/** Reads a descriptor (a ulong, or a symbol the table knows) and gives its code; -1 for an unknown symbol. */");
  emit("export function readDescriptorCode(c: Cursor): number {");
  emit("  const d = readDescriptor(c);");
  emit('  return typeof d === "number" ? d : (DESCRIPTOR_BY_NAME.get(d) ?? -1);');
  emit("}");
  emit();

  // composites
  emit("// ---- composite types ----");
  const compositeNames = Object.keys(composites);
  for (const name of compositeNames) {
    const c = composites[name];
    const T = pascal(name);
    const plans = c.fields.map((f) => ({ f, prop: camel(f.name), plan: fieldPlan(name, f) }));
    for (const { plan } of plans) {
      const r = /^(read\w+)\(/.exec(plan.read);
      if (r && !r[1].startsWith("read" + "X")) readers.add(r[1]);
      const wr = /^(write\w+)\(/.exec(plan.write("v"));
      if (wr) writers.add(wr[1]);
    }
    // decoded shape
    emit(`/** ${name} (${c.descriptor ? c.descriptor.name : "no descriptor"}), as decoded: defaults filled in. */`);
    emit(`export interface ${T} {`);
    emit(`  readonly kind: ${JSON.stringify(name)};`);
    for (const { f, prop, plan } of plans) {
      const required = f.mandatory || f.default !== undefined;
      emit(`  ${prop}: ${plan.ts}${required ? "" : " | undefined"};`);
    }
    emit("}");
    emit(`/** ${name} to encode: mandatory fields required, the rest optional (absent is sent as null). */`);
    emit(`export interface ${T}Init {`);
    for (const { f, prop, plan } of plans)
      emit(`  ${prop}${f.mandatory ? "" : "?"}: ${plan.tsInit ?? plan.ts}${f.mandatory ? "" : " | undefined"};`);
    emit("}");
    // decoder of the list body
    emit(`/** Decodes ${name}'s list (the cursor at its list constructor, after the descriptor). */`);
    emit(`export function decode${T}Fields(c: Cursor): ${T} {`);
    emit("  const n = openList(c);");
    emit("  const end = c.mark;");
    plans.forEach(({ prop, plan }, i) => emit(`  const ${prop} = n > ${i} ? ${plan.read} : undefined;`));
    emit(`  if (n > ${plans.length}) skipValues(c, n - ${plans.length});`);
    emit("  closeList(c, end);");
    for (const { f, prop } of plans) {
      if (f.mandatory) emit(`  if (${prop} === undefined) throw missingField(${JSON.stringify(name)}, ${JSON.stringify(f.name)});`);
    }
    const fieldsOut = plans.map(({ f, prop, plan }) => {
      if (!f.mandatory && f.default !== undefined) return `${prop}: ${prop} ?? ${defaultLiteral(f, plan)}`;
      return prop;
    });
    emit(`  return { kind: ${JSON.stringify(name)}, ${fieldsOut.join(", ")} };`);
    emit("}");
    // reader with descriptor
    if (c.descriptor) {
      emit(`/** Reads a described ${name} (or null → undefined). */`);
      emit(`export function read${T}(c: Cursor): ${T} | undefined {`);
      emit("  if (readNullOrDescribed(c)) return undefined;");
      emit("  const code = readDescriptorCode(c);");
      emit(`  if (code !== Descriptor.${camel(name)}) throw wrongDescriptor(${JSON.stringify(name)}, code);`);
      emit(`  return decode${T}Fields(c);`);
      emit("}");
    }
    // encoder
    emit(`/** Encodes ${name}${c.descriptor ? " with its descriptor" : ""}, trailing absent fields left out. */`);
    emit(`export function write${T}(w: Writer, v: ${T}Init | undefined): void {`);
    emit("  if (v === undefined) return writeNull(w);");
    if (c.descriptor) emit(`  writeDescriptor(w, Descriptor.${camel(name)});`);
    if (plans.length === 0) {
      emit("  writeList0(w);");
    } else {
      const countExpr = plans
        .map(({ prop }, i) => ({ prop, i }))
        .reverse()
        .map(({ prop, i }) => `v.${prop} !== undefined ? ${i + 1}`)
        .join(" : ");
      emit(`  const n = ${countExpr} : 0;`);
      emit("  const at = beginList(w);");
      plans.forEach(({ prop, plan }, i) => {
        emit(`  if (n > ${i}) ${plan.write(`v.${prop}`)};`);
      });
      emit("  endList(w, at, n);");
    }
    emit("}");
    emit();
  }

  // archetype readers/writers (delivery-state, outcome, source, target)
  emit("// ---- archetypes: a field that takes any composite providing it ----");
  const archetypes = new Set();
  for (const c of Object.values(composites))
    for (const f of c.fields) if (f.type === "*" && providers.get(f.requires)?.length) archetypes.add(f.requires);
  for (const a of archetypes) {
    const prov = providers.get(a);
    const U = prov.map(pascal).join(" | ");
    emit(`/** A described ${a}: ${prov.join(", ")}. */`);
    emit(`export function readAny${pascal(a)}(c: Cursor): ${U} | undefined {`);
    emit("  if (readNullOrDescribed(c)) return undefined;");
    emit("  const code = readDescriptorCode(c);");
    emit("  switch (code) {");
    for (const p of prov) emit(`    case Descriptor.${camel(p)}: return decode${pascal(p)}Fields(c);`);
    emit(`    default: throw wrongDescriptor(${JSON.stringify(a)}, code);`);
    emit("  }");
    emit("}");
    emit(
      `export function writeAny${pascal(a)}(w: Writer, v: ${prov.map((p) => `(${pascal(p)}Init & { kind: ${JSON.stringify(p)} })`).join(" | ")} | undefined): void {`,
    );
    emit("  if (v === undefined) return writeNull(w);");
    emit("  switch (v.kind) {");
    for (const p of prov) emit(`    case ${JSON.stringify(p)}: return write${pascal(p)}(w, v);`);
    emit("  }");
    emit("}");
    emit();
  }

  // frame bodies: performatives and SASL frames
  for (const [group, label] of [
    ["frame", "Performative"],
    ["sasl-frame", "SaslFrame"],
  ]) {
    const prov = providers.get(group);
    emit(`/** Every ${group} body. */`);
    emit(`export type ${label} = ${prov.map(pascal).join(" | ")};`);
    emit(`/** Decodes a ${group} body (descriptor + list); an unknown descriptor is a decode error. */`);
    emit(`export function decode${label}(c: Cursor): ${label} {`);
    emit("  if (readNullOrDescribed(c)) throw notDescribed();");
    emit("  const code = readDescriptorCode(c);");
    emit("  switch (code) {");
    for (const p of prov) emit(`    case Descriptor.${camel(p)}: return decode${pascal(p)}Fields(c);`);
    emit(`    default: throw wrongDescriptor(${JSON.stringify(group)}, code);`);
    emit("  }");
    emit("}");
    emit();
  }

  // message sections: descriptor codes of the sections, in their required order
  emit('// ---- message sections (messaging.xml, provides="section") ----');
  const sections = [...Object.entries(composites), ...Object.entries(restricted)].filter(
    ([, t]) => t.provides.includes("section") && t.descriptor,
  );
  sections.sort((a, b) => a[1].descriptor.code - b[1].descriptor.code);
  emit("/** Section descriptor codes, in the order a bare message's sections must come. */");
  emit("export const SECTION_CODES: readonly number[] = [" + sections.map(([, t]) => hex(t.descriptor.code)).join(", ") + "];");
  emit();

  const imports = [
    "type AmqpMap",
    "type AmqpValue",
    "type Cursor",
    "type Writer",
    "beginList",
    "closeList",
    "endList",
    "missingField",
    "notDescribed",
    "openList",
    "readDescriptor",
    "readNullOrDescribed",
    "skipValues",
    "wrongDescriptor",
    "writeDescriptor",
    "writeList0",
    "writeNull",
  ];
  const generatedHere = new Set();
  for (const name of compositeNames) {
    generatedHere.add(`read${pascal(name)}`);
    generatedHere.add(`write${pascal(name)}`);
  }
  for (const a of archetypes) {
    generatedHere.add(`readAny${pascal(a)}`);
    generatedHere.add(`writeAny${pascal(a)}`);
  }
  for (const r of [...readers, ...writers]) if (!generatedHere.has(r)) imports.push(r);
  const sorted = [...new Set(imports)].sort((a, b) => a.replace("type ", "").localeCompare(b.replace("type ", "")));
  out.splice(importsAt, 0, `import { ${sorted.join(", ")} } from "./primitives.js";`);
  return `${out.join("\n")}\n`;
}

// ---- main -------------------------------------------------------------------------------------

const found = readdirSync(xmlDir)
  .filter((f) => f.endsWith(".xml"))
  .sort();
if (found.join() !== [...XML_FILES].sort().join()) throw new Error(`spec/xml holds ${found.join(", ")}, expected ${XML_FILES.join(", ")}`);
const table = buildTable();
const json = `${JSON.stringify(table, null, 2)}\n`;
const ts = generate(table);
if (process.argv.includes("--check")) {
  let stale = false;
  for (const [path, text] of [
    [jsonPath, json],
    [tsPath, ts],
  ]) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    if (current !== text) {
      console.error(`${path} is out of date: run node protocols/amqp10/spec/generate.mjs`);
      stale = true;
    }
  }
  process.exit(stale ? 1 : 0);
}
writeFileSync(jsonPath, json);
writeFileSync(tsPath, ts);
