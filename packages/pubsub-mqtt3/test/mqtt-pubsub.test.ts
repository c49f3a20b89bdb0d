import { randomUUID } from 'node:crypto';
import type { Metadata, PubSubMessage } from '@daprkit/component-sdk';
import { waitFor } from '@daprkit/component-sdk/testing';
import { createDescribeWithMqtt, MQTT_URL, rawMqtt } from '@daprkit/mqtt-common/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MqttPubSub, parseMqttPubSubSettings } from '../src/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (message: PubSubMessage) => Buffer.from(message.data).toString();
const run = randomUUID().slice(0, 8);
let n = 0;
const unique = (label: string) => `daprkit-test/${label}/${run}-${n++}`;

describe('metadata', () => {
  it('has contrib names and defaults', () => {
    const settings = parseMqttPubSubSettings({ url: 'tcp://b', consumerID: 'app' });
    expect(settings).toMatchObject({ consumerId: 'app', qos: 1, retain: false, cleanSession: false });
  });

  it('requires consumerID and rejects QoS above 2, naming the field', () => {
    expect(() => parseMqttPubSubSettings({ url: 'tcp://b' })).toThrow(/consumerID/);
    expect(() => parseMqttPubSubSettings({ url: 'tcp://b', consumerID: 'a', qos: '3' })).toThrow(/qos.*<= 2/);
    expect(() => parseMqttPubSubSettings({ url: 'tcp://b', consumerID: 'a', cleanSession: 'maybe' })).toThrow(
      /cleanSession/,
    );
  });
});

const describeWithMqtt = await createDescribeWithMqtt();

describeWithMqtt('against the broker', () => {
  const opened: MqttPubSub[] = [];
  const stops: AbortController[] = [];
  let raw: MqttClient;

  beforeAll(async () => {
    raw = await rawMqtt();
  });
  afterAll(async () => {
    await raw?.endAsync();
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop.abort();
    await Promise.all(opened.splice(0).map((p) => p.close()));
  });

  async function open(extra: Metadata = {}): Promise<MqttPubSub> {
    const pubsub = new MqttPubSub();
    await pubsub.init({ url: MQTT_URL, consumerID: `t-${randomUUID()}`, ...extra });
    opened.push(pubsub);
    return pubsub;
  }

  async function subscribe(pubsub: MqttPubSub, topic: string, handler: (m: PubSubMessage) => Promise<void>) {
    const stop = new AbortController();
    stops.push(stop);
    await pubsub.subscribe({ topic, metadata: {} }, handler, stop.signal);
    return stop;
  }

  const publish = (pubsub: MqttPubSub, topic: string, data: string, metadata: Metadata = {}) =>
    pubsub.publish({ pubsubName: 'p', topic, data: bytes(data), metadata });

  it('advertises SUBSCRIBE_WILDCARDS', async () => {
    expect((await open()).features()).toEqual(['SUBSCRIBE_WILDCARDS']);
  });

  it('delivers through + and # wildcards with the actual topic and retained=false', async () => {
    const pubsub = await open();
    const base = unique('wild');
    const got: PubSubMessage[] = [];
    await subscribe(pubsub, `${base}/+/x/#`, async (m) => {
      got.push(m);
    });
    await publish(pubsub, `${base}/a/x/deep/er`, 'one');
    await publish(pubsub, `${base}/a/y`, 'not matched');
    await publish(pubsub, `${base}/b/x`, 'two');
    await waitFor(() => got.length >= 2, 5000, 'two messages');
    expect(got.map((m) => [m.topic, text(m), m.metadata.retained]).sort()).toEqual([
      [`${base}/a/x/deep/er`, 'one', 'false'],
      [`${base}/b/x`, 'two', 'false'],
    ]);
  });

  it('routes $share/<group>/ subscriptions and balances a group between clients', async () => {
    const [a, b] = [await open(), await open()];
    const topic = unique('share');
    const seen: string[] = [];
    for (const p of [a, b]) {
      await subscribe(p, `$share/g-${run}/${topic}`, async (m) => {
        seen.push(text(m));
      });
    }
    for (let i = 0; i < 20; i++) await publish(a, topic, `m${i}`);
    await waitFor(() => seen.length >= 20, 5000, 'the group to get every message once');
    expect(new Set(seen).size).toBe(20);
    expect(seen.length).toBe(20);
  });

  it('honours a per-publish retain override; an invalid one is an error', async () => {
    const pubsub = await open();
    const topic = unique('retain');
    await publish(pubsub, topic, 'kept', { retain: 'true' });
    await expect(publish(pubsub, topic, 'x', { retain: 'yes' })).rejects.toThrow(/invalid retain 'yes'/);
    const got: PubSubMessage[] = [];
    await subscribe(await open(), topic, async (m) => {
      got.push(m);
    });
    await waitFor(() => got.length > 0, 5000, 'the retained message');
    expect([text(got[0]!), got[0]!.metadata.retained]).toEqual(['kept', 'true']);
    await raw.publishAsync(topic, '', { qos: 1, retain: true }); // clear it
  });

  it('hands a rejected message over again until the handler succeeds, then acknowledges it', async () => {
    const pubsub = await open();
    const topic = unique('nack');
    let attempts = 0;
    await subscribe(pubsub, topic, async () => {
      attempts++;
      if (attempts < 3) throw new Error('not yet');
    });
    await publish(pubsub, topic, 'retry me');
    await waitFor(() => attempts >= 3, 5000, 'three attempts');
    await new Promise((r) => setTimeout(r, 400));
    expect(attempts).toBe(3);
  });

  it('keeps a persistent session: messages published while the component is closed arrive after a restart', async () => {
    const consumerID = `persist-${randomUUID()}`;
    const topic = unique('persist');
    const first = await open({ consumerID });
    await subscribe(first, topic, async () => {});
    await first.close();
    for (let i = 0; i < 5; i++) await raw.publishAsync(topic, `offline-${i}`, { qos: 1 });
    const second = await open({ consumerID });
    const got: string[] = [];
    await subscribe(second, topic, async (m) => {
      got.push(text(m));
    });
    await waitFor(() => got.length >= 5, 5000, 'the queued messages');
    expect(got.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `offline-${i}`));
    await second.close();
    const cleaner = await rawMqtt({ clientId: consumerID, clean: true });
    await cleaner.endAsync();
  });

  it.each([
    ['true', []],
    ['false', ['between']],
  ])('cleanSession %s: a message published between abort and re-subscribe arrives: %j', async (clean, expected) => {
    const pubsub = await open({ cleanSession: clean });
    const topic = unique('clean');
    const stop = await subscribe(pubsub, topic, async () => {});
    stop.abort(); // UNSUBSCRIBE only with a clean session (contrib): a persistent one keeps queueing for us
    await new Promise((r) => setTimeout(r, 200));
    await raw.publishAsync(topic, 'between', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    const got: string[] = [];
    await subscribe(pubsub, topic, async (m) => {
      got.push(text(m));
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(got).toEqual(expected);
  });

  it('fails clearly on an empty topic, before init and after close', async () => {
    const pubsub = await open();
    await expect(publish(pubsub, '', 'x')).rejects.toThrow(/topic name is empty/);
    await pubsub.close();
    await expect(publish(pubsub, 't', 'x')).rejects.toThrow(/closed/);
    await expect(publish(new MqttPubSub(), 't', 'x')).rejects.toThrow(/not initialised/);
  });

  it('names the broker, not the credentials, when it cannot connect', async () => {
    const pubsub = new MqttPubSub();
    const init = pubsub.init({ url: 'tcp://user:hunter2@127.0.0.1:1', consumerID: 'x' });
    await expect(init).rejects.toThrow(/cannot connect to tcp:\/\/127\.0\.0\.1:1/);
    await expect(init).rejects.not.toThrow(/hunter2/);
  });
});
