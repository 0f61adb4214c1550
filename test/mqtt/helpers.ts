import { connect as tcpConnect, type Socket } from "node:net";
import mqttPacket, { type Packet } from "mqtt-packet";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { startBroker, type RunningBroker } from "warren";

export async function startMqttBroker(extra: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  return startBroker({ amqp: { port: 0 }, mqtt: { port: 0 }, webMqtt: { port: 0 }, logLevel: "silent", ...extra });
}

/** An mqtt.js client connected to the broker, never reconnecting on its own. */
export function connectClient(broker: RunningBroker, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** Resolves with the next `n` messages the client receives, in order. */
export function nextMessages(
  client: MqttClient,
  n: number,
): Promise<{ topic: string; payload: string; packet: mqttPacket.IPublishPacket }[]> {
  return new Promise((resolve) => {
    const got: { topic: string; payload: string; packet: mqttPacket.IPublishPacket }[] = [];
    const on = (topic: string, payload: Buffer, packet: mqttPacket.IPublishPacket) => {
      got.push({ topic, payload: payload.toString(), packet });
      if (got.length === n) {
        client.off("message", on);
        resolve(got);
      }
    };
    client.on("message", on);
  });
}

/**
 * A raw MQTT peer: writes packets or bytes, and reads packets with `next()`, for flows a real
 * client hides (DUP flags, in-flight windows, bad input).
 */
export class RawClient {
  private readonly parser;
  private readonly packets: Packet[] = [];
  private waiter: ((p: Packet) => void) | null = null;
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(
    readonly socket: Socket,
    readonly version: 3 | 4 | 5,
  ) {
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on("packet", (p: Packet) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(p);
      } else this.packets.push(p);
    });
    socket.on("data", (d: Buffer) => this.parser.parse(d));
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true;
        resolve();
      }),
    );
    socket.on("error", () => undefined);
  }

  static open(port: number, version: 3 | 4 | 5 = 4, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tcpConnect(port, host, () => resolve(new RawClient(s, version)));
      s.once("error", reject);
    });
  }

  /** Opens and sends CONNECT; resolves after the CONNACK. */
  static async connected(
    port: number,
    connect: Partial<mqttPacket.IConnectPacket> = {},
    host = "127.0.0.1",
  ): Promise<[RawClient, mqttPacket.IConnackPacket]> {
    const version = (connect.protocolVersion ?? 4) as 3 | 4 | 5;
    const c = await RawClient.open(port, version, host);
    c.send({
      cmd: "connect",
      clientId: "",
      protocolVersion: version,
      protocolId: version === 3 ? "MQIsdp" : "MQTT",
      clean: true,
      keepalive: 0,
      ...connect,
    } as mqttPacket.IConnectPacket);
    const ack = await c.next();
    if (ack.cmd !== "connack") throw new Error(`expected connack, got ${ack.cmd}`);
    return [c, ack];
  }

  send(p: Packet): void {
    this.socket.write(mqttPacket.generate(p, { protocolVersion: this.version }));
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next packet; rejects if the socket closes first. */
  next(): Promise<Packet> {
    const p = this.packets.shift();
    if (p) return Promise.resolve(p);
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      void this.closed.then(() => {
        if (this.waiter === resolve) reject(new Error("connection closed"));
      });
    });
  }

  /** Packets received and not yet taken with next(). */
  get buffered(): readonly Packet[] {
    return this.packets;
  }

  close(): void {
    this.socket.destroy();
  }
}
