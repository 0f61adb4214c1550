// Plain patterns (`.*`, `^$`, a literal with anchors) are matched without re2js (src/core/patterns.ts;
// test/core/patterns-lazy.test.ts shows it is not loaded for them): both paths must agree with RE2
// on every name.
import fc from "fast-check";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { plainPattern } from "../../src/core/patterns.js";

describe("name patterns", () => {
  it("match a plain pattern exactly as RE2 does", () => {
    const piece = fc.constantFrom("a", "b", "Z", "0", "-", "_", "/", ":", "@", " ", "\\.", "\\$", "\\^", "\\*", "\\\\", "\\-");
    const pattern = fc
      .tuple(fc.boolean(), fc.array(piece, { maxLength: 4 }), fc.boolean())
      .map(([head, body, tail]) => `${head ? "^" : ""}${body.join("")}${tail ? "$" : ""}`);
    const pick = fc.constantFrom("a", "b", "Z", "0", "-", "_", "/", ":", "@", " ", ".", "$", "^", "*", "\\", "\n", "é");
    const name = fc.array(pick, { maxLength: 8 }).map((cs) => cs.join(""));
    fc.assert(
      fc.property(fc.oneof(pattern, fc.constantFrom(".*", "", "^", "$", "^$")), name, (p, n) => {
        const plain = plainPattern(p);
        expect(plain).not.toBeNull();
        expect(plain!.test(n)).toBe(RE2JS.compile(p).test(n));
        // a name containing the pattern's own text, so literal matches are exercised too
        const literal = p
          .replace(/^\^/, "")
          .replace(/(?<!\\)\$$/, "")
          .replace(/\\(.)/g, "$1");
        expect(plain!.test(`x${literal}y`)).toBe(RE2JS.compile(p).test(`x${literal}y`));
        expect(plain!.test(literal)).toBe(RE2JS.compile(p).test(literal));
      }),
      { numRuns: 2000 },
    );
  });

  it("leave everything else to RE2", () => {
    for (const p of [".", "a.b", "a*", "a+", "a?", "(a)", "[a]", "a|b", "a{2}", "^.*$", "\\d", "\\w", "\\", "a\\"]) {
      expect(plainPattern(p)).toBeNull();
    }
  });
});
