/** The core's public interface: the only thing front-ends import. */
export { Broker, LoginRefused, type BrokerCoreOptions, type AuthRequest, type LoginRequest, type LoginGranted } from "./broker.js";
export { RuntimeParameters, type RuntimeParameter, type ParameterValue } from "./parameters.js";
export { KEPT_ONLY, parameterProblem, vhostLimitsOf, type VhostLimits } from "./parameter-validation.js";
export {
  VirtualHost,
  type VhostMetadata,
  REPLY_TO,
  type ExchangeDeclare,
  type QueueDeclare,
  type QueueDeclareOk,
  type PublishResult,
} from "./vhost.js";
export { Queue, Enqueued, ROUTE_SELECTOR_ARG, type BrowseCursor, type DeadLetterReason } from "./queue.js";
export { BACKLOG_HIGH_MARK, BACKLOG_LOW_MARK, type BacklogWatcher } from "./backlog.js";
export { type Clock, type ClockTimer, ManualClock, MAX_TIMER_MS, systemClock } from "./clock.js";
export {
  parseQueueArguments,
  settingsFromArguments,
  type QueueSettings,
  type QueueArguments,
  type Overflow,
  type QueueType,
} from "./queue-arguments.js";
export { StreamQueue, streamUnsupported, parseStreamOffset, type StreamStart } from "./stream.js";
export type {
  CommitWaiter,
  Durability,
  PageFile,
  PagingLimits,
  Persistence,
  QueueStore,
  RecoveredMessage,
  RecoveredStreamRecord,
  StreamStore,
} from "./durability.js";
export {
  type DeliveryMark,
  deferDeliveryMark,
  type MarkReplication,
  type MarkWaiter,
  replicateDeliveryMarks,
  settleDeliveryMarks,
  waitForMarks,
} from "./durability.js";
export { OrderedCommits, type OrderedReleaser } from "./ordered-commits.js";
export { QueueEntry } from "./queue-entry.js";
export { bindVirtualTopic, virtualTopicOf } from "./virtual-topics.js";
export {
  ACTIVEMQ_MEMBER_PREFIXES,
  type CompositeDestination,
  type CompositeMember,
  compositePhysicalName,
  consumedMembers,
  type DestinationKind,
  type MemberPrefixes,
  parseCompositeDestination,
} from "./composite-destinations.js";
export { Subscription, type Consumer, type ConsumeOptions, type ClientRef } from "./consumer.js";
export { Exchange, type ExchangeType, type Binding } from "./exchange.js";
export { BrokerError, ReplyCode, errors, isBrokerError, type ReplyCodeName, type ReplyCodeValue } from "./errors.js";
export { REPLY_TEXT_MAX, erlangBinary, replyTextBytes } from "./reply-text.js";
export { REPLY_CODE, REPLY_CODE_INFO, type ReplyCodeInfo, isHardError } from "./reply-codes.generated.js";
export {
  Message,
  TypedField,
  expirationProblem,
  publishPropertiesProblem,
  type FieldTable,
  type FieldValue,
  type FieldTypeTag,
  type MessageProperties,
  type PropertiesCodec,
  type EncodedProperties,
  type Decimal,
} from "./message.js";
export type { User, Permission, TopicPermission, HashingAlgorithm, LoginRefusal } from "./users.js";
export { HASHING_ALGORITHMS, DEFAULT_HASHING, isHashingAlgorithm, hashProblem, NOT_BASE64 } from "./users.js";
export {
  AccessControl,
  permits,
  exchangeResourceName,
  type Access,
  type ResourceKind,
  type TopicVariables,
  type ExchangeTypes,
} from "./permissions.js";
export { Deque } from "./deque.js";
export { integerValue, stringValue, rabbitType } from "./field-types.js";
export { ResourceAlarms, type AlarmResource, type AlarmListener } from "./alarms.js";
export {
  PolicyError,
  PolicySet,
  validatePolicy,
  effectiveQueueArguments,
  effectiveAlternateExchange,
  policyValue,
  type Policy,
  type PolicyInput,
  type PolicyKind,
  type PolicyApplyTo,
  type PolicyDefinition,
  type PolicyValue,
} from "./policies.js";
export { DelayedExchange, DELAYED_TYPE } from "./delayed-exchange.js";
export { CronError, type CronSchedule, nextCronTime, parseCron } from "./cron.js";
export type { Job, JobSpec } from "./scheduled-jobs.js";
export { JOB_ID_HEADER } from "./scheduled-jobs.js";
export type { ScheduledJobEntry } from "./held-messages.js";
export { ChannelFlows, ExchangeFlow, MessageCounters, QueueCounters, QueueFlow } from "./stats.js";
export {
  ConnectionRegistry,
  type ConnectionDetails,
  type ConnectionSource,
  type ChannelInfo,
  type RegisteredConnection,
  type TlsInfo,
} from "./connections.js";
export { fieldTableJson, fieldValueJson, jsonFieldTable, jsonFieldValue } from "./field-json.js";
export { compilePattern, type NamePattern, PatternError } from "./patterns.js";
export { compileSelector, InvalidSelector, MAX_SELECTOR_LENGTH, Selector, type SelectorSubject } from "./selectors/index.js";
