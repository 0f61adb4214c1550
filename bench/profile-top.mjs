#!/usr/bin/env node
// Top self-time functions (and files) of a V8 .cpuprofile, e.g. from
//   --target warren=…,cmd="node --cpu-prof --cpu-prof-dir=DIR dist/cli/main.js …"
// usage: node bench/profile-top.mjs FILE.cpuprofile [N]
// Bundled dist/ frames are mapped back to their TypeScript source through the
// bundle's .map file when there is one.

import { readFileSync, existsSync } from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";

const [file, nArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-top.mjs FILE.cpuprofile [N]");
  process.exit(2);
}
const N = Number(nArg ?? 25);
const maps = new Map(); // bundle file → SourceMap | null
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map(); // node id → µs
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = new Set(["(idle)", "(program)", "(garbage collector)"]);
const fn = new Map();
const files = new Map();
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame;
  const src = original(cf);
  const where = src ?? (cf.url ? `${shorten(cf.url)}:${cf.lineNumber + 1}` : "");
  const key = `${cf.functionName || "(anonymous)"} ${where}`.trim();
  fn.set(key, (fn.get(key) ?? 0) + us);
  const fk = src ? src.replace(/:\d+$/, "") : cf.url ? shorten(cf.url) : cf.functionName;
  files.set(fk, (files.get(fk) ?? 0) + us);
}
const busy = total - ["(idle)"].reduce((a, k) => a + (fn.get(k) ?? 0), 0);
const pct = (us) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle; % of the non-idle time`);
console.log("\ntop functions by self time:");
for (const [k, us] of [...fn]
  .filter(([k]) => k !== "(idle)")
  .sort((a, b) => b[1] - a[1])
  .slice(0, N))
  console.log(`${pct(us)}  ${k}`);
console.log("\nby file:");
for (const [k, us] of [...files]
  .filter(([k]) => k !== "(idle)")
  .sort((a, b) => b[1] - a[1])
  .slice(0, 15))
  console.log(`${pct(us)}  ${k}`);
void idle;

/** "src/file.ts:line" for a frame in a bundle with a source map, else null. */
function original(cf) {
  if (!cf.url || !cf.url.includes("/dist/")) return null;
  const file = cf.url.replace(/^file:\/\//, "");
  if (!maps.has(file)) {
    let sm = null;
    try {
      if (existsSync(`${file}.map`)) sm = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
    } catch {
      /* no map */
    }
    maps.set(file, sm);
  }
  const sm = maps.get(file);
  if (!sm) return null;
  const e = sm.findEntry(cf.lineNumber, cf.columnNumber);
  if (!e || !e.originalSource) return null;
  const srcPath = e.originalSource.replace(/^(\.\.\/)+/, "");
  return `${srcPath}:${e.originalLine + 1}`;
}

function shorten(url) {
  const u = url.replace(/^file:\/\//, "");
  const i = u.indexOf("/dist/");
  if (i >= 0) return u.slice(i + 1);
  const j = u.indexOf("node_modules/");
  if (j >= 0) return u.slice(j);
  return u.startsWith("node:") ? u : path.basename(u);
}
