import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, awsErrorSummary, toAwsError } from '@daprkit/aws-common';
import {
  FailedPreconditionError,
  type Logger,
  type MessageHandler,
  type Metadata,
  type PublishRequest,
  type PubSub,
  type PubSubFeature,
  type SubscribeRequest,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import { parseSnsSqsSettings, type SnsSqsSettings } from './metadata.js';
import { policyWithTopic, sanitizeName, topicArn, topicOfArn } from './names.js';

export interface SnsSqsPubSubOptions {
  logger?: Logger;
}

interface Queue {
  url: string;
  arn: string;
}

interface Subscription {
  topic: string;
  handler: MessageHandler;
}

const decoder = new TextDecoder();

/**
 * `pubsub.aws.snssqs` on the AWS SDK v3: one SNS topic per Dapr topic, one SQS queue per consumerID subscribed to
 * every topic of the component (so daprd replicas and daprkit share entities), SNS envelopes routed by the
 * TopicArn's last segment, at-least-once: a message is deleted only after its handler succeeded, a failure waits
 * for the visibility timeout, and after `messageRetryLimit` receives it is dropped (or moved to the DLQ by SQS).
 */
export class SnsSqsPubSub implements PubSub {
  readonly #logger: Logger;
  #settings: SnsSqsSettings | undefined;
  #sns: SNSClient | undefined;
  #sqs: SQSClient | undefined;
  #sts: STSClient | undefined;
  #account: Promise<string> | undefined;
  readonly #topics = new Map<string, Promise<string>>();
  #queue: Promise<Queue> | undefined;
  #deadLetters: Promise<Queue> | undefined;
  readonly #subscribedTopics = new Map<string, Promise<void>>();
  /** sanitized topic → the live subscription. */
  readonly #handlers = new Map<string, Subscription>();
  #polling: Promise<unknown> | undefined;
  #stop = new AbortController();
  #closed = false;

  constructor(options: SnsSqsPubSubOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#settings !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseSnsSqsSettings(properties);
    const config = awsClientConfig(settings.aws);
    this.#sns = new SNSClient(config);
    this.#sqs = new SQSClient(config);
    this.#sts = new STSClient(config);
    this.#settings = settings;
    if (settings.accountID !== undefined) this.#account = Promise.resolve(settings.accountID);
    // contrib resolves the account at init: it also proves endpoint and credentials, so do it here.
    try {
      await this.#accountId();
    } catch (error) {
      this.#account = undefined;
      await this.close();
      throw toAwsError(error, 'snssqs init: STS GetCallerIdentity');
    }
    this.#logger.info('snssqs ready', {
      queue: sanitizeName(settings.consumerID, settings.fifo),
      region: settings.aws.region,
    });
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async publish(request: PublishRequest): Promise<void> {
    const s = this.#open();
    const arn = await this.#topic(request.topic);
    try {
      await this.#sns!.send(
        new PublishCommand({
          TopicArn: arn,
          Message: decoder.decode(request.data),
          ...(s.fifo && { MessageGroupId: s.fifoMessageGroupID }),
        }),
      );
    } catch (error) {
      throw toAwsError(error, `snssqs publish to topic '${request.topic}'`);
    }
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    const s = this.#open();
    const sanitized = sanitizeName(request.topic, s.fifo);
    if (this.#handlers.has(sanitized)) {
      throw new FailedPreconditionError(`topic '${request.topic}' is already subscribed on this component`);
    }
    await this.#wire(request.topic, sanitized);
    if (signal.aborted) return;
    const subscription = { topic: request.topic, handler };
    this.#handlers.set(sanitized, subscription);
    signal.addEventListener(
      'abort',
      () => {
        if (this.#handlers.get(sanitized) === subscription) this.#handlers.delete(sanitized);
      },
      { once: true },
    );
    this.#startPolling();
  }

  /** Starts the queue's loop unless it runs; a loop that ends while a subscription was just added restarts. */
  #startPolling(): void {
    if (this.#polling !== undefined) return;
    this.#polling = this.#poll()
      .then(
        () => 0,
        async (error) => {
          // Queue set-up failed (the subscription itself succeeded, so this is transient): retry after a pause.
          this.#logger.error('snssqs consumer stopped; restarting', { error: awsErrorSummary(error) });
          await sleep(this.#settings!.backOffInitialMs, this.#stop.signal);
        },
      )
      .finally(() => {
        this.#polling = undefined;
        if (!this.#closed && this.#handlers.size > 0) this.#startPolling();
      });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handlers.clear();
    this.#stop.abort();
    await this.#polling?.catch(() => {});
    this.#sns?.destroy();
    this.#sqs?.destroy();
    this.#sts?.destroy();
  }

  // ---------- entities ----------

  #accountId(): Promise<string> {
    this.#account ??= this.#sts!.send(new GetCallerIdentityCommand({}), this.#timeout()).then((out) => {
      if (out.Account === undefined) throw new UnavailableError('STS GetCallerIdentity returned no account');
      return out.Account;
    });
    return this.#account;
  }

  #timeout(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.#settings!.managementTimeoutMs) };
  }

  /** The topic's ARN: created (idempotent, tagged) or, with entity management disabled, looked up. */
  #topic(topic: string): Promise<string> {
    const s = this.#settings!;
    const sanitized = sanitizeName(topic, s.fifo);
    let arn = this.#topics.get(sanitized);
    if (arn === undefined) {
      arn = this.#ensureTopic(sanitized).catch((error) => {
        this.#topics.delete(sanitized);
        throw toAwsError(error, `snssqs topic '${topic}' (${sanitized})`);
      });
      this.#topics.set(sanitized, arn);
    }
    return arn;
  }

  async #ensureTopic(sanitized: string): Promise<string> {
    const s = this.#settings!;
    if (s.disableEntityManagement) {
      const arn = topicArn(s.partition, s.aws.region, await this.#accountId(), sanitized);
      await this.#sns!.send(new GetTopicAttributesCommand({ TopicArn: arn }), this.#timeout());
      return arn;
    }
    const out = await this.#sns!.send(
      new CreateTopicCommand({
        Name: sanitized,
        Tags: [{ Key: 'dapr-topic-name', Value: sanitized }],
        ...(s.fifo && { Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'true' } }),
      }),
      this.#timeout(),
    );
    return out.TopicArn!;
  }

  async #ensureQueue(name: string): Promise<Queue> {
    const s = this.#settings!;
    const sanitized = sanitizeName(name, s.fifo);
    let url: string;
    if (s.disableEntityManagement) {
      url = (await this.#sqs!.send(new GetQueueUrlCommand({ QueueName: sanitized }), this.#timeout())).QueueUrl!;
    } else {
      const out = await this.#sqs!.send(
        new CreateQueueCommand({
          QueueName: sanitized,
          tags: { 'dapr-queue-name': sanitized },
          ...(s.fifo && { Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }),
        }),
        this.#timeout(),
      );
      url = out.QueueUrl!;
    }
    const attrs = await this.#sqs!.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      this.#timeout(),
    );
    return { url, arn: attrs.Attributes!.QueueArn! };
  }

  #mainQueue(): Promise<Queue> {
    this.#queue ??= this.#setUpQueue().catch((error) => {
      this.#queue = undefined;
      throw toAwsError(error, `snssqs queue '${this.#settings!.consumerID}'`);
    });
    return this.#queue;
  }

  async #setUpQueue(): Promise<Queue> {
    const s = this.#settings!;
    const queue = await this.#ensureQueue(s.consumerID);
    if (s.deadLettersQueue !== undefined) {
      this.#deadLetters = this.#ensureQueue(s.deadLettersQueue);
      const dlq = await this.#deadLetters;
      if (!s.disableEntityManagement) {
        await this.#sqs!.send(
          new SetQueueAttributesCommand({
            QueueUrl: queue.url,
            Attributes: {
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: String(s.receiveLimit) }),
            },
          }),
          this.#timeout(),
        );
      }
    }
    return queue;
  }

  /** Topic, queue, queue policy and the SNS→SQS subscription (raw delivery off), once per topic. */
  #wire(topic: string, sanitized: string): Promise<void> {
    let wired = this.#subscribedTopics.get(sanitized);
    if (wired === undefined) {
      wired = (async () => {
        const s = this.#settings!;
        const [arn, queue] = await Promise.all([this.#topic(topic), this.#mainQueue()]);
        if (s.disableEntityManagement) return;
        try {
          const current = await this.#sqs!.send(
            new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['Policy'] }),
            this.#timeout(),
          );
          const policy = policyWithTopic(current.Attributes?.Policy, queue.arn, arn);
          if (policy !== undefined) {
            await this.#sqs!.send(
              new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: policy } }),
              this.#timeout(),
            );
          }
          await this.#sns!.send(
            new SubscribeCommand({ TopicArn: arn, Protocol: 'sqs', Endpoint: queue.arn }),
            this.#timeout(),
          );
        } catch (error) {
          throw toAwsError(error, `snssqs subscribe queue '${queue.arn}' to topic '${topic}'`);
        }
      })();
      wired.catch(() => this.#subscribedTopics.delete(sanitized));
      this.#subscribedTopics.set(sanitized, wired);
    }
    return wired;
  }

  // ---------- consuming ----------

  /**
   * One long-poll loop for the queue while any topic is subscribed. As contrib's: in `parallel` mode the next
   * ReceiveMessage goes out while the batch's handlers run (in flight at most `concurrencyLimit`, or
   * MAX_IN_FLIGHT when that is 0 — contrib has no bound there); in `single` mode a batch is handled one message at a
   * time before the next receive. Handled messages are deleted in DeleteMessageBatch calls of up to 10.
   */
  async #poll(): Promise<void> {
    const s = this.#settings!;
    const queue = await this.#mainQueue();
    const acks = new AckBatcher((batch) => this.#ack(queue, batch));
    const inFlight = new Set<Promise<void>>();
    const cap = s.concurrencyLimit > 0 ? s.concurrencyLimit : MAX_IN_FLIGHT;
    let failures = 0;
    try {
      while (!this.#closed && this.#handlers.size > 0) {
        let messages: Message[];
        try {
          const out = await this.#sqs!.send(
            new ReceiveMessageCommand({
              QueueUrl: queue.url,
              MaxNumberOfMessages: s.maxNumber,
              VisibilityTimeout: s.visibilityTimeout,
              WaitTimeSeconds: s.waitTimeSeconds,
              AttributeNames: ['All'],
            }),
            { abortSignal: this.#stop.signal },
          );
          messages = out.Messages ?? [];
          failures = 0;
        } catch (error) {
          if (this.#closed) return;
          failures++;
          const delay = Math.min(s.backOffInitialMs * 2 ** (failures - 1), s.backOffMaxMs);
          this.#logger.warn('snssqs ReceiveMessage failed; retrying', {
            error: awsErrorSummary(error),
            delayMs: delay,
          });
          await sleep(delay, this.#stop.signal);
          continue;
        }
        if (messages.length === 0 || this.#handlers.size === 0) continue;
        if (s.concurrencyMode === 'single') {
          for (const message of messages) {
            const done = await this.#handle(queue, message);
            if (done !== undefined) acks.add(done);
          }
          continue;
        }
        for (const message of messages) {
          while (inFlight.size >= cap) await Promise.race(inFlight);
          const task: Promise<void> = this.#handle(queue, message)
            .catch(() => undefined)
            .then((done) => {
              inFlight.delete(task);
              if (done !== undefined) acks.add(done);
            });
          inFlight.add(task);
        }
      }
    } finally {
      await Promise.all(inFlight);
      await acks.drain();
    }
  }

  /** Handles one message; returns it when it must be deleted (handled, or over the retry limit). */
  async #handle(queue: Queue, message: Message): Promise<Message | undefined> {
    const s = this.#settings!;
    const received = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    if (s.deadLettersQueue === undefined && received >= s.retryLimit) {
      if (!s.disableDeleteOnRetryLimit) {
        this.#logger.warn('message received too often; deleted without processing', {
          id: message.MessageId,
          limit: s.retryLimit,
        });
        return message;
      }
      await this.#sqs!.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queue.url,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ).catch(() => {});
      return undefined;
    }
    if (s.deadLettersQueue !== undefined && received > s.retryLimit) return undefined;
    let envelope: { TopicArn?: unknown; Message?: unknown };
    try {
      envelope = JSON.parse(message.Body ?? '');
    } catch {
      this.#logger.error('message is not an SNS envelope; left for redelivery', { id: message.MessageId });
      return undefined;
    }
    if (typeof envelope.TopicArn !== 'string' || typeof envelope.Message !== 'string') {
      this.#logger.error('message is not an SNS envelope; left for redelivery', { id: message.MessageId });
      return undefined;
    }
    const subscription = this.#handlers.get(topicOfArn(envelope.TopicArn));
    if (subscription === undefined) {
      this.#logger.error('no subscription for the message topic; left for redelivery', {
        topicArn: envelope.TopicArn,
      });
      return undefined;
    }
    try {
      await subscription.handler({
        data: Buffer.from(envelope.Message, 'utf8'),
        topic: subscription.topic,
        metadata: {},
      });
      return message;
    } catch (error) {
      this.#logger.debug('handler failed; redelivery after the visibility timeout', {
        topic: subscription.topic,
        error: (error as Error)?.message,
      });
      return undefined;
    }
  }

  /** Deletes handled messages (at most 10, DeleteMessageBatch's limit). */
  async #ack(queue: Queue, messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      if (messages.length === 1) {
        await this.#sqs!.send(
          new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: messages[0]!.ReceiptHandle }),
        );
        return;
      }
      const out = await this.#sqs!.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      if ((out.Failed?.length ?? 0) > 0) {
        this.#logger.warn('some acknowledgements failed; those messages will be redelivered', {
          failed: out.Failed!.length,
        });
      }
    } catch (error) {
      this.#logger.warn('acknowledging failed; the messages will be redelivered', { error: awsErrorSummary(error) });
    }
  }

  #open(): SnsSqsSettings {
    if (this.#settings !== undefined && !this.#closed) return this.#settings;
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

/** Parallel mode's bound on handlers in flight when `concurrencyLimit` is 0 (keeps memory bounded). */
const MAX_IN_FLIGHT = 100;
/** SQS's limit of entries per DeleteMessageBatch. */
const DELETE_BATCH = 10;

/**
 * Collects handled messages and deletes them in batches: a full batch goes out at once, a partial one on the next
 * turn of the event loop, so acknowledgements of one receive share a call without waiting on each other.
 */
class AckBatcher {
  #pending: Message[] = [];
  #scheduled = false;
  readonly #flushing = new Set<Promise<void>>();

  constructor(private readonly deleteBatch: (messages: Message[]) => Promise<void>) {}

  add(message: Message): void {
    this.#pending.push(message);
    if (this.#pending.length >= DELETE_BATCH) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flush();
      });
    }
  }

  /** Sends what is pending and waits for every delete in flight. */
  async drain(): Promise<void> {
    this.#flush();
    await Promise.all(this.#flushing);
  }

  #flush(): void {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, DELETE_BATCH);
      const call = this.deleteBatch(batch).finally(() => this.#flushing.delete(call));
      this.#flushing.add(call);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

export function createSnsSqsPubSub(options: SnsSqsPubSubOptions = {}): SnsSqsPubSub {
  return new SnsSqsPubSub(options);
}
