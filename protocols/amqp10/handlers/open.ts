import { LoginRefused } from "../../../src/core/index.js";
import { type Open, writeOpen } from "../codec/types.generated.js";
import type { Amqp10Connection } from "../connection.js";
import { Amqp10Error } from "../errors.js";

/** The smallest max-frame-size a peer may ask for (the spec's MIN-MAX-FRAME-SIZE). */
const MIN_MAX_FRAME_SIZE = 512;

/**
 * The vhost an open names: `vhost:NAME` is NAME; anything else — rhea sends the host it dialled,
 * `127.0.0.1` — is the default vhost, as RabbitMQ 3.10 reads it.
 */
export function vhostOf(hostname: string | undefined, defaultVhost: string): string {
  if (hostname?.startsWith("vhost:")) return hostname.slice("vhost:".length);
  return defaultVhost;
}

/** Our open: our limits and idle-time-out, the container id. */
export function openReply(c: Amqp10Connection): void {
  const start = c.beginFrame(0);
  writeOpen(c.out, {
    containerId: `warren@${process.env.HOSTNAME ?? "localhost"}`,
    maxFrameSize: c.options.maxFrameSize,
    channelMax: c.channelMax || c.options.channelMax,
    ...(c.options.idleTimeoutMs > 0 && { idleTimeOut: c.options.idleTimeoutMs }),
  });
  c.endFrame(start);
}

/** open: sizes and heartbeats agreed, the vhost entered (a refusal is an open, then close). */
export function handleOpen(c: Amqp10Connection, o: Open): void {
  const user = c.authenticated;
  if (user === null) throw new Amqp10Error("amqp:unauthorized-access", "not authenticated");
  c.containerId = o.containerId;
  const vhostName = vhostOf(o.hostname, c.options.defaultVhost);
  const granted = c.broker.enterVhost(user, vhostName);
  if (granted instanceof LoginRefused) {
    c.log.warn({ user: user.name, vhost: vhostName }, `AMQP 1.0 login refused: ${granted.reason}`);
    throw new Amqp10Error("amqp:unauthorized-access", `access to vhost '${vhostName}' refused for user '${user.name}'`);
  }
  if (o.maxFrameSize < MIN_MAX_FRAME_SIZE) {
    throw new Amqp10Error("amqp:frame-size-too-small", `max-frame-size ${o.maxFrameSize} is below the minimum ${MIN_MAX_FRAME_SIZE}`);
  }
  c.user = granted.user;
  c.vhost = granted.vhost;
  c.access = granted.access;
  c.channelMax = Math.min(o.channelMax, c.options.channelMax);
  openReply(c);
  c.opened(Math.min(o.maxFrameSize, 0xffff_ffff), c.channelMax, o.idleTimeOut ?? 0);
}
