import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TopicTrie } from "../../src/core/topic-trie.js";

/** RabbitMQ's split_topic_key: the empty key has zero words; otherwise split on every dot. */
const split = (s: string): string[] => (s === "" ? [] : s.split("."));

/** Reference matcher written from the AMQP 0-9-1 topic rules, no trie, no regex. */
function refMatches(pattern: string, key: string): boolean {
  const p = split(pattern);
  const k = split(key);
  const m = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === "#") {
      for (let t = j; t <= k.length; t++) if (m(i + 1, t)) return true;
      return false;
    }
    if (j === k.length) return false;
    return (p[i] === "*" || p[i] === k[j]) && m(i + 1, j + 1);
  };
  return m(0, 0);
}

const matchSet = (t: TopicTrie<string>, key: string) => [...t.match(key)].sort();

function trieWith(...patterns: string[]): TopicTrie<string> {
  const t = new TopicTrie<string>();
  for (const p of patterns) t.add(p, p);
  return t;
}

describe("TopicTrie", () => {
  it("matches an exact routing key only", () => {
    const t = trieWith("stock.usd.nyse");
    expect(t.match("stock.usd.nyse")).toEqual(["stock.usd.nyse"]);
    expect(t.match("stock.usd")).toEqual([]);
    expect(t.match("stock.usd.nyse.x")).toEqual([]);
    expect(t.match("stock.eur.nyse")).toEqual([]);
  });

  it("* matches exactly one word", () => {
    const t = trieWith("a.*");
    expect(t.match("a.b")).toEqual(["a.*"]);
    expect(t.match("a")).toEqual([]);
    expect(t.match("a.b.c")).toEqual([]);
    expect(trieWith("*.b").match("x.b")).toEqual(["*.b"]);
  });

  it("# matches zero or more words in trailing, leading and middle position", () => {
    const trailing = trieWith("a.#");
    for (const k of ["a", "a.b", "a.b.c"]) expect(trailing.match(k)).toEqual(["a.#"]);
    expect(trailing.match("b.a")).toEqual([]);

    const leading = trieWith("#.a");
    for (const k of ["a", "x.a", "x.y.a"]) expect(leading.match(k)).toEqual(["#.a"]);
    expect(leading.match("a.x")).toEqual([]);

    const middle = trieWith("a.#.b");
    for (const k of ["a.b", "a.x.b", "a.x.y.b"]) expect(middle.match(k)).toEqual(["a.#.b"]);
    expect(middle.match("a.x")).toEqual([]);
    expect(middle.match("a.b.x")).toEqual([]);
  });

  it("# alone matches every key including the empty one, and #.# matches the same keys", () => {
    for (const pattern of ["#", "#.#", "#.#.#"]) {
      const t = trieWith(pattern);
      for (const k of ["", "a", "a.b", "a..b", "."]) expect(t.match(k)).toEqual([pattern]);
    }
  });

  it("# next to * needs at least the words * needs", () => {
    const t = trieWith("#.*");
    expect(t.match("a")).toEqual(["#.*"]);
    expect(t.match("a.b.c")).toEqual(["#.*"]);
    expect(t.match("")).toEqual([]);
  });

  it("empty words are words: a..b, .a and the empty key", () => {
    const t = trieWith("a..b", "a.*.b", ".a", "*.a", "", "*");
    expect(matchSet(t, "a..b")).toEqual(["a.*.b", "a..b"]);
    expect(matchSet(t, "a.x.b")).toEqual(["a.*.b"]);
    expect(matchSet(t, ".a")).toEqual(["*.a", ".a"]);
    expect(matchSet(t, "x.a")).toEqual(["*.a"]);
    // the empty routing key has zero words (RabbitMQ's split_topic_key): only "" matches it, not "*"
    expect(matchSet(t, "")).toEqual([""]);
    expect(matchSet(t, "x")).toEqual(["*"]);
  });

  it("an empty pattern matches only the empty key", () => {
    const t = trieWith("");
    expect(t.match("")).toEqual([""]);
    expect(t.match("a")).toEqual([]);
    expect(t.match(".")).toEqual([]);
  });

  it("a value bound through two matching patterns is answered once", () => {
    const t = new TopicTrie<string>();
    t.add("a.*", "q");
    t.add("#", "q");
    t.add("a.b", "q");
    expect(t.match("a.b")).toEqual(["q"]);
  });

  it("removing a pattern stops it matching and leaves others in place", () => {
    const t = new TopicTrie<string>();
    t.add("a.b", "q1");
    t.add("a.*", "q2");
    expect(matchSet(t, "a.b")).toEqual(["q1", "q2"]); // also fills the cache
    t.remove("a.b", "q1");
    expect(t.match("a.b")).toEqual(["q2"]);
    t.remove("a.*", "q2");
    expect(t.match("a.b")).toEqual([]);
    expect(t.size).toBe(0);
  });

  it("adding a pattern after a key was matched makes the key match it", () => {
    const t = new TopicTrie<string>();
    expect(t.match("a.b")).toEqual([]);
    t.add("a.#", "q");
    expect(t.match("a.b")).toEqual(["q"]);
  });

  it("removal prunes emptied branches so nothing is left behind", () => {
    const t = new TopicTrie<string>();
    const patterns = ["a.b.c", "a.*.#", "#.x", "a..b", ""];
    for (const p of patterns) t.add(p, "q");
    for (const p of patterns) t.remove(p, "q");
    expect(t.size).toBe(0);
    expect(t["root"].isEmpty()).toBe(true);
  });

  it("removing a pattern that was never added, or another value's, changes nothing", () => {
    const t = new TopicTrie<string>();
    t.add("a.b", "q1");
    t.remove("a.c", "q1");
    t.remove("a.b", "q2");
    t.remove("a.b.c.d", "q1");
    expect(t.size).toBe(1);
    expect(t.match("a.b")).toEqual(["q1"]);
  });

  it("adding the same pattern and value twice keeps one entry", () => {
    const t = new TopicTrie<string>();
    t.add("a.b", "q");
    t.add("a.b", "q");
    expect(t.size).toBe(1);
    t.remove("a.b", "q");
    expect(t.match("a.b")).toEqual([]);
  });

  const word = fc.constantFrom("a", "b", "", "*", "#");
  const pattern = fc.array(word, { maxLength: 5 }).map((ws) => ws.join("."));
  const key = fc.array(fc.constantFrom("a", "b", ""), { maxLength: 5 }).map((ws) => ws.join("."));

  it("agrees with a reference matcher for any patterns and keys", () => {
    fc.assert(
      fc.property(fc.uniqueArray(pattern, { maxLength: 8 }), fc.array(key, { maxLength: 10 }), (patterns, keys) => {
        const t = trieWith(...patterns);
        for (const k of keys) {
          const want = patterns.filter((p) => refMatches(p, k)).sort();
          expect(matchSet(t, k), `key '${k}' against ${JSON.stringify(patterns)}`).toEqual(want);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("agrees with a reference model under any sequence of adds and removes", () => {
    // patterns without repeated # so that each string names one distinct entry
    const simple = fc
      .array(fc.constantFrom("a", "b", "", "*", "#"), { maxLength: 4 })
      .filter((ws) => ws.every((w, i) => !(w === "#" && ws[i - 1] === "#")))
      .map((ws) => ws.join("."));
    const op = fc.record({
      add: fc.boolean(),
      pattern: simple,
      value: fc.constantFrom("q1", "q2", "q3"),
      probe: key,
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const t = new TopicTrie<string>();
        const model = new Map<string, { pattern: string; value: string }>();
        for (const o of ops) {
          const id = `${o.pattern}\u0000${o.value}`;
          if (o.add) {
            t.add(o.pattern, o.value);
            model.set(id, { pattern: o.pattern, value: o.value });
          } else {
            t.remove(o.pattern, o.value);
            model.delete(id);
          }
          const want = [...new Set([...model.values()].filter((e) => refMatches(e.pattern, o.probe)).map((e) => e.value))].sort();
          expect(matchSet(t, o.probe)).toEqual(want);
          expect(t.size).toBe(model.size);
        }
        for (const e of [...model.values()]) t.remove(e.pattern, e.value);
        expect(t["root"].isEmpty()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
