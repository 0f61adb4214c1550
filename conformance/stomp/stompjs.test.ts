// @stomp/stompjs over plain TCP against the broker under test (RabbitMQ's conventions); the same
// scenarios run over WebSocket against Warren in test/stomp/websocket.test.ts.
import { afterAll, beforeAll } from "vitest";
import { stompJsScenarios, TcpStompSocket } from "./stompjs.js";
import { type StompBrokerUnderTest, useStompBroker } from "./target.js";

let target: StompBrokerUnderTest;
beforeAll(async () => {
  target = await useStompBroker();
});
afterAll(() => target.close());

stompJsScenarios("TCP", () => () => new TcpStompSocket(target.host, target.port));
