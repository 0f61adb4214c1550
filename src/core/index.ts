/** The core's public interface: the only thing front-ends import. */
export { Broker, type BrokerCoreOptions, type AuthRequest } from "./broker.js";
export { VirtualHost, REPLY_TO, type ExchangeDeclare, type QueueDeclare, type QueueDeclareOk, type PublishResult } from "./vhost.js";
export { Queue, Enqueued } from "./queue.js";
export type { CommitWaiter, Durability, PageFile, PagingLimits, Persistence, QueueStore, RecoveredMessage } from "./durability.js";
export { QueueEntry } from "./queue-entry.js";
export { Subscription, type Consumer, type ConsumeOptions, type ClientRef } from "./consumer.js";
export { Exchange, type ExchangeType, type Binding } from "./exchange.js";
export { BrokerError, ReplyCode, errors, isBrokerError, type ReplyCodeValue } from "./errors.js";
export {
  Message, TypedField, type FieldTable, type FieldValue, type FieldTypeTag, type MessageProperties,
  type PropertiesCodec, type EncodedProperties, type Decimal,
} from "./message.js";
export type { User, Permission } from "./users.js";
export { Deque } from "./deque.js";
export { integerValue, stringValue, rabbitType } from "./field-types.js";
export { ResourceAlarms, type AlarmResource, type AlarmListener } from "./alarms.js";
