// AMQP 1.0 over WebSocket (subprotocol amqp, as ActiveMQ's ws transport): rhea over `ws` logs in,
// sends and receives through the same front-end as TCP, and a message crosses to a TCP receiver.
import rhea, { type Connection, type EventContext } from "rhea";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import WebSocket from "ws";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, webAmqp10: { port: 0 }, logLevel: "silent" });
});
afterAll(() => broker.close());

function opened(c: Connection): Promise<Connection> {
  return new Promise((resolve, reject) => {
    c.once("connection_open", () => resolve(c));
    c.once("disconnected", (ctx: EventContext) => reject(ctx.error ?? new Error("disconnected")));
  });
}

function overWebSocket(protocols: string[]): Promise<Connection> {
  const ws = rhea.websocket_connect(WebSocket as never);
  const c = rhea.create_container({ id: "ws-test" }).connect({
    connection_details: ws(`ws://127.0.0.1:${broker.ports.webAmqp10}/`, protocols, {}),
    username: "guest",
    password: "guest",
    reconnect: false,
  } as unknown as rhea.ConnectionOptions);
  return opened(c);
}

describe("AMQP 1.0 over WebSocket", () => {
  it("announces the amqp subprotocol and carries a session both ways, meeting TCP clients", async () => {
    const protocol = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${broker.ports.webAmqp10}/any/path`, ["binary", "amqp"]);
      ws.once("open", () => {
        resolve(ws.protocol);
        ws.close();
      });
      ws.once("error", reject);
    });
    expect(protocol).toBe("amqp");

    const web = await overWebSocket(["amqp"]);
    const tcp = await opened(
      rhea
        .create_container({ id: "tcp-test" })
        .connect({ host: "127.0.0.1", port: broker.ports.amqp!, username: "guest", password: "guest", reconnect: false }),
    );
    const got: string[] = [];
    const r = tcp.open_receiver({ source: { address: "queue://ws-q" }, autoaccept: true });
    r.on("message", (ctx: EventContext) => got.push(String(ctx.message!.body)));
    await new Promise((resolve) => r.once("receiver_open", resolve));
    const s = web.open_sender({ target: { address: "queue://ws-q" } });
    await new Promise((resolve) => s.once("sendable", resolve));
    const outcome = await new Promise<string>((resolve) => {
      s.send({ body: "over a websocket" });
      s.once("accepted", () => resolve("accepted"));
      s.once("rejected", () => resolve("rejected"));
    });
    expect(outcome).toBe("accepted");
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    expect(got).toEqual(["over a websocket"]);

    // and back: a TCP sender to a WebSocket receiver
    const back: string[] = [];
    const wr = web.open_receiver({ source: { address: "queue://ws-back" }, autoaccept: true });
    wr.on("message", (ctx: EventContext) => back.push(String(ctx.message!.body)));
    await new Promise((resolve) => wr.once("receiver_open", resolve));
    const ts = tcp.open_sender({ target: { address: "queue://ws-back" } });
    await new Promise((resolve) => ts.once("sendable", resolve));
    ts.send({ body: "to a websocket" });
    const until = Date.now() + 5000;
    while (back.length === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
    expect(back).toEqual(["to a websocket"]);
    web.close();
    tcp.close();
  });

  it("refuses an upgrade offering no AMQP subprotocol", async () => {
    const failed = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${broker.ports.webAmqp10}/`, ["mqtt"]);
      ws.once("open", () => {
        ws.close();
        resolve(false);
      });
      ws.once("error", () => resolve(true));
    });
    expect(failed).toBe(true);
  });
});
