// MQTT scenarios with Python paho (python3-paho-mqtt), mosquitto_pub/mosquitto_sub, and MQTT 5
// with mqtt.js. The 3.1.1 ones hold for RabbitMQ 3.10, mosquitto 2 and Warren; the MQTT 5 ones
// for mosquitto 2 and Warren (the target's `v5` capability, see target.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { IPublishPacket } from "mqtt-packet";
import { type MqttBrokerUnderTest, mqttCapabilities, useMqttBroker } from "./target.js";

const run = promisify(execFile);
let target: MqttBrokerUnderTest;
beforeAll(async () => {
  target = await useMqttBroker();
});
afterAll(() => target.close());

const tag = randomBytes(4).toString("hex");
const id = (name: string) => `cli-${name}-${tag}`;
const topic = (name: string) => `cli/${tag}/${name}`;

function where(): { host: string; port: string; user: string; pass: string } {
  const u = new URL(target.mqttUrl);
  return { host: u.hostname, port: u.port || "1883", user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
}

function connect(clientId: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(target.mqttUrl, { clientId, reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

function next(client: MqttClient, n: number): Promise<{ topic: string; payload: string; packet: IPublishPacket }[]> {
  return new Promise((resolve) => {
    const got: { topic: string; payload: string; packet: IPublishPacket }[] = [];
    const on = (t: string, p: Buffer, packet: IPublishPacket) => {
      got.push({ topic: t, payload: p.toString(), packet });
      if (got.length === n) {
        client.off("message", on);
        resolve(got);
      }
    };
    client.on("message", on);
  });
}

/** Runs a paho script (Python 3, paho-mqtt 1.6) with the broker's address; answers its stdout. */
async function paho(script: string, ...args: string[]): Promise<string> {
  const w = where();
  const { stdout } = await run("/usr/bin/python3", ["-c", script, w.host, w.port, w.user, w.pass, ...args], { timeout: 20000 });
  return stdout.trim();
}

const PAHO_PUBSUB = `
import sys, json, threading
import paho.mqtt.client as mqtt
host, port, user, pw, tag, topic = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
got = threading.Event()
result = {}
def on_message(c, u, m):
    result.update(topic=m.topic, payload=m.payload.decode(), qos=m.qos, retain=bool(m.retain))
    got.set()
subscribed = threading.Event()
sub = mqtt.Client(client_id="paho-sub-" + tag, protocol=mqtt.MQTTv311)
sub.username_pw_set(user, pw)
sub.on_message = on_message
sub.on_subscribe = lambda c, u, mid, granted: subscribed.set()
sub.connect(host, port)
sub.loop_start()
sub.subscribe(topic, qos=1)
assert subscribed.wait(10), "no SUBACK"
pub = mqtt.Client(client_id="paho-pub-" + tag, protocol=mqtt.MQTTv311)
pub.username_pw_set(user, pw)
pub.connect(host, port)
pub.loop_start()
pub.publish(topic, "from paho", qos=1).wait_for_publish()
assert got.wait(10), "no message"
print(json.dumps(result))
pub.disconnect(); sub.disconnect(); pub.loop_stop(); sub.loop_stop()
`;

describe("MQTT 3.1.1 with paho and the mosquitto clients", () => {
  it("paho: a QoS 1 publish reaches a QoS 1 subscriber at QoS 1", async () => {
    const out = JSON.parse(await paho(PAHO_PUBSUB, tag, topic("paho")));
    expect(out).toEqual({ topic: topic("paho"), payload: "from paho", qos: 1, retain: false });
  });

  it("paho: an mqtt.js subscriber gets the binary payload paho publishes", async () => {
    const sub = await connect(id("js-sub"));
    await sub.subscribeAsync(topic("p2j"), { qos: 1 });
    const got = next(sub, 1);
    await paho(
      `
import sys
import paho.mqtt.client as mqtt
c = mqtt.Client(client_id="paho-p-" + sys.argv[5], protocol=mqtt.MQTTv311)
c.username_pw_set(sys.argv[3], sys.argv[4])
c.connect(sys.argv[1], int(sys.argv[2]))
c.loop_start()
c.publish(sys.argv[6], b"\\x00\\x01binary", qos=1).wait_for_publish()
c.disconnect(); c.loop_stop()
`,
      tag,
      topic("p2j"),
    );
    const m = (await got)[0]!;
    expect(m.topic).toBe(topic("p2j"));
    expect(m.packet.payload).toEqual(Buffer.from("\x00\x01binary", "latin1"));
    await sub.endAsync();
  });

  it("mosquitto_sub receives a retained message published by mosquitto_pub, and an empty one clears it", async () => {
    const w = where();
    const common = ["-h", w.host, "-p", w.port, "-u", w.user, "-P", w.pass, "-V", "mqttv311", "-t", topic("mosq")];
    await run("mosquitto_pub", [...common, "-q", "1", "-r", "-m", "kept for later"], { timeout: 10000 });
    const { stdout } = await run("mosquitto_sub", [...common, "-q", "1", "-C", "1", "-v", "-W", "10"], { timeout: 15000 });
    expect(stdout.trim()).toBe(`${topic("mosq")} kept for later`);
    await run("mosquitto_pub", [...common, "-q", "1", "-r", "-n"], { timeout: 10000 });
    // nothing retained any more: a subscriber sees only what is published after it
    const sub = spawn("mosquitto_sub", [...common, "-q", "1", "-C", "1", "-v", "-W", "10"]);
    let out = "";
    sub.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const done = new Promise<number | null>((r) => sub.once("close", r));
    // published until the subscriber has it (it may not be subscribed yet for the first ones)
    const pub = await connect(id("mosq-pub"));
    while (out === "" && sub.exitCode === null) {
      await pub.publishAsync(topic("mosq"), "live", { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    await done;
    expect(out.trim()).toBe(`${topic("mosq")} live`);
    await pub.endAsync();
  });
});

describe.runIf(mqttCapabilities().v5)("MQTT 5", () => {
  const v5: IClientOptions = { protocolVersion: 5 };

  it("carries user properties, content type, response topic and correlation data", async () => {
    const sub = await connect(id("v5-props-sub"), v5);
    await sub.subscribeAsync(topic("props"), { qos: 1 });
    const got = next(sub, 1);
    const pub = await connect(id("v5-props-pub"), v5);
    await pub.publishAsync(topic("props"), "request", {
      qos: 1,
      properties: {
        userProperties: { app: "conformance" },
        contentType: "text/plain",
        responseTopic: topic("reply"),
        correlationData: Buffer.from("corr-1"),
      },
    });
    const p = (await got)[0]!.packet.properties!;
    expect(p.userProperties).toEqual({ app: "conformance" });
    expect(p.contentType).toBe("text/plain");
    expect(p.responseTopic).toBe(topic("reply"));
    expect(Buffer.from(p.correlationData!).toString()).toBe("corr-1");
    await sub.endAsync();
    await pub.endAsync();
  });

  it("no-local keeps a client's own publishes from it, but not from others", async () => {
    const self = await connect(id("v5-nl-self"), v5);
    const other = await connect(id("v5-nl-other"), v5);
    await self.subscribeAsync(topic("nl"), { qos: 1, nl: true });
    await other.subscribeAsync(topic("nl"), { qos: 1 });
    const selfGot = next(self, 1);
    const otherGot = next(other, 2);
    await self.publishAsync(topic("nl"), "mine", { qos: 1 });
    await other.publishAsync(topic("nl"), "theirs", { qos: 1 });
    expect((await otherGot).map((m) => m.payload)).toEqual(["mine", "theirs"]);
    expect((await selfGot)[0]!.payload).toBe("theirs");
    await self.endAsync();
    await other.endAsync();
  });

  it("tags deliveries with the subscription identifier", async () => {
    const sub = await connect(id("v5-subid"), v5);
    await sub.subscribeAsync(topic("subid/+"), { qos: 1, properties: { subscriptionIdentifier: 42 } });
    const got = next(sub, 1);
    const pub = await connect(id("v5-subid-pub"), v5);
    await pub.publishAsync(topic("subid/a"), "x", { qos: 1 });
    expect((await got)[0]!.packet.properties?.subscriptionIdentifier).toBe(42);
    await sub.endAsync();
    await pub.endAsync();
  });

  it("retain handling 2 sends no retained message on subscribe; 0 does", async () => {
    const pub = await connect(id("v5-rh-pub"), v5);
    await pub.publishAsync(topic("rh"), "retained", { qos: 1, retain: true });
    const never = await connect(id("v5-rh2"), v5);
    await never.subscribeAsync(topic("rh"), { qos: 1, rh: 2 });
    const always = await connect(id("v5-rh0"), v5);
    const got = next(always, 1);
    await always.subscribeAsync(topic("rh"), { qos: 1, rh: 0 });
    expect((await got)[0]).toMatchObject({ payload: "retained" });
    // the rh 2 subscriber's first message is a live one
    const neverGot = next(never, 1);
    await pub.publishAsync(topic("rh"), "live", { qos: 1 });
    expect((await neverGot)[0]!.payload).toBe("live");
    await pub.publishAsync(topic("rh"), "", { qos: 1, retain: true });
    await Promise.all([pub.endAsync(), never.endAsync(), always.endAsync()]);
  });

  it("accepts a topic alias from the client", async () => {
    const sub = await connect(id("v5-alias-sub"), v5);
    await sub.subscribeAsync(topic("alias"), { qos: 1 });
    const got = next(sub, 2);
    const pub = await connect(id("v5-alias-pub"), v5);
    await pub.publishAsync(topic("alias"), "first", { qos: 1, properties: { topicAlias: 1 } });
    await pub.publishAsync("", "second", { qos: 1, properties: { topicAlias: 1 } });
    expect((await got).map((m) => [m.topic, m.payload])).toEqual([
      [topic("alias"), "first"],
      [topic("alias"), "second"],
    ]);
    await sub.endAsync();
    await pub.endAsync();
  });

  it("keeps a session with an expiry interval, and not one without", async () => {
    const kept = await connect(id("v5-kept"), { ...v5, clean: false, properties: { sessionExpiryInterval: 60 } });
    await kept.subscribeAsync(topic("kept"), { qos: 1 });
    await kept.endAsync();
    const again = mqtt.connect(target.mqttUrl, {
      clientId: id("v5-kept"),
      reconnectPeriod: 0,
      ...v5,
      clean: true,
      properties: { sessionExpiryInterval: 0 },
    });
    const ack = await new Promise<{ sessionPresent: boolean }>((r, j) => {
      again.once("connect", r);
      again.once("error", j);
    });
    // clean start discards it
    expect(ack.sessionPresent).toBe(false);
    await again.endAsync();
  });

  it("paho MQTT 5: a user property set by paho reaches an mqtt.js subscriber", async () => {
    const sub = await connect(id("v5-paho-sub"), v5);
    await sub.subscribeAsync(topic("paho5"), { qos: 1 });
    const got = next(sub, 1);
    await paho(
      `
import sys
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
c = mqtt.Client(client_id="paho5-" + sys.argv[5], protocol=mqtt.MQTTv5)
c.username_pw_set(sys.argv[3], sys.argv[4])
c.connect(sys.argv[1], int(sys.argv[2]))
c.loop_start()
p = Properties(PacketTypes.PUBLISH)
p.UserProperty = ("origin", "paho")
p.ContentType = "application/json"
c.publish(sys.argv[6], b"{}", qos=1, properties=p).wait_for_publish()
c.disconnect(); c.loop_stop()
`,
      tag,
      topic("paho5"),
    );
    const m = (await got)[0]!;
    expect(m.packet.properties?.userProperties).toEqual({ origin: "paho" });
    expect(m.packet.properties?.contentType).toBe("application/json");
    await sub.endAsync();
  });

  it("mosquitto_pub -V 5 reaches mosquitto_sub -V 5 through a retained message", async () => {
    const w = where();
    const common = ["-h", w.host, "-p", w.port, "-u", w.user, "-P", w.pass, "-V", "5", "-t", topic("mosq5")];
    await run("mosquitto_pub", [...common, "-q", "1", "-r", "-m", "v5 retained"], { timeout: 10000 });
    const { stdout } = await run("mosquitto_sub", [...common, "-q", "1", "-C", "1", "-v", "-W", "10"], { timeout: 15000 });
    expect(stdout.trim()).toBe(`${topic("mosq5")} v5 retained`);
    await run("mosquitto_pub", [...common, "-q", "1", "-r", "-n"], { timeout: 10000 });
  });
});
