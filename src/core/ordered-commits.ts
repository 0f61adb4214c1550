/**
 * "Send these in order once the disk has them": what a publisher confirm (AMQP), a PUBACK/PUBREC
 * (MQTT) and a RECEIPT (STOMP) have in common. An answer for a publish that reached a durable
 * queue may only leave once the group commit holding it is on disk, and answers leave in the order
 * the publishes came, so one behind a waiting answer waits too — whatever it needed itself.
 *
 * One waiter per connection per commit batch, not per message: a front-end holds plain items
 * (numbers or strings) and hears them back, in order, through its `OrderedReleaser`.
 */
import type { CommitWaiter, Durability } from "./durability.js";

/** The front-end's side: told each held item once it may go, in the order they were held. */
export interface OrderedReleaser<T> {
  /** `ok` false: the store failed the batch, the client must not believe the item is safe. */
  release(item: T, ok: boolean): void;
  /** After each run of releases: where a front-end coalesces them (one AMQP basic.ack multiple). */
  released?(): void;
}

/** The items of one connection that joined one commit batch, up to `end` in the held list. */
class Batch<T> implements CommitWaiter {
  done = false;
  ok = true;
  constructor(
    private readonly owner: OrderedCommits<T>,
    readonly batch: number,
    public end: number,
  ) {}

  committed(ok: boolean): void {
    this.done = true;
    this.ok = ok;
    this.owner.flush();
  }
}

export class OrderedCommits<T> {
  private items: T[] = [];
  private batches: Batch<T>[] = [];
  /** Moves on clear(), so a release that ends the connection stops the run it came from. */
  private epoch = 0;

  constructor(private readonly releaser: OrderedReleaser<T>) {}

  /** Whether something still waits: an answer that needs no disk must then queue behind it. */
  get waiting(): boolean {
    return this.batches.length > 0;
  }

  /** The oldest item held, if any. */
  get first(): T | undefined {
    return this.items.length > 0 ? this.items[0] : undefined;
  }

  /** How many items are held. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Holds `item` until the batch now accumulating in `durability` is on disk; with `durability`
   * null, only until the items before it go. Returns false, holding nothing, when nothing waits
   * and no disk is needed: the caller answers at once.
   */
  hold(item: T, durability: Durability | null): boolean {
    const batches = this.batches;
    const last = batches.length > 0 ? batches[batches.length - 1]! : null;
    if (durability === null && last === null) return false;
    this.items.push(item);
    if (last !== null && (durability === null || (!last.done && last.batch === durability.batch))) {
      // goes out with (after) the last waiting batch
      last.end = this.items.length;
      return true;
    }
    const b = new Batch(this, durability!.batch, this.items.length);
    batches.push(b);
    durability!.afterCommit(b);
    return true;
  }

  /**
   * Holds `item` behind whatever waits, as a batch of its own that needs no disk, so it never
   * joins a batch's failure (a STOMP DISCONNECT receipt behind SEND receipts).
   */
  holdBehind(item: T): boolean {
    const batches = this.batches;
    if (batches.length === 0) return false;
    this.items.push(item);
    const last = batches[batches.length - 1]!;
    if (last.done && last.batch === 0) {
      last.end = this.items.length;
      return true;
    }
    const b = new Batch(this, 0, this.items.length);
    b.done = true;
    this.batches.push(b);
    return true;
  }

  /** Releases the items of every batch done, in order, up to the first still waiting. */
  flush(): void {
    const batches = this.batches;
    const epoch = this.epoch;
    let sent = 0;
    let i = 0;
    for (; i < batches.length; i++) {
      const b = batches[i]!;
      if (!b.done) break;
      for (; sent < b.end; sent++) {
        this.releaser.release(this.items[sent]!, b.ok);
        if (this.epoch !== epoch) return;
      }
    }
    if (i === 0) return;
    batches.splice(0, i);
    this.items.splice(0, sent);
    for (let j = 0; j < batches.length; j++) batches[j]!.end -= sent;
    this.releaser.released?.();
  }

  /** The connection is gone: nothing held is released (batches still in the store are ignored). */
  clear(): void {
    this.epoch++;
    for (const b of this.batches) b.done = true;
    this.items = [];
    this.batches = [];
  }
}
