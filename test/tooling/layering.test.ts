import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

// The layering rules in biome.jsonc match import specifiers by pattern; this runs `npm run lint`'s
// Biome with the project's own configuration over a small tree of allowed and forbidden imports,
// so a pattern that stops matching (an edit, a Biome upgrade) fails here instead of letting a
// forbidden import through unnoticed.

const root = resolve(import.meta.dirname, "../..");
const biome = join(root, "node_modules/.bin/biome");

/** Each file's imports, each marked with the rule it must break, or null when it is allowed. */
type Rule = "noRestrictedImports" | "noImportCycles" | null;
const tree: Record<string, Array<[string, Rule]>> = {
  "src/core/a.ts": [
    ['import { b } from "./b.js";', null],
    ['import { c } from "./index.js";', null],
    ['import { createHash } from "node:crypto";', null],
    ['import { RE2JS } from "re2js";', null],
    ['import { listen } from "../transport/listen.js";', "noRestrictedImports"],
    ['import { createServer } from "node:net";', "noRestrictedImports"],
    ['import { readFileSync } from "node:fs";', "noRestrictedImports"],
    ['import { WebSocket } from "ws";', "noRestrictedImports"],
    ['import { decode } from "../../protocols/amqp/codec/frames.js";', "noRestrictedImports"],
  ],
  "src/store/s.ts": [
    ['import { Queue } from "../core/index.js";', null],
    ['import { Policy } from "../core/policies.js";', null],
    ['import { createConnection } from "node:net";', null],
    ['import { Logger } from "../server/logger.js";', "noRestrictedImports"],
    ['import { props } from "../../protocols/amqp/codec/properties.js";', "noRestrictedImports"],
  ],
  "src/transport/t.ts": [
    ['import { Broker } from "../core/index.js";', null],
    ['import { decode } from "../../protocols/mqtt/decode.js";', "noRestrictedImports"],
  ],
  "src/management/m.ts": [
    ['import { Broker } from "../core/index.js";', null],
    ['import { StompServer } from "../../protocols/stomp/server.js";', "noRestrictedImports"],
  ],
  "protocols/amqp/codec/c.ts": [
    ['import { Message } from "../../../src/core/index.js";', null],
    ['import { BatchedWriter } from "../../../src/transport/batched-writer.js";', null],
    ['import type { Logger } from "../../../src/server/logger.js";', null],
    ['import { Channel } from "../channel.js";', null],
    ['import { Message as M } from "../../../src/core/message.js";', "noRestrictedImports"],
    ['import { startBroker } from "../../../src/server/start.js";', "noRestrictedImports"],
    ['import { DiskMessageStore } from "../../../src/store/message-store.js";', "noRestrictedImports"],
    ['import { startBroker as s } from "warren";', "noRestrictedImports"],
    ['import { topics } from "../../mqtt/topics.js";', "noRestrictedImports"],
  ],
  "protocols/mqtt/m.ts": [
    ['import { frames } from "../amqp/codec/frames.js";', "noRestrictedImports"],
    ['import { parse } from "../stomp/frame-parser.js";', "noRestrictedImports"],
  ],
  "protocols/stomp/s.ts": [
    ['import { topics } from "../mqtt/topics.js";', "noRestrictedImports"],
    ['import { x } from "../openwire/destinations.js";', "noRestrictedImports"],
  ],
  "protocols/openwire/o.ts": [
    ['import { parseDestination } from "../stomp/destinations.js";', "noRestrictedImports"],
    ['import { Cursor } from "../amqp10/codec/primitives.js";', "noRestrictedImports"],
    ['import { startBroker } from "../../src/server/start.js";', "noRestrictedImports"],
    ['import { Broker } from "../../src/core/index.js";', null],
  ],
  // a runtime cycle fails; one closed by `import type` does not
  "src/server/p.ts": [['import { q } from "./q.js";', "noImportCycles"]],
  "src/server/q.ts": [['import { p } from "./p.js";', "noImportCycles"]],
  "src/server/u.ts": [['import { v } from "./v.js";', null]],
  "src/server/v.ts": [['import type { u } from "./u.js";', null]],
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "warren-layering-"));
  // its file patterns are relative to where it is, so the configuration goes with the tree
  copyFileSync(join(root, "biome.jsonc"), join(dir, "biome.jsonc"));
  for (const [file, lines] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), lines.map(([l]) => l).join("\n") + "\nexport const x = 1;\n");
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Diagnostic {
  category: string;
  location: { path: string; start: { line: number } };
}

describe("biome.jsonc's layering rules", () => {
  it("report exactly the forbidden imports and the runtime cycle", () => {
    const run = spawnSync(biome, ["lint", "--reporter=json", "--max-diagnostics=none", "--vcs-enabled=false", "."], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(run.error).toBeUndefined();
    const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
    const found = report.diagnostics.map((d) => `${d.location.path}:${d.location.start.line} ${d.category}`).sort();
    const expected = Object.entries(tree)
      .flatMap(([file, lines]) =>
        lines.map(([, rule], i) =>
          rule === null ? null : `${file}:${i + 1} lint/${rule === "noImportCycles" ? "suspicious" : "style"}/${rule}`,
        ),
      )
      .filter((e): e is string => e !== null)
      .sort();
    expect(found).toEqual(expected);
    expect(run.status).toBe(1);
  });
});
