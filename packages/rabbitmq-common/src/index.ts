/**
 * @daprkit/rabbitmq-common — what daprkit's RabbitMQ components share: connecting with amqplib (AMQP URI parsed as
 * the Go client does, TLS, SASL EXTERNAL, `connection_name`, heartbeat) with errors that never contain the password,
 * the TLS metadata fields, and Dapr's request-metadata helpers for TTL, priority and message properties.
 */
export {
  type AmqpEndpoint,
  connectAmqp,
  isClosedError,
  parseAmqpUri,
  redactUrl,
} from './connect.js';
export {
  headerText,
  metadataValue,
  type PublishProperties,
  parsePriority,
  parseTtlMs,
  publishPropertiesOf,
} from './helpers.js';
export { AmqpSession, type AmqpSessionOptions, bounded } from './session.js';
export { parseTlsMetadata, type TlsMaterial, tlsMetadataSchema } from './tls.js';
