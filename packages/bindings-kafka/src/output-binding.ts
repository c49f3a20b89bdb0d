import {
  FailedPreconditionError,
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResponse,
  type Logger,
  type Metadata,
  type OutputBinding,
  silentLogger,
} from '@daprkit/component-sdk';
import {
  COMPRESSION,
  checkCompression,
  checkPartitionNumber,
  connectClients,
  createKafka,
  recordOf,
  recordSize,
  toPublishError,
} from '@daprkit/kafka-common';
import type { Admin, Message, Producer } from 'kafkajs';
import { type KafkaBindingSettings, parseKafkaBindingSettings } from './metadata.js';

export interface KafkaBindingOptions {
  logger?: Logger;
}

interface Connected {
  settings: KafkaBindingSettings;
  producer: Producer;
  admin: Admin;
}

/** contrib publishes empty data, and exactly the four bytes `null`, as a tombstone (null value). */
function isTombstone(data: Uint8Array): boolean {
  return data.byteLength === 0 || (data.byteLength === 4 && Buffer.from(data).toString() === 'null');
}

/**
 * The output half of contrib's `bindings.kafka`: every invocation publishes its data to `publishTopic` with the
 * request metadata as record headers, `partitionKey`/`__key` as the key (sarama's FNV-1a partitioning) and
 * `partitionNumber` forcing a partition. It lists `create`, and like contrib publishes for any operation.
 */
export class KafkaOutputBinding implements OutputBinding {
  private readonly logger: Logger;
  private connected: Connected | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly partitionCounts = new Map<string, number>();

  constructor(options: KafkaBindingOptions = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    if (this.connected !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseKafkaBindingSettings(properties);
    checkCompression(settings.producer.compression);
    if (settings.publishTopic === undefined)
      this.logger.warn("kafka output binding without 'publishTopic': every invocation will fail");
    const kafka = createKafka(settings, this.logger);
    const { producer, admin } = await connectClients(kafka, settings, this.logger);
    this.connected = { settings, producer, admin };
  }

  operations(): readonly string[] {
    return ['create'];
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const c = this.require();
    const topic = c.settings.publishTopic;
    if (topic === undefined) throw new InvalidArgumentError("metadata 'publishTopic' is required to publish");
    const record: Message = recordOf(request.data, request.metadata ?? {}, c.settings.headers.exclude);
    if (isTombstone(request.data)) record.value = null;
    const limit = c.settings.producer.maxMessageBytes;
    if (limit !== undefined && record.value !== null) {
      const size = recordSize(record);
      if (size > limit) throw new InvalidArgumentError(`message of ${size} bytes exceeds maxMessageBytes (${limit})`);
    }
    if (record.partition !== undefined && record.partition !== null)
      await this.checkPartition(c, topic, record.partition);
    try {
      await c.producer.send({
        topic,
        messages: [record],
        acks: c.settings.producer.acks,
        timeout: c.settings.requestTimeoutMs,
        compression: COMPRESSION[c.settings.producer.compression],
      });
    } catch (err) {
      if (this.closed) throw new FailedPreconditionError('component is closed', { cause: err });
      throw toPublishError(err);
    }
    return {};
  }

  /** Disconnects the producer; idempotent. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const c = this.connected;
      this.closing =
        c === undefined
          ? Promise.resolve()
          : Promise.allSettled([c.producer.disconnect(), c.admin.disconnect()]).then(() => undefined);
    }
    return this.closing!;
  }

  private checkPartition(c: Connected, topic: string, partition: number): Promise<void> {
    return checkPartitionNumber(c.admin, this.partitionCounts, topic, partition);
  }

  private require(): Connected {
    if (this.closed) throw new FailedPreconditionError('component is closed');
    if (this.connected === undefined)
      throw new FailedPreconditionError('component is not initialised: call init first');
    return this.connected;
  }
}
