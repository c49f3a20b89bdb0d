/**
 * Component metadata of contrib's `bindings.kafka`: the shared Kafka schema (`@daprkit/kafka-common`, the same
 * fields as pubsub.kafka) with the binding's own default `consumeRetryEnabled: false`, plus `topics` (input) and
 * `publishTopic` (output).
 */
import { field, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import { type KafkaSettings, kafkaMetadataSchema, kafkaSettingsOf } from '@daprkit/kafka-common';

export const kafkaBindingMetadataSchema = {
  ...kafkaMetadataSchema,
  consumerGroup: field.string({
    description: 'Consumer group the input joins; required to read (daprd sets no consumerID for bindings).',
  }),
  consumeRetryEnabled: field.bool({
    default: false,
    description: 'Redeliver a message the app rejected, with the backOff* policy, before anything behind it.',
  }),
  topics: field.string({ description: 'Input: comma-separated topics to consume; empty = the input reads nothing.' }),
  publishTopic: field.string({ description: 'Output: the topic every invocation publishes to.' }),
};

export interface KafkaBindingSettings extends KafkaSettings {
  topics: string[];
  publishTopic: string | undefined;
}

export function parseKafkaBindingSettings(properties: Metadata): KafkaBindingSettings {
  const m = parseMetadata(properties, kafkaBindingMetadataSchema);
  return {
    ...kafkaSettingsOf(m),
    // contrib splits without trimming; a Kafka topic can never contain a space, so trimming only fixes configs
    // that could never have worked.
    topics: (m.topics ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    publishTopic: m.publishTopic,
  };
}
