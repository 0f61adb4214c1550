import type { Message } from "../../src/core/index.js";
import type { SettleHow, Unacked } from "./unacked.js";

export interface TxPublish {
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  message: Message;
}

export interface TxSettle {
  picked: Unacked[];
  how: SettleHow;
  requeue: boolean;
}

/**
 * What a tx.select channel holds until commit (AMQP 0-9-1 §1.9): publishes and settlements.
 * handlers/tx.ts commits and rolls it back.
 */
export class Transaction {
  publishes: TxPublish[] = [];
  settles: TxSettle[] = [];
}
