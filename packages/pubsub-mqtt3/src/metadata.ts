import { field, type Metadata, parseMetadata } from '@daprkit/component-sdk';
import {
  type MqttConnectionSettings,
  mqttConnectionMetadataSchema,
  parseMqttConnectionMetadata,
} from '@daprkit/mqtt-common';

/** The pub/sub's own fields; `url` and TLS come from @daprkit/mqtt-common. */
const pubsubFields = {
  consumerID: field.string({
    required: true,
    description: 'MQTT client ID, used verbatim (daprd sets it to the app ID). Replicas need distinct IDs.',
  }),
  qos: field.int({ default: 1, min: 0, max: 2, description: 'QoS of every publish and subscription (0, 1 or 2).' }),
  retain: field.bool({
    default: false,
    description: 'Retain flag of every publish (per-publish metadata `retain` overrides it).',
  }),
  cleanSession: field.bool({
    default: false,
    description:
      'MQTT clean session. false keeps subscriptions and un-acknowledged messages on the broker across reconnects and restarts.',
  }),
};

/**
 * Component metadata (YAML `spec.metadata`), names and defaults as contrib's `pubsub.mqtt3`. Unknown keys are
 * ignored.
 */
export const mqttPubSubMetadataSchema = { ...mqttConnectionMetadataSchema, ...pubsubFields };

export interface MqttPubSubSettings {
  connection: MqttConnectionSettings;
  consumerId: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  cleanSession: boolean;
}

/** Validates component metadata. Every error names the offending field. */
export function parseMqttPubSubSettings(properties: Metadata): MqttPubSubSettings {
  const connection = parseMqttConnectionMetadata(properties);
  const m = parseMetadata(properties, pubsubFields);
  return {
    connection,
    consumerId: m.consumerID,
    qos: m.qos as 0 | 1 | 2,
    retain: m.retain,
    cleanSession: m.cleanSession,
  };
}

/** Go's strconv.ParseBool, which contrib uses for the per-publish `retain`. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}
