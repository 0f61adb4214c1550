// Durable topic subscriptions: clientID + subscription name keep a topic's messages while no
// subscriber is active; RemoveSubscriptionInfo ends them.
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queue, RunningBroker } from "warren";
import {
  DataType,
  type ExceptionResponse,
  makeActiveMQTopic,
  makeConnectionId,
  makeConnectionInfo,
  makeConsumerId,
  makeConsumerInfo,
  makeRemoveInfo,
  makeRemoveSubscriptionInfo,
  makeSessionId,
  makeSessionInfo,
  type MessageDispatch,
} from "../../protocols/openwire/codec/commands.generated.js";
import { clientWireFormat, RawPeer, startOpenWireBroker } from "./raw.js";

let broker: RunningBroker;
let amqpConn: amqp.ChannelModel;
let ch: amqp.Channel;
beforeAll(async () => {
  broker = await startOpenWireBroker();
  amqpConn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  ch = await amqpConn.createChannel();
});
afterAll(async () => {
  await amqpConn?.close();
  await broker?.close();
});

/** A connection with client id `clientId` and session 1. */
async function withClientId(connection: string, clientId: string): Promise<RawPeer> {
  const p = await RawPeer.open(broker.ports.openwire!);
  p.send(
    clientWireFormat({}),
    makeConnectionInfo({
      commandId: 1,
      responseRequired: true,
      connectionId: makeConnectionId({ value: connection }),
      clientId,
      userName: "guest",
      password: "guest",
    }),
    makeSessionInfo({ commandId: 2, responseRequired: true, sessionId: makeSessionId({ connectionId: connection, value: 1 }) }),
  );
  await p.answerTo(2);
  return p;
}

function subscribe(p: RawPeer, connection: string, commandId: number, value: number, topic = "ow.durable.news") {
  p.send(
    makeConsumerInfo({
      commandId,
      responseRequired: true,
      consumerId: makeConsumerId({ connectionId: connection, sessionId: 1, value }),
      destination: makeActiveMQTopic({ physicalName: topic }),
      subscriptionName: "sub",
      prefetchSize: 10,
    }),
  );
  return p.answerTo(commandId);
}

describe("OpenWire durable topic subscriptions", () => {
  it("keep messages while offline, refuse an active duplicate, and end with RemoveSubscriptionInfo", async () => {
    const a = await withClientId("ID:dur-1", "dur-client");
    expect((await subscribe(a, "ID:dur-1", 3, 1)).dataType).toBe(DataType.Response);
    const dup = (await subscribe(a, "ID:dur-1", 4, 2)) as ExceptionResponse;
    expect(dup.exception).toMatchObject({
      className: "javax.jms.JMSException",
      message: "Durable consumer is in use for client: dur-client and subscriptionName: sub",
    });
    a.send(
      makeRemoveInfo({
        commandId: 5,
        responseRequired: true,
        objectId: makeConsumerId({ connectionId: "ID:dur-1", sessionId: 1, value: 1 }),
      }),
    );
    await a.answerTo(5);
    a.close();
    // offline: what the topic gets is kept
    ch.publish("amq.topic", "ow.durable.news", Buffer.from("while offline"), { persistent: true });
    let b: RawPeer | null = null;
    for (let i = 0; i < 50 && b === null; i++) {
      // the first connection's clientID is free once the broker has seen it close
      const p = await withClientId("ID:dur-2", "dur-client").catch(() => null);
      if (p !== null && p.received.some((d) => d.dataType === DataType.ExceptionResponse)) p.close();
      else b = p;
    }
    try {
      expect((await subscribe(b!, "ID:dur-2", 3, 1)).dataType).toBe(DataType.Response);
      const d = await b!.next<MessageDispatch>(DataType.MessageDispatch);
      expect(Buffer.from(d.message!.content!).toString()).toBe("while offline");
      b!.send(makeRemoveSubscriptionInfo({ commandId: 4, responseRequired: true, clientId: "dur-client", subcriptionName: "sub" }));
      expect(((await b!.answerTo(4)) as ExceptionResponse).exception?.message).toBe("Durable consumer is in use");
      b!.send(
        makeRemoveInfo({
          commandId: 5,
          responseRequired: true,
          objectId: makeConsumerId({ connectionId: "ID:dur-2", sessionId: 1, value: 1 }),
        }),
        makeRemoveSubscriptionInfo({ commandId: 6, responseRequired: true, clientId: "dur-client", subcriptionName: "sub" }),
      );
      expect((await b!.answerTo(6)).dataType).toBe(DataType.Response);
      b!.send(makeRemoveSubscriptionInfo({ commandId: 7, responseRequired: true, clientId: "dur-client", subcriptionName: "sub" }));
      expect(((await b!.answerTo(7)) as ExceptionResponse).exception).toMatchObject({
        className: "javax.jms.InvalidDestinationException",
        message: "No durable subscription exists for clientID: dur-client and subscriptionName: sub",
      });
    } finally {
      b?.close();
    }
  });

  it("re-subscribing under the same name to another topic replaces the subscription and what it kept", async () => {
    const p = await withClientId("ID:dur-3", "dur-client-3");
    try {
      await subscribe(p, "ID:dur-3", 3, 1, "ow.durable.a");
      p.send(
        makeRemoveInfo({
          commandId: 4,
          responseRequired: true,
          objectId: makeConsumerId({ connectionId: "ID:dur-3", sessionId: 1, value: 1 }),
        }),
      );
      await p.answerTo(4);
      ch.publish("amq.topic", "ow.durable.a", Buffer.from("a0"), { persistent: true });
      await ch.checkExchange("amq.topic"); // the publish is in
      expect((await subscribe(p, "ID:dur-3", 5, 2, "ow.durable.b")).dataType).toBe(DataType.Response);
      ch.publish("amq.topic", "ow.durable.a", Buffer.from("a1"), { persistent: true });
      ch.publish("amq.topic", "ow.durable.b", Buffer.from("b0"), { persistent: true });
      const d = await p.next<MessageDispatch>(DataType.MessageDispatch);
      expect(Buffer.from(d.message!.content!).toString()).toBe("b0");
    } finally {
      p.close();
    }
  });

  it("an offline subscription with a selector keeps only what it selects (its queue's depth, as ActiveMQ's)", async () => {
    const p = await withClientId("ID:dur-4", "dur-client-4");
    try {
      p.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:dur-4", sessionId: 1, value: 1 }),
          destination: makeActiveMQTopic({ physicalName: "ow.durable.sel" }),
          subscriptionName: "sub",
          selector: "color = 'red'",
          prefetchSize: 10,
        }),
        makeRemoveInfo({
          commandId: 4,
          responseRequired: true,
          objectId: makeConsumerId({ connectionId: "ID:dur-4", sessionId: 1, value: 1 }),
        }),
      );
      expect((await p.answerTo(4)).dataType).toBe(DataType.Response);
      for (const color of ["red", "blue", "blue", "red"]) {
        ch.publish("amq.topic", "ow.durable.sel", Buffer.from(color), { persistent: true, headers: { color } });
      }
      await ch.checkExchange("amq.topic"); // the publishes are in
      const q = (broker.core.vhost("/") as { queues: Map<string, Queue> }).queues.get("stomp-subscription-dur-client-4-sub")!;
      expect(q.messageCount).toBe(2);
    } finally {
      p.close();
    }
  });
});
