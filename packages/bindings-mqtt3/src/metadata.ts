import { field, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import {
  type MqttConnectionSettings,
  mqttConnectionMetadataSchema,
  parseMqttConnectionMetadata,
} from '@daprkit/mqtt-common';

/** The binding's own fields; `url` and TLS come from @daprkit/mqtt-common. */
const bindingFields = {
  topic: field.string({
    required: true,
    description: 'Topic the input subscribes to (may use + and #), and the default topic of the output.',
  }),
  consumerID: field.string({
    required: true,
    description:
      'Base MQTT client ID: the output connects as <consumerID>-producer, the input as <consumerID>-consumer.',
  }),
  retain: field.bool({ default: false, description: 'Retain flag of every publish.' }),
  cleanSession: field.bool({
    default: false,
    description: 'MQTT clean session (contrib code default false; its metadata.yaml says true).',
  }),
  backOffMaxRetries: field.int({
    default: 0,
    description: 'Retries of a failed input event, 5 s apart; 0 = none, negative = forever (contrib code default 0).',
  }),
  qos: field.string({ description: 'Deprecated and ignored: the binding always uses QoS 1 (a warning is logged).' }),
};

/** Component metadata (YAML `spec.metadata`), names and code defaults as contrib's `bindings.mqtt3`. */
export const mqttBindingMetadataSchema = { ...mqttConnectionMetadataSchema, ...bindingFields };

export interface MqttBindingSettings {
  connection: MqttConnectionSettings;
  topic: string;
  consumerId: string;
  retain: boolean;
  cleanSession: boolean;
  backOffMaxRetries: number;
  qosGiven: boolean;
}

/** Validates component metadata. Every error names the offending field. */
export function parseMqttBindingSettings(properties: Metadata): MqttBindingSettings {
  const connection = parseMqttConnectionMetadata(properties);
  const m = parseMetadata(properties, bindingFields);
  return {
    connection,
    topic: m.topic,
    consumerId: m.consumerID,
    retain: m.retain,
    cleanSession: m.cleanSession,
    backOffMaxRetries: m.backOffMaxRetries,
    qosGiven: m.qos !== undefined,
  };
}
