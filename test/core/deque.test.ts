import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Deque } from "../../src/core/deque.js";

const fill = (d: Deque<number>, from: number, to: number) => {
  for (let i = from; i < to; i++) d.push(i);
};

describe("Deque", () => {
  it("push then shift is first-in first-out", () => {
    const d = new Deque<number>(4);
    fill(d, 0, 3);
    expect(d.length).toBe(3);
    expect([d.shift(), d.shift(), d.shift()]).toEqual([0, 1, 2]);
    expect(d.length).toBe(0);
  });

  it("shift, pop and peek on an empty deque answer undefined and keep the length at zero", () => {
    const d = new Deque<number>(4);
    expect(d.shift()).toBeUndefined();
    expect(d.pop()).toBeUndefined();
    expect(d.peek()).toBeUndefined();
    expect(d.at(0)).toBeUndefined();
    expect(d.length).toBe(0);
    d.push(1);
    expect(d.pop()).toBe(1);
    expect(d.pop()).toBeUndefined();
    expect(d.length).toBe(0);
  });

  it("unshift puts an item in front and pop takes from the back", () => {
    const d = new Deque<number>(4);
    d.push(2);
    d.unshift(1);
    d.unshift(0);
    d.push(3);
    expect(d.toArray()).toEqual([0, 1, 2, 3]);
    expect(d.peek()).toBe(0);
    expect(d.pop()).toBe(3);
    expect(d.shift()).toBe(0);
    expect(d.toArray()).toEqual([1, 2]);
  });

  it("grows past its initial capacity keeping order", () => {
    const d = new Deque<number>(2);
    fill(d, 0, 100);
    expect(d.length).toBe(100);
    expect(d.toArray()).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("grows while the contents wrap around the end of the buffer", () => {
    const d = new Deque<number>(4);
    fill(d, 0, 4);
    d.shift();
    d.shift();
    d.push(4);
    d.push(5); // now wrapped: head in the middle of the buffer
    d.push(6); // full and wrapped: grows
    d.unshift(1);
    expect(d.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect([d.at(0), d.at(5), d.at(6), d.at(-1)]).toEqual([1, 6, undefined, undefined]);
  });

  it("unshift into an empty deque wraps the head to the end of the buffer and still reads in order", () => {
    const d = new Deque<number>(4);
    d.unshift(3);
    d.unshift(2);
    d.unshift(1);
    d.unshift(0);
    d.unshift(-1); // grows from a wrapped state
    expect(d.toArray()).toEqual([-1, 0, 1, 2, 3]);
    expect(d.pop()).toBe(3);
  });

  it("insertSorted places an item before the first element the predicate picks", () => {
    const d = new Deque<number>(4);
    for (const n of [1, 3, 5, 7]) d.push(n);
    d.insertSorted(4, (e) => e > 4); // middle, buffer full: grows first
    d.insertSorted(0, (e) => e > 0); // front
    d.insertSorted(9, (e) => e > 9); // back
    d.insertSorted(6, (e) => e > 6);
    expect(d.toArray()).toEqual([0, 1, 3, 4, 5, 6, 7, 9]);
  });

  it("insertSorted works when the contents wrap around the buffer", () => {
    const d = new Deque<number>(8);
    fill(d, 0, 6);
    for (let i = 0; i < 5; i++) d.shift(); // head near the end
    d.push(10);
    d.push(20);
    d.push(30); // [5, 10, 20, 30] across the wrap
    d.insertSorted(15, (e) => e > 15);
    d.insertSorted(25, (e) => e > 25);
    d.insertSorted(7, (e) => e > 7);
    expect(d.toArray()).toEqual([5, 7, 10, 15, 20, 25, 30]);
  });

  it("removeWhere removes the matching items, keeps the others in order and returns the removed ones", () => {
    const d = new Deque<number>(4);
    fill(d, 0, 10);
    const removed = d.removeWhere((n) => n % 3 === 0);
    expect(removed).toEqual([0, 3, 6, 9]);
    expect(d.toArray()).toEqual([1, 2, 4, 5, 7, 8]);
    expect(d.length).toBe(6);
    expect(d.removeWhere(() => false)).toEqual([]);
    expect(d.length).toBe(6);
  });

  it("clear empties the deque and answers what it held", () => {
    const d = new Deque<number>(4);
    fill(d, 0, 5);
    expect(d.clear()).toEqual([0, 1, 2, 3, 4]);
    expect(d.length).toBe(0);
    d.push(7);
    expect(d.toArray()).toEqual([7]);
  });

  it("behaves like an array under any sequence of operations", () => {
    type Op =
      | { op: "push" | "unshift"; v: number }
      | { op: "shift" | "pop" | "peek" | "clear" }
      | { op: "insertSorted"; v: number }
      | { op: "removeWhere"; mod: number }
      | { op: "at"; i: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constantFrom("push" as const, "unshift" as const), v: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ op: fc.constantFrom("shift" as const, "pop" as const, "peek" as const) }),
      fc.record({ op: fc.constant("clear" as const) }),
      fc.record({ op: fc.constant("insertSorted" as const), v: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ op: fc.constant("removeWhere" as const), mod: fc.integer({ min: 2, max: 7 }) }),
      fc.record({ op: fc.constant("at" as const), i: fc.integer({ min: -2, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 8), fc.array(opArb, { maxLength: 120 }), (cap, ops) => {
        const d = new Deque<number>(cap);
        const model: number[] = [];
        for (const o of ops) {
          switch (o.op) {
            case "push":
              d.push(o.v);
              model.push(o.v);
              break;
            case "unshift":
              d.unshift(o.v);
              model.unshift(o.v);
              break;
            case "shift":
              expect(d.shift()).toBe(model.shift());
              break;
            case "pop":
              expect(d.pop()).toBe(model.pop());
              break;
            case "peek":
              expect(d.peek()).toBe(model[0]);
              break;
            case "clear":
              expect(d.clear()).toEqual(model.splice(0));
              break;
            case "insertSorted": {
              d.insertSorted(o.v, (e) => e > o.v);
              const i = model.findIndex((e) => e > o.v);
              model.splice(i < 0 ? model.length : i, 0, o.v);
              break;
            }
            case "removeWhere": {
              const drop = (n: number) => n % o.mod === 0;
              expect(d.removeWhere(drop)).toEqual(model.filter(drop));
              model.splice(0, model.length, ...model.filter((n) => !drop(n)));
              break;
            }
            case "at":
              expect(d.at(o.i)).toBe(o.i >= 0 ? model[o.i] : undefined);
              break;
          }
          expect(d.length).toBe(model.length);
        }
        expect(d.toArray()).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});
