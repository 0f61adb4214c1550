import { OrderedCommits } from "../../src/core/index.js";
import type { SessionContext } from "./session-context.js";

/** Held behind receipts still waiting: a DISCONNECT closes once every receipt before it is out. */
export const DISCONNECT = Symbol("DISCONNECT");
export type HeldReceipt = string | typeof DISCONNECT;

/**
 * A session's RECEIPTs in frame order, on the core's OrderedCommits: a receipt for a SEND (or
 * COMMIT) of persistent messages means they are on disk, as RabbitMQ's STOMP receipts ride on
 * publisher confirms, and later receipts queue behind one still waiting.
 */
export class Receipts {
  private readonly held = new OrderedCommits<HeldReceipt>({ release: (item, ok) => this.release(item, ok) });

  constructor(private readonly ctx: SessionContext) {}

  /** Whether some receipt still waits for the disk. */
  get waiting(): boolean {
    return this.held.waiting;
  }

  /** A frame with a `receipt` header succeeded; `persisted`: it wrote a message to the store. */
  afterFrame(receipt: string, command: string, persisted: boolean): void {
    const durability = this.ctx.vhost.durability;
    if (persisted && durability !== null) this.held.hold(receipt, durability);
    // later SEND receipts queue behind waiting ones, in a batch of their own: they do not fail with it
    else if ((command !== "SEND" && command !== "COMMIT") || !this.held.holdBehind(receipt)) {
      this.ctx.send("RECEIPT", [["receipt-id", receipt]], null);
    }
  }

  /** Holds `item` behind every receipt waiting; false when none waits. */
  holdBehind(item: HeldReceipt): boolean {
    return this.held.holdBehind(item);
  }

  /** The session is gone: nothing held is sent. */
  close(): void {
    this.held.clear();
  }

  /** A held receipt may go: RECEIPT, or an ERROR when the store failed its batch. */
  private release(item: HeldReceipt, ok: boolean): void {
    if (item === DISCONNECT) {
      this.held.clear();
      this.ctx.close();
    } else if (ok) this.ctx.send("RECEIPT", [["receipt-id", item]], null);
    // the store failed the write: the client must not believe the message is safe
    else this.ctx.error("Message not persisted", "The broker could not write the message to disk\n", false, item);
  }
}
