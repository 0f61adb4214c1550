// What the core queue tests consume with: a consumer that records what it is given, with credit.
import type { ClientRef, Consumer } from "../../src/core/consumer.js";
import { BrokerError } from "../../src/core/errors.js";
import type { QueueEntry } from "../../src/core/queue-entry.js";

/** `r` when it is not a BrokerError (the test fails otherwise). */
export function ok<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw new Error(`unexpected ${r.toString()}`);
  return r;
}

/** Takes deliveries while it has credit (one per delivery), keeping them in order. */
export class FakeConsumer implements Consumer {
  readonly delivered: QueueEntry[] = [];
  readonly client: ClientRef = { id: 1 };
  constructor(public credit = Infinity) {}
  hasCredit(): boolean {
    return this.credit > 0;
  }
  deliver(entry: QueueEntry): void {
    this.credit--;
    this.delivered.push(entry);
  }
  cancelledByBroker(): void {}
  get bodies(): string[] {
    return this.delivered.map((e) => e.message.body.toString());
  }
}
