/**
 * PUBACK and PUBREC for publishes that reached a durable queue are sent only once the group
 * commit holding them is on disk (MQTT 3.1.1 §4.3.2: the sender may discard the message once it
 * has the PUBACK). Acknowledgements go out in the order the publishes came [MQTT-4.6.0-2,
 * MQTT-4.6.0-3], so an acknowledgement behind one that waits for the disk waits too.
 *
 * One waiter per connection per commit batch, not per message; acks wait as packed numbers.
 */
import type { CommitWaiter, Durability } from "../../src/core/index.js";
import type { BatchedWriter } from "../../src/transport/batched-writer.js";
import { PUBACK, queueAck } from "./encode.js";

/** The acks of one connection that joined one commit batch, up to `end` in the held list. */
class Batch implements CommitWaiter {
  done = false;
  ok = true;
  constructor(readonly acks: HeldAcks, readonly batch: number, public end: number) {}

  committed(ok: boolean): void {
    this.done = true;
    this.ok = ok;
    this.acks.flush();
  }
}

export class HeldAcks {
  /** firstByte * 2^24 + reasonCode * 2^16 + packetId, in the order the publishes came. */
  private held: number[] = [];
  private batches: Batch[] = [];
  /** Held PUBACKs: QoS 1 publishes still in flight from the client's point of view. */
  heldPubacks = 0;

  constructor(
    private readonly writer: BatchedWriter,
    /** A commit failed: the connection cannot acknowledge, so it goes (the client resends). */
    private readonly onCommitFailed: () => void,
  ) {}

  /** Sends the ack now, or after the disk when `durability` is given or earlier ones wait. */
  ack(firstByte: number, packetId: number, reasonCode: number, durability: Durability | null): void {
    if (durability === null && this.batches.length === 0) {
      queueAck(this.writer, firstByte, packetId, reasonCode);
      return;
    }
    const held = this.held;
    if (firstByte === PUBACK) this.heldPubacks++;
    held.push(firstByte * 0x1000000 + reasonCode * 0x10000 + packetId);
    const batches = this.batches;
    const last = batches.length > 0 ? batches[batches.length - 1]! : null;
    if (durability === null || (last !== null && !last.done && last.batch === durability.batch)) {
      // behind a waiting batch: it goes out with (after) that batch
      if (last !== null) last.end = held.length;
      return;
    }
    const b = new Batch(this, durability.batch, held.length);
    batches.push(b);
    durability.afterCommit(b);
  }

  /** Sends the acks of every batch done, in order, up to the first still waiting. */
  flush(): void {
    const batches = this.batches;
    let sent = 0;
    let i = 0;
    for (; i < batches.length; i++) {
      const b = batches[i]!;
      if (!b.done) break;
      if (!b.ok) {
        this.clear();
        this.onCommitFailed();
        return;
      }
      for (; sent < b.end; sent++) {
        const v = this.held[sent]!;
        const firstByte = Math.floor(v / 0x1000000);
        if (firstByte === PUBACK) this.heldPubacks--;
        queueAck(this.writer, firstByte, v & 0xffff, (v >>> 16) & 0xff);
      }
    }
    if (i === 0) return;
    batches.splice(0, i);
    this.held.splice(0, sent);
    for (const b of batches) b.end -= sent;
  }

  /** The connection is gone: nothing more is sent. */
  clear(): void {
    this.held = [];
    this.batches = [];
    this.heldPubacks = 0;
  }
}
