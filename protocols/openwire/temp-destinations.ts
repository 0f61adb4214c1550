/**
 * Temporary queues and topics (DestinationInfo) and the advisory topics that announce them.
 *
 * A temporary destination belongs to the connection that added it and goes when it closes (or
 * removes it). ActiveMQ's Java client keeps the set of live temporary destinations from the
 * advisories `ActiveMQ.Advisory.TempQueue` and `ActiveMQ.Advisory.TempTopic` (its connection
 * subscribes to both at start) and refuses to send to one it has not heard of, so a responder on
 * another connection can only answer a request's temporary JMSReplyTo once it had the advisory.
 * As ActiveMQ does, an advisory subscriber is first told of every temporary destination that
 * exists, then of each added or removed. Advisories are sent straight to the subscribed
 * consumers (they are not queued, and their acks are ignored).
 */
import {
  type AnyActiveMQDestination,
  type ConsumerId,
  DataType,
  makeActiveMQMessage,
  makeActiveMQTopic,
  makeDestinationInfo,
  makeMessageDispatch,
  makeMessageId,
  makeProducerId,
} from "./codec/commands.generated.js";
import type { OpenWireConnection } from "./connection.js";
import type { OpenWireServer } from "./server.js";

export const ADVISORY_TEMP_QUEUE = "ActiveMQ.Advisory.TempQueue";
export const ADVISORY_TEMP_TOPIC = "ActiveMQ.Advisory.TempTopic";

/** DestinationInfo operation types. */
export const DEST_ADD = 0;
export const DEST_REMOVE = 1;

interface Owned {
  readonly destination: AnyActiveMQDestination;
  readonly owner: OpenWireConnection;
}

interface AdvisorySubscriber {
  readonly conn: OpenWireConnection;
  readonly consumerId: ConsumerId;
  /** ActiveMQ.Advisory.TempQueue and/or …TempTopic. */
  readonly topics: ReadonlySet<string>;
}

const ADVISORY_PRODUCER = makeProducerId({ connectionId: "ID:warren-advisory", sessionId: 0, value: 0 });

/** The key of a temporary destination (its kind and physical name) in one vhost. */
function keyOf(vhost: string, d: AnyActiveMQDestination): string {
  return `${vhost}\u0000${d.dataType}\u0000${d.physicalName ?? ""}`;
}

/** The advisory topic that announces `d`, or null if `d` is not temporary. */
function advisoryTopicOf(d: AnyActiveMQDestination): string | null {
  if (d.dataType === DataType.ActiveMQTempQueue) return ADVISORY_TEMP_QUEUE;
  if (d.dataType === DataType.ActiveMQTempTopic) return ADVISORY_TEMP_TOPIC;
  return null;
}

/**
 * The connection id a temporary destination's name carries (ActiveMQ names them
 * `<connectionId>:<n>`); ActiveMQ refuses consumers from any other connection.
 */
export function ownerIdOf(d: AnyActiveMQDestination): string {
  const name = d.physicalName ?? "";
  const i = name.lastIndexOf(":");
  return i < 0 ? name : name.slice(0, i);
}

/** Every temporary destination of the server, and who listens for their advisories. */
export class TempDestinations {
  private readonly live = new Map<string, Owned>();
  private readonly subscribers = new Set<AdvisorySubscriber>();
  private sequence = 0;

  get(vhost: string, d: AnyActiveMQDestination): Owned | undefined {
    return this.live.get(keyOf(vhost, d));
  }

  add(owner: OpenWireConnection, d: AnyActiveMQDestination): void {
    const vhost = owner.vhost!.name;
    const key = keyOf(vhost, d);
    if (this.live.has(key)) return;
    this.live.set(key, { destination: d, owner });
    this.announce(vhost, d, DEST_ADD);
  }

  remove(vhost: string, d: AnyActiveMQDestination): void {
    if (this.live.delete(keyOf(vhost, d))) this.announce(vhost, d, DEST_REMOVE);
  }

  /** The temporary destinations `owner` still holds. */
  ownedBy(owner: OpenWireConnection): AnyActiveMQDestination[] {
    const out: AnyActiveMQDestination[] = [];
    for (const o of this.live.values()) if (o.owner === owner) out.push(o.destination);
    return out;
  }

  /**
   * A consumer on advisory topics (a composite `a,b` as the Java client subscribes): it hears of
   * the temporary destinations that exist now, then of each change. False if it names none of
   * the temporary-destination advisories.
   */
  subscribe(conn: OpenWireConnection, consumerId: ConsumerId, d: AnyActiveMQDestination): boolean {
    const topics = new Set<string>((d.physicalName ?? "").split(",").filter((t) => t === ADVISORY_TEMP_QUEUE || t === ADVISORY_TEMP_TOPIC));
    if (topics.size === 0) return false;
    const s: AdvisorySubscriber = { conn, consumerId, topics };
    this.subscribers.add(s);
    const vhost = conn.vhost!.name;
    for (const [key, o] of this.live) {
      if (!key.startsWith(`${vhost}\u0000`)) continue;
      const topic = advisoryTopicOf(o.destination);
      if (topic !== null && topics.has(topic)) this.tell(s, topic, o.destination, DEST_ADD, o.owner);
    }
    return true;
  }

  /** The advisory consumers of `conn` (all of them when `consumerId` is null) stop listening. */
  unsubscribe(conn: OpenWireConnection, consumerId: ConsumerId | null): void {
    for (const s of this.subscribers) {
      if (s.conn !== conn) continue;
      if (consumerId === null || (s.consumerId.sessionId === consumerId.sessionId && s.consumerId.value === consumerId.value)) {
        this.subscribers.delete(s);
      }
    }
  }

  private announce(vhost: string, d: AnyActiveMQDestination, operation: number): void {
    const topic = advisoryTopicOf(d);
    if (topic === null) return;
    const owner = this.live.get(keyOf(vhost, d))?.owner ?? null;
    for (const s of this.subscribers) {
      if (s.conn.vhost?.name === vhost && s.topics.has(topic)) this.tell(s, topic, d, operation, owner);
    }
  }

  private tell(s: AdvisorySubscriber, topic: string, d: AnyActiveMQDestination, operation: number, owner: OpenWireConnection | null): void {
    const destination = makeActiveMQTopic({ physicalName: topic });
    const seq = ++this.sequence;
    const message = makeActiveMQMessage({
      destination,
      messageId: makeMessageId({ producerId: ADVISORY_PRODUCER, producerSequenceId: seq, brokerSequenceId: seq }),
      persistent: false,
      priority: 4,
      timestamp: Date.now(),
      type: "Advisory",
      dataStructure: makeDestinationInfo({
        connectionId: owner?.connectionId ?? null,
        destination: d,
        operationType: operation,
      }),
    });
    s.conn.send(makeMessageDispatch({ consumerId: s.consumerId, destination, message, redeliveryCounter: 0 }));
  }
}

/**
 * Each listener's temporary destinations, made at its first use: kept here rather than on the
 * server so that the server (loaded at start) does not load the codec this module needs.
 */
const byServer = new WeakMap<OpenWireServer, TempDestinations>();
export function tempsOf(server: OpenWireServer): TempDestinations {
  let t = byServer.get(server);
  if (t === undefined) {
    t = new TempDestinations();
    byServer.set(server, t);
  }
  return t;
}
