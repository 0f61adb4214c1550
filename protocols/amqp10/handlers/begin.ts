import { type Begin, writeBegin } from "../codec/types.generated.js";
import type { ConnectionScope } from "../connection-scope.js";
import type { Amqp10Connection } from "../connection.js";
import { Amqp10Error } from "../errors.js";
import { Session } from "../session.js";

/** begin: a session on the client's channel (we answer on the same number). */
export function handleBegin(c: Amqp10Connection & ConnectionScope, channel: number, f: Begin): void {
  if (f.remoteChannel !== undefined) throw new Amqp10Error("amqp:not-allowed", "begin answers a begin we never sent");
  if (channel > c.channelMax)
    throw new Amqp10Error("amqp:connection:framing-error", `channel ${channel} is above channel-max ${c.channelMax}`);
  if (c.sessions.has(channel)) throw new Amqp10Error("amqp:not-allowed", `channel ${channel} already has a session`);
  const s = new Session(c, channel, f);
  c.sessions.set(channel, s);
  const start = c.beginFrame(channel);
  writeBegin(c.out, {
    remoteChannel: channel,
    nextOutgoingId: s.nextOutgoingId,
    incomingWindow: s.incomingWindow,
    outgoingWindow: s.outgoingWindow,
    handleMax: s.handleMax,
  });
  c.endFrame(start);
}
