/**
 * PUBACK and PUBREC for publishes that reached a durable queue are sent only once the group
 * commit holding them is on disk (MQTT 3.1.1 §4.3.2: the sender may discard the message once it
 * has the PUBACK). Acknowledgements go out in the order the publishes came [MQTT-4.6.0-2,
 * MQTT-4.6.0-3], so an acknowledgement behind one that waits for the disk waits too — the core's
 * OrderedCommits keeps that order; acks wait there as packed numbers.
 */
import { type Durability, OrderedCommits, type OrderedReleaser } from "../../src/core/index.js";
import type { BatchedWriter } from "../../src/transport/batched-writer.js";
import { PUBACK, queueAck } from "./encode.js";

/** firstByte * 2^24 + reasonCode * 2^16 + packetId. */
const pack = (firstByte: number, packetId: number, reasonCode: number): number => firstByte * 0x1000000 + reasonCode * 0x10000 + packetId;

export class HeldAcks implements OrderedReleaser<number> {
  private readonly order = new OrderedCommits<number>(this);
  /** Held PUBACKs: QoS 1 publishes still in flight from the client's point of view. */
  heldPubacks = 0;

  constructor(
    private readonly writer: BatchedWriter,
    /** A commit failed: the connection cannot acknowledge, so it goes (the client resends). */
    private readonly onCommitFailed: () => void,
  ) {}

  /** Sends the ack now, or after the disk when `durability` is given or earlier ones wait. */
  ack(firstByte: number, packetId: number, reasonCode: number, durability: Durability | null): void {
    if (!this.order.hold(pack(firstByte, packetId, reasonCode), durability)) {
      queueAck(this.writer, firstByte, packetId, reasonCode);
      return;
    }
    if (firstByte === PUBACK) this.heldPubacks++;
  }

  release(packed: number, ok: boolean): void {
    if (!ok) {
      this.clear();
      this.onCommitFailed();
      return;
    }
    const firstByte = Math.floor(packed / 0x1000000);
    if (firstByte === PUBACK) this.heldPubacks--;
    queueAck(this.writer, firstByte, packed & 0xffff, (packed >>> 16) & 0xff);
  }

  /** The connection is gone: nothing more is sent. */
  clear(): void {
    this.order.clear();
    this.heldPubacks = 0;
  }
}
