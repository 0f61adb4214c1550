/**
 * Local JMS transactions (a transacted session's TransactionInfo BEGIN … COMMIT_ONE_PHASE or
 * ROLLBACK), held as AMQP 0-9-1's tx class and AMQP 1.0's coordinator hold theirs
 * (protocols/amqp/tx.ts, protocols/amqp10/transactions.ts): the messages sent in the transaction
 * are routed only at commit, and the acks given in it applied only then. A rollback drops both;
 * the deliveries it leaves unacknowledged stay with the consumer, whose client redelivers them
 * itself (as against ActiveMQ). The core has no transaction of its own to share.
 */
import type { JobSpec, Message } from "../../src/core/index.js";
import type { AnyTransactionId } from "./codec/commands.generated.js";
import { DataType } from "./codec/commands.generated.js";
import type { OpenWireConsumer } from "./consumer.js";

/** TransactionInfo types (ActiveMQ's TransactionInfo constants). */
export const TX_BEGIN = 0;
export const TX_PREPARE = 1;
export const TX_COMMIT_ONE_PHASE = 2;
export const TX_COMMIT_TWO_PHASE = 3;
export const TX_ROLLBACK = 4;
export const TX_RECOVER = 5;
export const TX_FORGET = 6;
export const TX_END = 7;

interface HeldSend {
  readonly exchange: string;
  readonly routingKey: string;
  readonly message: Message;
  /** A scheduled send's job, started at the commit; undefined to route at the commit. */
  readonly job: { readonly id: string; readonly spec: JobSpec } | undefined;
}

interface HeldAck {
  readonly consumer: OpenWireConsumer;
  readonly tag: number;
  readonly individual: boolean;
}

/** One local transaction: what its commit does. */
export class OpenWireTransaction {
  readonly sends: HeldSend[] = [];
  readonly acks: HeldAck[] = [];

  send(exchange: string, routingKey: string, message: Message, job?: { id: string; spec: JobSpec }): void {
    this.sends.push({ exchange, routingKey, message, job });
  }

  ack(consumer: OpenWireConsumer, tag: number, individual: boolean): void {
    this.acks.push({ consumer, tag, individual });
  }
}

/** The map key of a transaction id; null for an XA one (not served). */
export function localTxKey(id: AnyTransactionId): string | null {
  if (id.dataType !== DataType.LocalTransactionId) return null;
  return `${id.connectionId?.value ?? ""}:${id.value}`;
}

/** A transaction id as ActiveMQ prints it (TX:connection:n, XID:…). */
export function txText(id: AnyTransactionId): string {
  if (id.dataType === DataType.LocalTransactionId) return `TX:${id.connectionId?.value ?? ""}:${id.value}`;
  return `XID:[${id.formatId},globalId=${id.globalTransactionId?.toString("hex") ?? ""},branchId=${id.branchQualifier?.toString("hex") ?? ""}]`;
}
