import { describe, expect, it } from "vitest";
import { compileSelector, InvalidSelector, Message, type MessageProperties, Selector, TypedField } from "../../src/core/index.js";

/** The message the table's selectors look at, in the shapes STOMP and AMQP publishers give. */
const props: MessageProperties = {
  priority: 7,
  deliveryMode: 2,
  messageId: "ID:m-1",
  correlationId: "c-1",
  type: "order",
  timestamp: 1_700_000_000,
  headers: {
    s: "abc",
    under: "a_c",
    quote: "it's",
    n: "20", // a STOMP header: text
    f: "2.5",
    b: "true",
    i: 20,
    d: 2.5,
    l: new TypedField("l", 123n),
    flag: true,
    off: false,
    bin: Buffer.from("x"),
    JMSXGroupID: "g1",
    "dotted.name": "x",
  },
};
const subject = { message: new Message("", "q", Buffer.alloc(0), props), deliveryCount: 0, redelivered: false };
const bare = { message: new Message("", "q", Buffer.alloc(0), {}), deliveryCount: 2, redelivered: true };

function evaluate(text: string, s = subject): boolean {
  const sel = compileSelector(text);
  if (!(sel instanceof Selector)) throw new Error(`did not compile: ${sel.text}`);
  return sel.matches(s);
}

/** true / false / unknown, told apart by matching the selector and its negation. */
function truth(text: string, s = subject): "true" | "false" | "unknown" {
  if (evaluate(text, s)) return "true";
  return evaluate(`NOT (${text})`, s) ? "false" : "unknown";
}

describe("selector evaluation", () => {
  const table: [string, "true" | "false" | "unknown"][] = [
    // literals and logic
    ["TRUE", "true"],
    ["FALSE", "false"],
    ["true OR missing = 1", "true"],
    ["FALSE AND missing = 1", "false"],
    ["TRUE AND missing = 1", "unknown"],
    ["FALSE OR missing = 1", "unknown"],
    ["NOT NOT TRUE", "true"],
    ["NOT s = 'zzz'", "true"],
    ["NOT s = 'abc'", "false"],
    // strings
    ["s = 'abc'", "true"],
    ["'abc' = s", "true"],
    ["s <> 'abc'", "false"],
    ["s = 'ABC'", "false"],
    ["quote = 'it''s'", "true"],
    ["S = 'abc'", "unknown"],
    // missing properties are unknown; two unknowns are equal (ActiveMQ)
    ["missing = 1", "unknown"],
    ["missing <> 'x'", "unknown"],
    ["missing > 1", "unknown"],
    ["missing = missing", "true"],
    ["missing IS NULL", "true"],
    ["missing IS NOT NULL", "false"],
    ["s IS NULL", "false"],
    ["s IS NOT NULL", "true"],
    ["bin IS NULL", "true"],
    // numbers and promotion
    ["i = 20", "true"],
    ["i = 20.0", "true"],
    ["i > 19.5", "true"],
    ["d = 2.5", "true"],
    ["d < 3", "true"],
    ["l = 123", "true"],
    ["1 = 1.0", "true"],
    ["0x10 = 16", "true"],
    ["010 = 8", "true"],
    ["10L = 10", "true"],
    [".5 = 0.5", "true"],
    ["1.5E1 = 15", "true"],
    ["7. = 7", "true"],
    ["-i = -20", "true"],
    ["i + 1 = 21", "true"],
    ["i - 1 * 2 = 18", "true"],
    ["(i - 1) * 2 = 38", "true"],
    ["5 / 2 = 2.5", "true"],
    ["i / 0 > 1000", "true"],
    ["missing + 1 = 2", "unknown"],
    // strings against numbers and booleans (STOMP headers are text)
    ["n = 20", "true"],
    ["20 = n", "true"],
    ["n = '20'", "true"],
    ["n = 20.0", "true"],
    ["n > 10", "true"],
    ["n >= 20", "true"],
    ["n < 30", "true"],
    ["n > 10.0", "true"],
    ["20 < n", "false"],
    ["10 < n", "true"],
    ["2 < f", "false"],
    ["2.0 < f", "true"],
    ["f = 2.5", "true"],
    ["f > 2", "false"],
    ["f > 2.0", "true"],
    ["n + 1 = 21", "unknown"],
    ["s = 1", "false"],
    ["s <> 1", "true"],
    ["b = TRUE", "true"],
    ["b <> FALSE", "true"],
    ["flag = TRUE", "true"],
    ["flag", "true"],
    ["off", "false"],
    ["b", "unknown"],
    ["i = TRUE", "false"],
    // BETWEEN
    ["i BETWEEN 10 AND 30", "true"],
    ["i BETWEEN 20 AND 20", "true"],
    ["i BETWEEN 21 AND 30", "false"],
    ["i NOT BETWEEN 21 AND 30", "true"],
    ["n BETWEEN 10 AND 30", "true"],
    ["missing BETWEEN 1 AND 2", "unknown"],
    ["missing NOT BETWEEN 1 AND 2", "unknown"],
    // IN
    ["s IN ('abc', 'x')", "true"],
    ["s IN ('x')", "false"],
    ["s NOT IN ('x', 'y')", "true"],
    ["missing IN ('x')", "unknown"],
    ["missing NOT IN ('x')", "unknown"],
    ["i IN ('20')", "false"],
    // LIKE
    ["s LIKE 'a%'", "true"],
    ["s LIKE '%c'", "true"],
    ["s LIKE '%b%'", "true"],
    ["s LIKE 'a_c'", "true"],
    ["s LIKE '_'", "false"],
    ["s LIKE '%'", "true"],
    ["s LIKE 'abc'", "true"],
    ["s LIKE 'ABC'", "false"],
    ["s NOT LIKE 'a%'", "false"],
    ["under LIKE 'a\\_c' ESCAPE '\\'", "true"],
    ["s LIKE 'a\\_c' ESCAPE '\\'", "false"],
    ["under LIKE 'a!_%' ESCAPE '!'", "true"],
    ["under LIKE '%!%%' ESCAPE '!'", "false"],
    ["s LIKE '%a%a%a%a%a%a%b'", "false"],
    ["missing LIKE 'a%'", "unknown"],
    ["missing NOT LIKE 'a%'", "unknown"],
    ["i LIKE '2%'", "false"],
    // JMS headers from the core message's properties
    ["JMSPriority = 7", "true"],
    ["JMSDeliveryMode = 'PERSISTENT'", "true"],
    ["JMSDeliveryMode = 2", "false"],
    ["JMSMessageID = 'ID:m-1'", "true"],
    ["JMSCorrelationID = 'c-1'", "true"],
    ["JMSType = 'order'", "true"],
    ["JMSTimestamp = 1700000000000", "true"],
    ["JMSRedelivered = FALSE", "true"],
    ["JMSXDeliveryCount = 1", "true"],
    ["JMSXGroupID = 'g1'", "true"],
  ];
  for (const [text, expected] of table) {
    it(`${text} is ${expected}`, () => expect(truth(text)).toBe(expected));
  }

  it("a message without properties has JMS defaults and delivery state", () => {
    expect(truth("JMSPriority = 4", bare)).toBe("true");
    expect(truth("JMSDeliveryMode = 'NON_PERSISTENT'", bare)).toBe("true");
    expect(truth("JMSMessageID IS NULL", bare)).toBe("true");
    expect(truth("JMSType = 'x'", bare)).toBe("unknown");
    expect(truth("JMSRedelivered", bare)).toBe("true");
    expect(truth("JMSXDeliveryCount = 3", bare)).toBe("true");
  });

  it("keeps the selector text", () => {
    expect((compileSelector("a = 1") as Selector).text).toBe("a = 1");
  });
});

describe("invalid selectors", () => {
  const refused: [string, RegExp][] = [
    ["", /empty/],
    ["   ", /empty/],
    ["a =", /unexpected end of the selector/],
    ["a = 1 AND", /unexpected end of the selector/],
    ["'abc'", /not a condition/],
    ["1", /not a condition/],
    ["n + 1", /not a condition/],
    ["x IN ()", /IN list item must be a string literal/],
    ["x IN (20)", /IN list item must be a string literal/],
    ["x IN ('a'", /expected , or \)/],
    ["s > 'abb'", /string cannot be an operand of a comparison/],
    ["n > '10'", /string cannot be an operand/],
    ["n BETWEEN '1' AND '3'", /string cannot be an operand/],
    ["x BETWEEN 1 2", /expected AND/],
    ["(a = 1 AND TRUE) > 1", /condition cannot be an operand/],
    ["'a' + 1 = 2", /string cannot be an operand of \+/],
    ["x LIKE 'a' ESCAPE 'ab'", /one character/],
    ["x LIKE 'a' ESCAPE ''", /one character/],
    ["x LIKE 'a!' ESCAPE '!'", /ends with its escape/],
    ["x LIKE y", /LIKE pattern must be a string literal/],
    ["'abc", /unterminated string/],
    ["a = 1 #", /unexpected character '#'/],
    ["a = 09", /invalid octal/],
    ["a = 0x", /hexadecimal/],
    ["(a = 1", /expected \)/],
    ["a = 1)", /unexpected '\)'/],
    ["NOT 1", /NOT needs a condition/],
    ["TRUE AND 'x'", /AND needs a condition/],
    ["a IS 1", /expected NULL/],
    ["a NOT 1", /unexpected 'NOT'/],
    ["1 LIKE 'a'", /LIKE needs a string value/],
    ["dotted.name = 'x'", /unexpected character '\.'/],
  ];
  for (const [text, reason] of refused) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const r = compileSelector(text);
      expect(r).toBeInstanceOf(InvalidSelector);
      const e = r as InvalidSelector;
      expect(e.reason).toMatch(reason);
      expect(e.name).toBe("PRECONDITION_FAILED");
      expect(e.description).toContain(`Invalid selector '${text}'`);
    });
  }

  it("says where the problem is", () => {
    expect((compileSelector("a = 1 AND b >") as InvalidSelector).column).toBe(14);
  });

  it("long AND / OR chains are flat: thousands of terms compile and evaluate", () => {
    const ors = Array.from({ length: 3000 }, (_, i) => `s = 'v${i}'`).join(" OR ");
    expect(evaluate(`${ors} OR s = 'abc'`)).toBe(true);
    expect(evaluate(ors)).toBe(false);
    const ands = Array.from({ length: 3000 }, () => "i = 20").join(" AND ");
    expect(evaluate(ands)).toBe(true);
    expect(truth(`${ands} AND missing = 1`)).toBe("unknown");
    expect(truth(`missing = 1 OR ${ors}`)).toBe("unknown");
  });

  it("refuses nesting past MAX_DEPTH, so no selector can exhaust the stack when evaluated", () => {
    const deep = (n: number, open: string, inner: string, close: string) => `${open.repeat(n)}${inner}${close.repeat(n)}`;
    expect(evaluate(deep(200, "(", "TRUE", ")"))).toBe(true);
    for (const text of [
      deep(300, "(", "TRUE", ")"),
      deep(300, "NOT ", "TRUE", ""),
      `i = ${deep(300, "-", "1", "")}`,
      `i = ${Array.from({ length: 300 }, () => "1").join(" + ")}`,
    ]) {
      const r = compileSelector(text);
      expect(r).toBeInstanceOf(InvalidSelector);
      expect((r as InvalidSelector).reason).toMatch(/nested more than 256 deep/);
    }
  });

  it("refuses absurd nesting and length as values, never throwing", () => {
    expect(compileSelector(`${"(".repeat(100_000)}TRUE${")".repeat(100_000)}`)).toBeInstanceOf(InvalidSelector);
    expect(compileSelector(`a = '${"x".repeat(70_000)}'`)).toBeInstanceOf(InvalidSelector);
  });
});
