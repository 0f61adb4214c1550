/**
 * A growable ring buffer: O(1) push/pop at both ends, so a queue's backlog never pays
 * Array.shift's O(n) on the hot path.
 */
export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private count = 0;
  private mask: number;

  constructor(initialCapacityPow2 = 16) {
    this.buf = new Array(initialCapacityPow2);
    this.mask = initialCapacityPow2 - 1;
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  unshift(item: T): void {
    if (this.count === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return item;
  }

  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head + this.count - 1) & this.mask;
    const item = this.buf[i];
    this.buf[i] = undefined;
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.buf[this.head];
  }

  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.buf[(this.head + index) & this.mask];
  }

  /** Inserts before the first element for which `before(existing)` holds; O(distance from the front). */
  insertSorted(item: T, before: (existing: T) => boolean): void {
    let i = 0;
    while (i < this.count && !before(this.buf[(this.head + i) & this.mask] as T)) i++;
    if (i === 0) return this.unshift(item);
    if (i === this.count) return this.push(item);
    if (this.count === this.buf.length) this.grow();
    // shift the first i elements one slot towards the front
    this.head = (this.head - 1) & this.mask;
    for (let k = 0; k < i; k++) {
      this.buf[(this.head + k) & this.mask] = this.buf[(this.head + k + 1) & this.mask];
    }
    this.buf[(this.head + i) & this.mask] = item;
    this.count++;
  }

  clear(): T[] {
    const out = this.toArray();
    this.buf = new Array(16);
    this.mask = 15;
    this.head = 0;
    this.count = 0;
    return out;
  }

  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.buf[(this.head + i) & this.mask] as T;
    return out;
  }

  /** Removes every element matching `drop`, keeping order; returns the removed ones. */
  removeWhere(drop: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (const item of this.toArray()) (drop(item) ? removed : kept).push(item);
    if (removed.length === 0) return removed;
    this.clear();
    for (const item of kept) this.push(item);
    return removed;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.mask = next.length - 1;
  }
}
