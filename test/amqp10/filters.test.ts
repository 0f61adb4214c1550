import { describe, expect, it } from "vitest";
import { sourceFilters } from "../../protocols/amqp10/filters.js";
import { AmqpMap, Described, Sym, Typed } from "../../protocols/amqp10/codec/primitives.js";
import { Amqp10Error } from "../../protocols/amqp10/errors.js";

const selectorBySymbol = (s: unknown) => new Described(new Sym("apache.org:selector-filter:string"), s as string);
const selectorByCode = (s: string) => new Described(new Typed("ulong", 0x0000468c00000004n), s);
const noLocal = new Described(new Sym("apache.org:no-local-filter:list"), []);
const legacy = new Described(new Sym("apache.org:legacy-amqp-direct-binding:string"), "key");

describe("AMQP 1.0 source filters", () => {
  it("no filter-set, or an empty one: nothing applied", () => {
    expect(sourceFilters(undefined)).toEqual({ selector: null, noLocal: false, applied: undefined });
    expect(sourceFilters(new AmqpMap())).toEqual({ selector: null, noLocal: false, applied: undefined });
  });

  it("takes the selector by symbol or by code, and no-local; echoes only those", () => {
    for (const described of [selectorBySymbol("a = 1"), selectorByCode("a = 1")]) {
      const f = sourceFilters(
        new AmqpMap([
          [new Sym("jms-selector"), described],
          [new Sym("no-local"), noLocal],
          [new Sym("direct"), legacy],
        ]),
      );
      if (f instanceof Amqp10Error) throw f;
      expect(f.selector?.text).toBe("a = 1");
      expect(f.noLocal).toBe(true);
      expect(f.applied?.entries).toEqual([
        [new Sym("jms-selector"), described],
        [new Sym("no-local"), noLocal],
      ]);
    }
  });

  it("no-local alone, by code", () => {
    const byCode = new Described(new Typed("ulong", 0x0000468c00000003n), []);
    const f = sourceFilters(new AmqpMap([[new Sym("nl"), byCode]]));
    expect(f).toEqual({ selector: null, noLocal: true, applied: new AmqpMap([[new Sym("nl"), byCode]]) });
  });

  it("filters it does not apply are not echoed", () => {
    const f = sourceFilters(new AmqpMap([[new Sym("direct"), legacy]]));
    expect(f).toEqual({ selector: null, noLocal: false, applied: undefined });
  });

  it("refuses an invalid selector, a non-string one and two selectors with amqp:invalid-field", () => {
    const cases = [
      new AmqpMap([["s", selectorBySymbol("a =")]]),
      new AmqpMap([["s", selectorBySymbol(42)]]),
      new AmqpMap([
        ["s", selectorBySymbol("a = 1")],
        ["t", selectorByCode("b = 1")],
      ]),
    ];
    for (const m of cases) {
      const f = sourceFilters(m);
      expect(f).toBeInstanceOf(Amqp10Error);
      expect((f as Amqp10Error).condition).toBe("amqp:invalid-field");
      expect((f as Amqp10Error).scope).toBe("link");
    }
    expect((sourceFilters(cases[0]!) as Amqp10Error).description).toBe("Invalid selector 'a =': unexpected end of the selector (column 4)");
  });
});
