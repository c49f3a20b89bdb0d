/**
 * @daprkit/kafka-common — what daprkit's Kafka components share (contrib's `common/component/kafka`): the
 * connection, auth and consumer metadata, the kafkajs client bounded for daprd's init deadline, sarama-compatible
 * records and partitioning, contrib-named assignors, the retry policy, and the at-least-once consumer group session.
 */
export { type Assignment, type Member, partitionAssigner, rangeAssignment, roundRobinAssignment } from './assigners.js';
export { type AuthMetadata, type KafkaAuth, resolveAuth } from './auth.js';
export {
  COMPRESSION,
  checkCompression,
  checkPartitionNumber,
  connectAdmin,
  connectClients,
  createKafka,
  createProducer,
  describeConnectError,
  INIT_TIMEOUT_MS,
} from './client.js';
export { ConsumerSession, type Route, type SessionOwner } from './consumer-session.js';
export { toPublishError } from './errors.js';
export {
  type KafkaMetadata,
  type KafkaSettings,
  kafkaMetadataSchema,
  kafkaSettingsOf,
  parseKafkaSettings,
  type RebalanceStrategy,
} from './metadata.js';
export { COMMIT_INTERVAL_MS, OffsetCommitter } from './offset-committer.js';
export {
  type HeaderOptions,
  hashPartition,
  KEY_METADATA,
  metadataOf,
  PARTITION_KEY_METADATA,
  PARTITION_NUMBER_METADATA,
  PartitionOutOfRangeError,
  queryEscape,
  recordOf,
  recordSize,
  saramaHashPartitioner,
} from './records.js';
export { type RetryPolicy, redeliveryDelayMs } from './retry-policy.js';
