// What every file of Java JMS scenarios starts with: the broker under test and the compiled programs.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { buildJms } from "./java.js";
import { type EmbeddedOptions, type OpenWireBroker, useOpenWireBroker } from "./target.js";

/**
 * The broker a file's scenarios run against (an embedded Warren, or the one the conformance runner
 * names), opened before the file's tests with the Java programs compiled, closed after them. Call
 * it at the top level; read `url` inside the tests.
 */
export function useJmsScenarios(options: EmbeddedOptions = {}): { readonly url: string; readonly kind: OpenWireBroker["kind"] } {
  let broker: OpenWireBroker | undefined;
  beforeAll(async () => {
    broker = await useOpenWireBroker(options);
    await buildJms();
  }, 120_000);
  afterAll(() => broker?.close());
  const open = (): OpenWireBroker => {
    if (broker === undefined) throw new Error("the broker under test is not open yet");
    return broker;
  };
  return {
    get url(): string {
      return open().url;
    },
    get kind(): OpenWireBroker["kind"] {
      return open().kind;
    },
  };
}

/** A destination-name prefix of its own for each scenario, so runs and scenarios never share a queue. */
export function uniquePrefix(): string {
  return `conf.${randomUUID().slice(0, 8)}`;
}
