import { randomUUID } from 'node:crypto';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import type { PubSubMessage } from '@daprkit/component-sdk';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { partitionOf, SnsSqsPubSub, sanitizeName } from '../src/index.js';
import { policyWithTopic } from '../src/names.js';
import { describeWithAws, pubsubProperties, snsClient, sqsClient } from './support/aws.js';

describe('names and settings (no server)', () => {
  it('sanitizes like contrib: [A-Za-z0-9_-], 80 chars, .fifo re-attached within the 80', () => {
    expect(sanitizeName('orders.v1/eu', false)).toBe('ordersv1eu');
    expect(sanitizeName('a.b', false)).toBe(sanitizeName('ab', false));
    expect(sanitizeName('x'.repeat(100), false)).toHaveLength(80);
    expect(sanitizeName('orders', true)).toBe('orders.fifo');
    expect(sanitizeName('orders.fifo', true)).toBe('orders.fifo');
    expect(sanitizeName('y'.repeat(100), true)).toBe(`${'y'.repeat(75)}.fifo`);
  });

  it('derives the partition from the region', () => {
    expect(partitionOf('us-east-1')).toBe('aws');
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
  });

  it('appends the SNS statement to a queue policy once', () => {
    const first = policyWithTopic(undefined, 'arn:q', 'arn:t1')!;
    expect(JSON.parse(first)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: 'arn:q',
          Condition: { ArnEquals: { 'aws:SourceArn': 'arn:t1' } },
        },
      ],
    });
    expect(policyWithTopic(first, 'arn:q', 'arn:t1')).toBeUndefined();
    expect(JSON.parse(policyWithTopic(first, 'arn:q', 'arn:t2')!).Statement).toHaveLength(2);
  });

  it('validates metadata by field', async () => {
    const init = (extra: Record<string, string>) =>
      new SnsSqsPubSub().init({ region: 'us-east-1', consumerID: 'c', ...extra }).catch((e: Error) => e.message);
    expect(await new SnsSqsPubSub().init({ region: 'us-east-1' }).catch((e: Error) => e.message)).toContain(
      "metadata 'consumerID'",
    );
    expect(await init({ messageRetryLimit: '1' })).toContain("metadata 'messageRetryLimit': must be >= 2");
    expect(await init({ sqsDeadLettersQueueName: 'dlq' })).toContain('must be set together');
    expect(await init({ messageMaxNumber: '11' })).toContain("metadata 'messageMaxNumber'");
    expect(await init({ concurrencyMode: 'many' })).toContain("metadata 'concurrencyMode'");
  });
});

describeWithAws('SNS/SQS pub/sub on the test server', () => {
  const sns = snsClient();
  const sqs = sqsClient();
  const opened: SnsSqsPubSub[] = [];
  const subs: AbortController[] = [];

  afterAll(async () => {
    for (const s of subs) s.abort();
    await Promise.all(opened.map((p) => p.close()));
    sns.destroy();
    sqs.destroy();
  });

  async function open(extra: Record<string, string> = {}) {
    const pubsub = new SnsSqsPubSub();
    await pubsub.init(pubsubProperties(extra));
    opened.push(pubsub);
    return pubsub;
  }

  async function subscribe(pubsub: SnsSqsPubSub, topic: string, handler: (m: PubSubMessage) => Promise<void>) {
    const ac = new AbortController();
    subs.push(ac);
    await pubsub.subscribe({ topic, metadata: {} }, handler, ac.signal);
  }

  it("creates contrib's entities: tagged topic and queue, policy, raw-delivery-off subscription", async () => {
    const run = randomUUID().slice(0, 8);
    const consumerID = `daprkit.layout.${run}`;
    const pubsub = await open({ consumerID });
    const got: string[] = [];
    await subscribe(pubsub, `orders/${run}`, async (m) => {
      got.push(Buffer.from(m.data).toString());
    });
    await pubsub.publish({ topic: `orders/${run}`, pubsubName: 'p', data: Buffer.from('hello'), metadata: {} });
    await vi.waitFor(() => expect(got).toEqual(['hello']), { timeout: 15_000 });

    const queueName = sanitizeName(consumerID, false);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ 'dapr-queue-name': queueName });
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy', 'QueueArn'] }));
    const topicArn = `arn:aws:sns:us-east-1:123456789012:${sanitizeName(`orders/${run}`, false)}`;
    expect(JSON.parse(attrs.Attributes!.Policy!).Statement[0].Condition.ArnEquals['aws:SourceArn']).toBe(topicArn);
    const tags = await sns.send(new ListTagsForResourceCommand({ ResourceArn: topicArn }));
    expect(tags.Tags).toEqual([{ Key: 'dapr-topic-name', Value: sanitizeName(`orders/${run}`, false) }]);
    const list = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(list.Subscriptions?.map((s) => [s.Protocol, s.Endpoint])).toEqual([['sqs', attrs.Attributes!.QueueArn]]);
    const sub = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: list.Subscriptions![0]!.SubscriptionArn }),
    );
    expect(sub.Attributes?.RawMessageDelivery ?? 'false').toBe('false');
  });

  it('redelivers after a failure and drops a message at messageRetryLimit receives', async () => {
    const run = randomUUID().slice(0, 8);
    const pubsub = await open({ messageRetryLimit: '3' });
    let attempts = 0;
    await subscribe(pubsub, `poison-${run}`, async () => {
      attempts++;
      throw new Error('always fails');
    });
    await pubsub.publish({ topic: `poison-${run}`, pubsubName: 'p', data: Buffer.from('x'), metadata: {} });
    // Receives 1 and 2 reach the handler; the 3rd (count >= limit) deletes it unprocessed.
    await vi.waitFor(() => expect(attempts).toBe(2), { timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 3500));
    expect(attempts).toBe(2);
  });

  it('moves a failing message to the dead-letter queue after messageReceiveLimit receives', async () => {
    const run = randomUUID().slice(0, 8);
    const dlq = `daprkit-dlq-${run}`;
    const pubsub = await open({ sqsDeadLettersQueueName: dlq, messageReceiveLimit: '2' });
    let attempts = 0;
    await subscribe(pubsub, `dlq-${run}`, async () => {
      attempts++;
      throw new Error('fails');
    });
    await pubsub.publish({ topic: `dlq-${run}`, pubsubName: 'p', data: Buffer.from('to the dlq'), metadata: {} });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: dlq }));
    await vi.waitFor(
      async () => {
        const a = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
        );
        expect(a.Attributes?.ApproximateNumberOfMessages).toBe('1');
      },
      { timeout: 20_000, interval: 500 },
    );
    expect(attempts).toBe(2);
  });

  it('FIFO: .fifo topic and queue, delivery in order', async () => {
    const run = randomUUID().slice(0, 8);
    const pubsub = await open({ fifo: 'true', consumerID: `daprkit-fifo-${run}` });
    const got: string[] = [];
    await subscribe(pubsub, `fifo-${run}`, async (m) => {
      got.push(Buffer.from(m.data).toString());
    });
    for (const n of [1, 2, 3]) {
      await pubsub.publish({ topic: `fifo-${run}`, pubsubName: 'p', data: Buffer.from(`m${n}`), metadata: {} });
    }
    await vi.waitFor(() => expect(got).toEqual(['m1', 'm2', 'm3']), { timeout: 15_000 });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `daprkit-fifo-${run}.fifo` }));
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['FifoQueue'] }));
    expect(a.Attributes?.FifoQueue).toBe('true');
  });
});
