/**
 * @daprkit/mqtt-common — what every daprkit MQTT component shares: contrib's `url` and TLS metadata, MQTT.js
 * client options, a connect that fails with the broker named (never the credentials), acknowledgements under the
 * component's control, and MQTT topic-filter matching.
 */
export {
  connectMqtt,
  endMqtt,
  type InboundMessage,
  type MqttConnectOptions,
  routeInbound,
  toClientOptions,
} from './connect.js';
export {
  isPem,
  type MqttConnectionSettings,
  type MqttTlsSettings,
  mqttConnectionMetadataSchema,
  parseMqttConnectionMetadata,
  parseMqttUrl,
} from './metadata.js';
export { effectiveFilter, hasWildcards, topicMatches } from './topics.js';
