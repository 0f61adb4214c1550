/**
 * A recursive-descent parser for JMS 1.1 §3.8.1 selectors that compiles as it parses: each node
 * becomes an evaluator closure, made once per selector, so evaluating a message walks closures
 * and allocates nothing.
 *
 * Precedence follows JMS (OR < AND < NOT < comparisons < + - < * / < unary sign). ActiveMQ 5.17
 * binds NOT tighter than a comparison (`NOT a = 'x'` is `(NOT a) = 'x'`, which selects nothing);
 * Warren reads it as JMS defines it. Type errors ActiveMQ refuses when it parses are refused here
 * too: a string literal or a boolean compared with < > <= >= or in arithmetic, BETWEEN with string
 * bounds, IN with anything but string literals, an ESCAPE that is not one character, and a
 * selector that is a literal or arithmetic rather than a condition.
 */
import { type Evaluator, identifier, type SelectorSubject } from "./fields.js";
import { SelectorSyntaxError, Tok, type Token } from "./lexer.js";
import { LikePattern } from "./like.js";
import { and, compare, equals, type Exactness, GE, GT, LE, LT, not, or, type Ordering, type Value } from "./values.js";

/** What a node is known to give before any message is seen. */
const T = { Bool: 0, Num: 1, Str: 2, Any: 3 } as const;
type NodeType = (typeof T)[keyof typeof T];

interface Node {
  readonly type: NodeType;
  readonly ev: Evaluator;
  /** Numeric literals: exact or approximate; other nodes: undefined (decided at run time). */
  readonly exact: Exactness;
  readonly column: number;
  /** Set on numeric literals (and negated ones). */
  readonly literal?: number;
  /** How deep evaluating it nests calls: bounded, so no selector can exhaust the stack per message. */
  readonly depth: number;
}

/**
 * The deepest expression tree accepted. Chains of AND / OR are flat (one node however long), so
 * this bounds only real nesting (parentheses, NOT, arithmetic chains), far past any real selector.
 */
export const MAX_DEPTH = 256;

function deeper(...nodes: Node[]): number {
  let d = 0;
  for (const n of nodes) if (n.depth > d) d = n.depth;
  if (d >= MAX_DEPTH) throw new SelectorSyntaxError(`nested more than ${MAX_DEPTH} deep`, nodes[0]!.column);
  return d + 1;
}

const ORDERINGS: Record<string, Ordering> = { "<": LT, ">": GT, "<=": LE, ">=": GE };

export class Parser {
  private pos = 0;
  /** Open parentheses, NOTs and signs being parsed: refused past MAX_DEPTH before the stack runs out. */
  private nesting = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  /** The whole selector: a condition, or a bare identifier (a boolean property). */
  parseSelector(): Evaluator {
    const node = this.orExpr();
    const t = this.peek();
    if (t.kind !== Tok.End) throw new SelectorSyntaxError(`unexpected ${describe(t)}`, t.column);
    if (node.type !== T.Bool && node.type !== T.Any) throw new SelectorSyntaxError("the selector is not a condition", 1);
    return node.ev;
  }

  private enter(t: Token): void {
    if (++this.nesting > MAX_DEPTH) throw new SelectorSyntaxError(`nested more than ${MAX_DEPTH} deep`, t.column);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private keyword(word: string): boolean {
    const t = this.peek();
    if (t.kind === Tok.Keyword && t.text === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  private expectKeyword(word: string): void {
    if (!this.keyword(word)) throw new SelectorSyntaxError(`expected ${word} but found ${describe(this.peek())}`, this.peek().column);
  }

  private op(text: string): boolean {
    const t = this.peek();
    if (t.kind === Tok.Op && t.text === text) {
      this.pos++;
      return true;
    }
    return false;
  }

  private condition(n: Node, what: string): Evaluator {
    if (n.type === T.Num || n.type === T.Str)
      throw new SelectorSyntaxError(`${what} needs a condition, not a ${n.type === T.Num ? "number" : "string"}`, n.column);
    return n.ev;
  }

  private orExpr(): Node {
    const first = this.andExpr();
    if (!this.keyword("OR")) return first;
    // one flat node for a chain: `a OR b OR c …` (often long generated lists) nests no deeper
    const nodes = [first, this.andExpr()];
    while (this.keyword("OR")) nodes.push(this.andExpr());
    const evs = nodes.map((n) => this.condition(n, "OR"));
    const depth = deeper(...nodes);
    const ev: Evaluator = (s) => {
      let r: Value = false;
      for (let i = 0; i < evs.length; i++) {
        const v = evs[i]!(s);
        if (v === true) return true;
        if (v !== false) r = null;
      }
      return r;
    };
    return { type: T.Bool, ev, exact: undefined, column: first.column, depth };
  }

  private andExpr(): Node {
    const first = this.notExpr();
    if (!this.keyword("AND")) return first;
    const nodes = [first, this.notExpr()];
    while (this.keyword("AND")) nodes.push(this.notExpr());
    const evs = nodes.map((n) => this.condition(n, "AND"));
    const depth = deeper(...nodes);
    // stops at the first false: later operands' properties are not read
    const ev: Evaluator = (s) => {
      let r: Value = true;
      for (let i = 0; i < evs.length; i++) {
        const v = evs[i]!(s);
        if (v === false) return false;
        if (v !== true) r = null;
      }
      return r;
    };
    return { type: T.Bool, ev, exact: undefined, column: first.column, depth };
  }

  private notExpr(): Node {
    const t = this.peek();
    if (this.keyword("NOT")) {
      this.enter(t);
      const n = this.notExpr();
      this.nesting--;
      const a = this.condition(n, "NOT");
      return { type: T.Bool, ev: (s) => not(a(s)), exact: undefined, column: t.column, depth: deeper(n) };
    }
    return this.comparison();
  }

  private comparison(): Node {
    const left = this.additive();
    const t = this.peek();
    if (t.kind === Tok.Op) {
      if (t.text === "=" || t.text === "<>") {
        this.pos++;
        const right = this.additive();
        const a = left.ev;
        const b = right.ev;
        const la = left.exact;
        const rb = right.exact;
        const ev: Evaluator = t.text === "=" ? (s) => equals(a(s), b(s), la, rb) : (s) => not(equals(a(s), b(s), la, rb));
        return { type: T.Bool, ev, exact: undefined, column: left.column, depth: deeper(left, right) };
      }
      const ordering = ORDERINGS[t.text];
      if (ordering !== undefined) {
        this.pos++;
        const right = this.additive();
        return this.ordered(ordering, left, right);
      }
      return left;
    }
    if (t.kind !== Tok.Keyword) return left;
    const negated = t.text === "NOT" && this.tokens[this.pos + 1]?.kind === Tok.Keyword;
    if (negated) {
      const w = this.tokens[this.pos + 1]!.text;
      if (w !== "BETWEEN" && w !== "LIKE" && w !== "IN") return left;
      this.pos++;
    }
    if (this.keyword("BETWEEN")) {
      const low = this.additive();
      this.expectKeyword("AND");
      const high = this.additive();
      if (negated) {
        const a = this.ordered(LT, left, low).ev;
        const b = this.ordered(GT, left, high).ev;
        return { type: T.Bool, ev: (s) => or(a(s), b(s)), exact: undefined, column: left.column, depth: deeper(left, low, high) + 1 };
      }
      const a = this.ordered(GE, left, low).ev;
      const b = this.ordered(LE, left, high).ev;
      return { type: T.Bool, ev: (s) => and(a(s), b(s)), exact: undefined, column: left.column, depth: deeper(left, low, high) + 1 };
    }
    if (this.keyword("LIKE")) return this.like(left, negated);
    if (this.keyword("IN")) return this.in(left, negated);
    if (!negated && this.keyword("IS")) {
      const isNot = this.keyword("NOT");
      this.expectKeyword("NULL");
      const a = this.value(left, "IS NULL");
      return {
        type: T.Bool,
        ev: isNot ? (s) => a(s) !== null : (s) => a(s) === null,
        exact: undefined,
        column: left.column,
        depth: deeper(left),
      };
    }
    if (negated) throw new SelectorSyntaxError(`unexpected ${describe(this.peek())}`, this.peek().column);
    return left;
  }

  private ordered(ordering: Ordering, left: Node, right: Node): Node {
    const a = this.numeric(left, "a comparison");
    const b = this.numeric(right, "a comparison");
    const la = left.exact;
    const rb = right.exact;
    return {
      type: T.Bool,
      ev: (s) => compare(ordering, a(s), b(s), la, rb),
      exact: undefined,
      column: left.column,
      depth: deeper(left, right),
    };
  }

  /** An operand of <, >, arithmetic…: no string literal, no condition. */
  private numeric(n: Node, what: string): Evaluator {
    if (n.type === T.Str) throw new SelectorSyntaxError(`a string cannot be an operand of ${what}`, n.column);
    if (n.type === T.Bool) throw new SelectorSyntaxError(`a condition cannot be an operand of ${what}`, n.column);
    return n.ev;
  }

  /** The left side of LIKE, IN, IS NULL: a value, not a condition or a number. */
  private value(n: Node, what: string): Evaluator {
    if (n.type === T.Bool || n.type === T.Num) throw new SelectorSyntaxError(`${what} needs a string value on its left`, n.column);
    return n.ev;
  }

  private stringLiteral(what: string): string {
    const t = this.next();
    if (t.kind !== Tok.String) throw new SelectorSyntaxError(`${what} must be a string literal, not ${describe(t)}`, t.column);
    return t.text;
  }

  private like(left: Node, negated: boolean): Node {
    const a = this.value(left, "LIKE");
    const patternToken = this.peek();
    const pattern = this.stringLiteral("a LIKE pattern");
    let escape: string | null = null;
    if (this.keyword("ESCAPE")) {
      const e = this.peek();
      escape = this.stringLiteral("an ESCAPE character");
      if (escape.length !== 1) throw new SelectorSyntaxError(`the ESCAPE character must be one character, not '${escape}'`, e.column);
    }
    const p = LikePattern.compile(pattern, escape);
    if (typeof p === "string") throw new SelectorSyntaxError(p, patternToken.column);
    const matches = (s: SelectorSubject): boolean | null => {
      const v = a(s);
      return v === null ? null : typeof v === "string" && p.matches(v);
    };
    return { type: T.Bool, ev: negated ? (s) => not(matches(s)) : matches, exact: undefined, column: left.column, depth: deeper(left) + 1 };
  }

  private in(left: Node, negated: boolean): Node {
    const a = this.value(left, "IN");
    const open = this.next();
    if (open.kind !== Tok.LParen) throw new SelectorSyntaxError(`expected ( after IN but found ${describe(open)}`, open.column);
    const set = new Set<string>();
    do set.add(this.stringLiteral("an IN list item"));
    while (this.peek().kind === Tok.Comma && this.next());
    const close = this.next();
    if (close.kind !== Tok.RParen)
      throw new SelectorSyntaxError(`expected , or ) in the IN list but found ${describe(close)}`, close.column);
    const member = (s: SelectorSubject): boolean | null => {
      const v = a(s);
      return v === null ? null : typeof v === "string" && set.has(v);
    };
    return { type: T.Bool, ev: negated ? (s) => not(member(s)) : member, exact: undefined, column: left.column, depth: deeper(left) + 1 };
  }

  private additive(): Node {
    let left = this.multiplicative();
    for (;;) {
      const plus = this.op("+");
      if (!plus && !this.op("-")) return left;
      const right = this.multiplicative();
      const a = this.numeric(left, plus ? "+" : "-");
      const b = this.numeric(right, plus ? "+" : "-");
      const ev: Evaluator = plus ? (s) => arith(a(s), b(s), PLUS) : (s) => arith(a(s), b(s), MINUS);
      left = { type: T.Num, ev, exact: undefined, column: left.column, depth: deeper(left, right) };
    }
  }

  private multiplicative(): Node {
    let left = this.unary();
    for (;;) {
      const times = this.op("*");
      if (!times && !this.op("/")) return left;
      const right = this.unary();
      const a = this.numeric(left, times ? "*" : "/");
      const b = this.numeric(right, times ? "*" : "/");
      const ev: Evaluator = times ? (s) => arith(a(s), b(s), TIMES) : (s) => arith(a(s), b(s), DIVIDE);
      left = { type: T.Num, ev, exact: undefined, column: left.column, depth: deeper(left, right) };
    }
  }

  private unary(): Node {
    const t = this.peek();
    if (this.op("+")) {
      this.enter(t);
      const n = this.unary();
      this.nesting--;
      this.numeric(n, "unary +");
      return n;
    }
    if (this.op("-")) {
      this.enter(t);
      const n = this.unary();
      this.nesting--;
      const a = this.numeric(n, "unary -");
      // a negative literal stays a literal (its exactness matters when a string is converted)
      if (n.literal !== undefined) {
        const v = -n.literal;
        return { type: T.Num, ev: () => v, exact: n.exact, column: t.column, literal: v, depth: 1 };
      }
      return {
        type: T.Num,
        ev: (s) => {
          const v = a(s);
          return typeof v === "number" ? -v : null;
        },
        exact: undefined,
        column: t.column,
        depth: deeper(n),
      };
    }
    return this.primary();
  }

  private primary(): Node {
    const t = this.next();
    switch (t.kind) {
      case Tok.Exact:
      case Tok.Approx: {
        const v = t.value;
        return { type: T.Num, ev: () => v, exact: t.kind === Tok.Exact, column: t.column, literal: v, depth: 1 };
      }
      case Tok.String: {
        const v = t.text;
        return { type: T.Str, ev: () => v, exact: undefined, column: t.column, depth: 1 };
      }
      case Tok.Ident:
        return { type: T.Any, ev: identifier(t.text), exact: undefined, column: t.column, depth: 1 };
      case Tok.Keyword:
        if (t.text === "TRUE") return { type: T.Bool, ev: () => true, exact: undefined, column: t.column, depth: 1 };
        if (t.text === "FALSE") return { type: T.Bool, ev: () => false, exact: undefined, column: t.column, depth: 1 };
        break;
      case Tok.LParen: {
        this.enter(t);
        const n = this.orExpr();
        this.nesting--;
        const close = this.next();
        if (close.kind !== Tok.RParen) throw new SelectorSyntaxError(`expected ) but found ${describe(close)}`, close.column);
        return n;
      }
    }
    throw new SelectorSyntaxError(`unexpected ${describe(t)}`, t.column);
  }
}

const PLUS = 0;
const MINUS = 1;
const TIMES = 2;
const DIVIDE = 3;

function arith(l: Value, r: Value, op: number): number | null {
  if (typeof l !== "number" || typeof r !== "number") return null;
  switch (op) {
    case PLUS:
      return l + r;
    case MINUS:
      return l - r;
    case TIMES:
      return l * r;
    default:
      return l / r;
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case Tok.End:
      return "end of the selector";
    case Tok.String:
      return `'${t.text}'`;
    default:
      return `'${t.text}'`;
  }
}
