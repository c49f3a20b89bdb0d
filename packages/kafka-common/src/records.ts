/** Dapr metadata ⇄ Kafka records: key, forced partition and headers on publish; `__*` keys and headers on receive. */
import { InvalidArgumentError, type Metadata } from '@daprkit/component-sdk';
import kafkajs, { type ICustomPartitioner, type IHeaders, type KafkaMessage, type Message } from 'kafkajs';

export const KEY_METADATA = '__key';
export const PARTITION_KEY_METADATA = 'partitionKey';
export const PARTITION_NUMBER_METADATA = 'partitionNumber';

export interface HeaderOptions {
  escape: boolean;
  /** Metadata keys matching are neither written as headers nor read back from them. */
  exclude: RegExp | undefined;
}

/** The record for one published message. Every metadata entry also becomes a header (contrib does the same). */
export function recordOf(data: Uint8Array, metadata: Metadata, exclude: RegExp | undefined): Message {
  const headers: IHeaders = {};
  for (const name in metadata) {
    if (exclude === undefined || !exclude.test(name)) headers[name] = metadata[name];
  }
  const record: Message = { value: asBuffer(data), headers };
  const key = metadata[PARTITION_KEY_METADATA] ?? metadata[KEY_METADATA];
  if (key !== undefined) record.key = key;
  const partition = metadata[PARTITION_NUMBER_METADATA];
  if (partition !== undefined) record.partition = parsePartitionNumber(partition);
  return record;
}

function parsePartitionNumber(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new InvalidArgumentError(
      `metadata '${PARTITION_NUMBER_METADATA}' must be a non-negative integer, got '${text}'`,
    );
  }
  return Number(text);
}

/** Zero-copy view: kafkajs wants a Buffer, daprkit hands out Uint8Arrays. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Roughly what the broker counts against its size limit: value, key and headers. */
export function recordSize(record: Message): number {
  let size =
    (record.value as Buffer).byteLength +
    (record.key === undefined || record.key === null ? 0 : Buffer.byteLength(record.key));
  for (const name in record.headers)
    size += Buffer.byteLength(name) + Buffer.byteLength(record.headers[name] as string);
  return size;
}

/**
 * Received message metadata: headers (last value wins for repeated names), then the broker's own facts,
 * which win over headers of the same name (a dead-lettered copy carries the original's `__offset` header).
 */
export function metadataOf(topic: string, partition: number, message: KafkaMessage, options: HeaderOptions): Metadata {
  const metadata: Metadata = {};
  const headers = message.headers;
  for (const name in headers) {
    if (options.exclude?.test(name)) continue;
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) continue;
    metadata[name] = received(value.toString(), options.escape);
  }
  if (message.key !== null && message.key !== undefined)
    metadata[KEY_METADATA] = received(message.key.toString(), options.escape);
  metadata.__offset = message.offset;
  metadata.__topic = topic;
  metadata.__timestamp = message.timestamp;
  metadata.__partition = String(partition);
  return metadata;
}

const received = (text: string, escaped: boolean) => (escaped ? queryEscape(text) : text);

/** Go's `url.QueryEscape`, which contrib applies: only `A-Za-z0-9-_.~` stay, space becomes `+`. */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

export class PartitionOutOfRangeError extends Error {}

/**
 * sarama's default hash partitioner (FNV-1a on the key), so keys land on the same partitions as with
 * contrib's publishers; keyless records use kafkajs's spreading. A forced partition the topic does not have
 * is an error here, because kafkajs would otherwise drop the record silently and report success.
 */
export const saramaHashPartitioner: ICustomPartitioner = () => {
  const keyless = kafkajs.Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== undefined && message.partition !== null) {
      if (!partitionMetadata.some((p) => p.partitionId === message.partition)) {
        throw new PartitionOutOfRangeError(
          `partition number ${message.partition} is out of range, topic '${args.topic}' has ${partitionMetadata.length} partitions`,
        );
      }
      return message.partition;
    }
    if (message.key === undefined || message.key === null) return keyless(args);
    return hashPartition(
      typeof message.key === 'string' ? Buffer.from(message.key) : message.key,
      partitionMetadata.length,
    );
  };
};

export function hashPartition(key: Uint8Array, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of key) hash = Math.imul(hash ^ byte, 0x01000193);
  // Go: int32(sum) % n, negated when negative.
  return Math.abs((hash | 0) % partitions);
}
