/** pub/sub metadata is exactly the shared Kafka schema (contrib's `common/component/kafka`), pub/sub defaults. */
export {
  type KafkaSettings,
  kafkaMetadataSchema as kafkaPubSubMetadataSchema,
  parseKafkaSettings,
  type RebalanceStrategy,
} from '@daprkit/kafka-common';
