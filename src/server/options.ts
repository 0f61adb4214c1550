import { z } from "zod";

const listener = z.union([z.literal(false), z.object({ port: z.number().int().min(0).max(65535), host: z.string().optional() })]);

/** What startBroker and the CLI accept; validated at the edge so mistakes name the option. */
export const brokerOptionsSchema = z.object({
  /** Where durable state lives; omitted: a fresh temporary directory removed on close. */
  dataDir: z.string().optional(),
  amqp: listener.optional(),
  /** Address listeners bind to when one does not say; default all interfaces. */
  host: z.string().optional(),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional(),
  defaultUser: z.string().optional(),
  defaultPass: z.string().optional(),
  defaultVhost: z.string().optional(),
  loopbackUsers: z.array(z.string()).optional(),
  heartbeat: z.number().int().min(0).max(65535).optional(),
  frameMax: z.number().int().min(4096).optional(),
  channelMax: z.number().int().min(1).max(65535).optional(),
  maxMessageSize: z.number().int().min(1).max(536870912).optional(),
});

export type BrokerOptions = z.input<typeof brokerOptionsSchema>;

/** RabbitMQ's default ports, which Warren keeps so clients need no change. */
export const DEFAULT_PORTS = {
  amqp: 5672,
} as const;

export function parseOptions(input: BrokerOptions): z.output<typeof brokerOptionsSchema> {
  const r = brokerOptionsSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; ");
    throw new Error(`invalid broker options: ${msg}`);
  }
  return r.data;
}
