import { describe, expect, it } from "vitest";
import amqp from "amqplib";
import { startBroker } from "warren";
import { parseConf, resolveStartOptions, settingsToOptions } from "../../src/server/config.js";

/** connection.start's server-properties as amqplib decoded them. */
async function advertised(options: Parameters<typeof startBroker>[0] = {}): Promise<Record<string, unknown>> {
  const broker = await startBroker({ amqp: { port: 0 }, logLevel: "silent", ...options });
  try {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const props = (conn as unknown as { connection: { serverProperties: Record<string, unknown> } }).connection.serverProperties;
    await conn.close();
    return props;
  } finally {
    await broker.close();
  }
}

describe("advertised product and version (server-properties)", () => {
  it("default: RabbitMQ and the release Warren implements, Warren's own name and version in information", async () => {
    const props = await advertised();
    expect(props).toMatchObject({ product: "RabbitMQ", version: "3.10.8", platform: `Node.js ${process.version}` });
    expect(props.information).toMatch(/^Warren \d+\.\d+\.\d+, implementing RabbitMQ 3\.10\.8\./);
  });

  it("the serverProperties option sets either or both", async () => {
    expect(await advertised({ serverProperties: { product: "Warren", version: "0.1.0" } })).toMatchObject({
      product: "Warren",
      version: "0.1.0",
    });
    expect(await advertised({ serverProperties: { product: "Warren" } })).toMatchObject({ product: "Warren", version: "3.10.8" });
  });

  it("rabbitmq.conf keys server_properties.product / .version and the --server-product / --server-version flags", () => {
    const o = settingsToOptions(parseConf("server_properties.product = Warren\nserver_properties.version = 0.1.0\n", "rabbitmq.conf"));
    expect(o.serverProperties).toEqual({ product: "Warren", version: "0.1.0" });
    expect(() => settingsToOptions(parseConf('server_properties.product = ""\n', "rabbitmq.conf"))).toThrow(
      /server_properties\.product.*expected a non-empty value/,
    );
    const { options } = resolveStartOptions({ serverProduct: "Acme MQ", serverVersion: "9.9.9" }, {});
    expect(options.serverProperties).toEqual({ product: "Acme MQ", version: "9.9.9" });
  });
});
