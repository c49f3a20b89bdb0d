import { InvalidArgumentError, isTruthy, type Metadata } from '@daprkit/component-sdk';
import type { Channel } from 'amqplib';
import type { RabbitPubSubSettings } from './metadata.js';

/** The queue of a subscription: its metadata `queueName`, else `<consumerID>-<topic>` (verbatim, as contrib). */
export function queueNameOf(topic: string, metadata: Metadata, consumerId: string | undefined): string {
  const explicit = metadata.queueName;
  if (explicit !== undefined && explicit !== '') return explicit;
  if (consumerId === undefined || consumerId === '') {
    throw new InvalidArgumentError("consumerID is required for subscriptions that don't specify a queue name");
  }
  return `${consumerId}-${topic}`;
}

export interface QueueDeclaration {
  name: string;
  durable: boolean;
  autoDelete: boolean;
  arguments: Record<string, unknown>;
  /** Routing keys the queue is bound with to the topic exchange (at least the empty key). */
  routingKeys: string[];
  deadLetter?: { exchange: string; queue: string; arguments: Record<string, unknown> };
}

function unsigned(metadata: Metadata, key: string): number | undefined {
  const raw = metadata[key];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) {
    throw new InvalidArgumentError(`subscription metadata ${key}: expected a non-negative integer, got '${raw}'`);
  }
  return Number(raw.trim());
}

/**
 * The queue (and dead-letter pair) contrib declares for a subscription, with the same flags and argument names, so
 * a daprd replica and a daprkit replica of one app declare the same queue without PRECONDITION_FAILED:
 * `x-queue-type` always (`classic` unless `queueType`), component `maxLen`/`maxLenBytes` overridden by the
 * subscription's, `x-max-priority` (clamped to 255), `x-single-active-consumer`, `x-dead-letter-exchange`.
 */
export function queueDeclaration(
  queueName: string,
  metadata: Metadata,
  settings: Pick<RabbitPubSubSettings, 'durable' | 'autoDelete' | 'maxLen' | 'maxLenBytes' | 'enableDeadLetter'>,
): QueueDeclaration {
  const lengthArgs = (): Record<string, unknown> => ({
    ...(settings.maxLen !== undefined ? { 'x-max-length': settings.maxLen } : {}),
    ...(settings.maxLenBytes !== undefined ? { 'x-max-length-bytes': settings.maxLenBytes } : {}),
  });
  const args: Record<string, unknown> = {};
  let deadLetter: QueueDeclaration['deadLetter'];
  if (settings.enableDeadLetter) {
    deadLetter = {
      exchange: `dlx-${queueName}`,
      queue: `dlq-${queueName}`,
      // contrib keeps dead letters on disk (lazy mode).
      arguments: { ...lengthArgs(), 'x-queue-mode': 'lazy' },
    };
    args['x-dead-letter-exchange'] = deadLetter.exchange;
  }
  Object.assign(args, lengthArgs());
  const maxPriority = unsigned(metadata, 'maxPriority');
  if (maxPriority !== undefined) args['x-max-priority'] = Math.min(maxPriority, 255);
  const queueType = metadata.queueType;
  if (queueType !== undefined && queueType !== '') {
    if (queueType !== 'classic' && queueType !== 'quorum') {
      throw new InvalidArgumentError(`invalid queue type ${queueType}. Valid types are classic and quorum`);
    }
    args['x-queue-type'] = queueType;
  } else {
    args['x-queue-type'] = 'classic';
  }
  if (isTruthy(metadata.singleActiveConsumer)) args['x-single-active-consumer'] = true;
  const maxLenBytes = unsigned(metadata, 'maxLenBytes');
  if (maxLenBytes !== undefined) args['x-max-length-bytes'] = maxLenBytes;
  const maxLen = unsigned(metadata, 'maxLen');
  if (maxLen !== undefined) args['x-max-length'] = maxLen;
  return {
    name: queueName,
    durable: settings.durable,
    autoDelete: settings.autoDelete,
    arguments: args,
    routingKeys: (metadata.routingKey ?? '').split(','),
    deadLetter,
  };
}

/** Declares the topic exchange, the dead-letter pair, the queue and its bindings on `channel`. */
export async function declareSubscriptionTopology(
  channel: Channel,
  topic: string,
  declaration: QueueDeclaration,
  settings: Pick<RabbitPubSubSettings, 'exchangeKind' | 'durable' | 'autoDelete'>,
): Promise<void> {
  await channel.assertExchange(topic, settings.exchangeKind, {
    durable: settings.durable,
    autoDelete: settings.autoDelete,
  });
  const dl = declaration.deadLetter;
  if (dl !== undefined) {
    // The dead-letter exchange and queue are always durable.
    await channel.assertExchange(dl.exchange, 'fanout', { durable: true, autoDelete: settings.autoDelete });
    await channel.assertQueue(dl.queue, {
      durable: true,
      autoDelete: settings.autoDelete,
      exclusive: false,
      arguments: dl.arguments,
    });
    await channel.bindQueue(dl.queue, dl.exchange, '');
  }
  await channel.assertQueue(declaration.name, {
    durable: declaration.durable,
    autoDelete: declaration.autoDelete,
    exclusive: false,
    arguments: declaration.arguments,
  });
  for (const key of declaration.routingKeys) await channel.bindQueue(declaration.name, topic, key);
}
