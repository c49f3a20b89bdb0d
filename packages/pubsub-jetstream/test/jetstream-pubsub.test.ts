import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PubSubMessage } from '@daprkit/component-sdk';
import { freePort, waitFor } from '@daprkit/component-sdk/testing';
import { AckPolicy, DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { nkeys } from '@nats-io/nats-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { consumerConfig, JetStreamPubSub, parseJetStreamSettings } from '../src/index.js';
import { createStream, describeWithNats, NATS_URL, openNats } from './support/nats.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (m: PubSubMessage) => Buffer.from(m.data).toString();

describe('metadata and consumer configuration', () => {
  it('has contrib defaults', () => {
    const s = parseJetStreamSettings({ natsURL: 'nats://a:4222,nats://b:4222' });
    expect(s).toMatchObject({
      servers: ['nats://a:4222', 'nats://b:4222'],
      name: 'dapr.io - pubsub.jetstream',
      deliverPolicy: 'all',
      ackPolicy: 'explicit',
      auth: { kind: 'none' },
      parallel: false,
    });
    expect(parseJetStreamSettings({ natsURL: 'n', ackPolicy: 'weird' }).ackPolicy).toBe('explicit');
  });

  it('validates by field name and never shows secrets', () => {
    expect(() => parseJetStreamSettings({})).toThrow(/natsURL/);
    expect(() => parseJetStreamSettings({ natsURL: 'n', deliverPolicy: 'sometimes' })).toThrow(/deliverPolicy/);
    expect(() => parseJetStreamSettings({ natsURL: 'n', jwt: 'secret-jwt' })).toThrow(/seedKey/);
    expect(() => parseJetStreamSettings({ natsURL: 'n', jwt: 'secret-jwt' })).not.toThrow(/secret-jwt/);
    expect(() => parseJetStreamSettings({ natsURL: 'n', tls_client_cert: '/c' })).toThrow(/tls_client_key/);
    expect(() => parseJetStreamSettings({ natsURL: 'n', deliverPolicy: 'time' })).toThrow(/startTime/);
    expect(() => parseJetStreamSettings({ natsURL: 'n', concurrencyMode: 'many' })).toThrow(/concurrencyMode/);
  });

  it('chooses the authentication as contrib: jwt+seed, then client certificate, then token', () => {
    expect(parseJetStreamSettings({ natsURL: 'n', jwt: 'j', seedKey: 's', token: 't' }).auth.kind).toBe('jwt');
    expect(
      parseJetStreamSettings({ natsURL: 'n', tls_client_cert: 'c', tls_client_key: 'k', token: 't' }).auth.kind,
    ).toBe('tls');
    expect(parseJetStreamSettings({ natsURL: 'n', token: 't' }).auth).toEqual({ kind: 'token', token: 't' });
    expect(parseJetStreamSettings({ natsURL: 'n', seedKey: 's' }).auth.kind).toBe('nkey');
  });

  it('maps every option onto the push consumer', () => {
    const s = parseJetStreamSettings({
      natsURL: 'n',
      durableName: 'd',
      queueGroupName: 'q',
      deliverPolicy: 'sequence',
      startSequence: '42',
      ackPolicy: 'all',
      ackWait: '10s',
      maxDeliver: '5',
      backOff: '1s,5s',
      maxAckPending: '7',
      replicas: '1',
      memoryStorage: 'true',
      rateLimit: '1000',
      heartbeat: '5s',
      flowControl: 'true',
    });
    const c = consumerConfig(s, 'orders.eu');
    expect(c.deliver_subject).toMatch(/^_INBOX\./);
    expect(c).toMatchObject({
      filter_subject: 'orders.eu',
      durable_name: 'd',
      deliver_group: 'q',
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 42,
      ack_policy: AckPolicy.All,
      ack_wait: 10_000_000_000,
      max_deliver: 5,
      backoff: [1_000_000_000, 5_000_000_000],
      max_ack_pending: 7,
      num_replicas: 1,
      mem_storage: true,
      rate_limit_bps: 1000,
      idle_heartbeat: 5_000_000_000,
      flow_control: true,
    });
    const t = consumerConfig(
      parseJetStreamSettings({ natsURL: 'n', deliverPolicy: 'time', startTime: '1700000000' }),
      'x',
    );
    expect(t).toMatchObject({ deliver_policy: DeliverPolicy.StartTime, opt_start_time: '2023-11-14T22:13:20.000Z' });
  });
});

describeWithNats('against the server', () => {
  let nats: Awaited<ReturnType<typeof openNats>>;
  let stream: { name: string; prefix: string };
  const opened: JetStreamPubSub[] = [];
  const stops: AbortController[] = [];

  beforeAll(async () => {
    nats = await openNats();
    stream = await createStream(nats.jsm, 'unit');
  });
  afterAll(async () => {
    await nats?.jsm.streams.delete(stream.name).catch(() => {});
    await nats?.nc.close();
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) s.abort();
    await Promise.all(opened.splice(0).map((p) => p.close()));
  });

  async function open(extra: Record<string, string> = {}) {
    const p = new JetStreamPubSub();
    await p.init({ natsURL: NATS_URL, ...extra });
    opened.push(p);
    return p;
  }
  async function subscribe(p: JetStreamPubSub, topic: string, handler: (m: PubSubMessage) => Promise<void>) {
    const stop = new AbortController();
    stops.push(stop);
    await p.subscribe({ topic, metadata: {} }, handler, stop.signal);
    return stop;
  }
  const subject = (label: string) => `${stream.prefix}.${label}-${randomUUID().slice(0, 8)}`;

  it('a NAK redelivers until the handler succeeds; maxDeliver bounds the attempts', async () => {
    const p = await open({ maxDeliver: '3' });
    const topic = subject('nak');
    const attempts: string[] = [];
    await subscribe(p, topic, async (m) => {
      attempts.push(text(m));
      throw new Error('never');
    });
    await p.publish({ pubsubName: 'p', topic, data: bytes('x'), metadata: {} });
    await waitFor(() => attempts.length >= 3, 5000, 'three attempts');
    await new Promise((r) => setTimeout(r, 500));
    expect(attempts).toEqual(['x', 'x', 'x']);
  });

  it('single mode: one message at a time in publish order (one turn of concurrent publishes); a NAKed one comes back', async () => {
    const p = await open();
    const topic = subject('single');
    let active = 0;
    let maxActive = 0;
    let failed = false;
    const seen: string[] = [];
    await subscribe(p, topic, async (m) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 2));
      active--;
      const t = text(m);
      if (t === 'm3' && !failed) {
        failed = true;
        throw new Error('once');
      }
      seen.push(t);
    });
    const names = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await Promise.all(names.map((n) => p.publish({ pubsubName: 'p', topic, data: bytes(n), metadata: {} })));
    await waitFor(() => seen.length >= 30, 10_000, 'thirty messages');
    await new Promise((r) => setTimeout(r, 300));
    expect(maxActive).toBe(1);
    expect(seen.filter((t) => t !== 'm3')).toEqual(names.filter((t) => t !== 'm3'));
    expect(seen.filter((t) => t === 'm3')).toEqual(['m3']);
  });

  it('a durable consumer with a deliver group (queue subscription) delivers each message once', async () => {
    const topic = subject('queue');
    const seen: string[] = [];
    const p = await open({ durableName: `dq-${randomUUID().slice(0, 8)}`, queueGroupName: 'g' });
    await subscribe(p, topic, async (m) => {
      seen.push(text(m));
    });
    const js = jetstream(nats.nc);
    for (let i = 0; i < 10; i++) await js.publish(topic, `m${i}`);
    await waitFor(() => seen.length >= 10, 5000, 'ten messages');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
  });

  it('deliverPolicy new skips history, last starts at the last message; CloudEvent ids de-duplicate', async () => {
    const topic = subject('policy');
    const p = await open();
    const ce = (id: string) => bytes(JSON.stringify({ specversion: '1.0', id, data: id }));
    await p.publish({ pubsubName: 'p', topic, data: ce('a'), metadata: {} });
    await p.publish({ pubsubName: 'p', topic, data: ce('a'), metadata: {} }); // same id: dropped by the server
    await p.publish({ pubsubName: 'p', topic, data: ce('b'), metadata: {} });
    const got = { new: [] as string[], last: [] as string[], all: [] as string[] };
    for (const policy of ['new', 'last', 'all'] as const) {
      await subscribe(await open({ deliverPolicy: policy }), topic, async (m) => {
        got[policy].push(JSON.parse(text(m)).id);
      });
    }
    await p.publish({ pubsubName: 'p', topic, data: ce('c'), metadata: {} });
    await waitFor(() => got.new.length >= 1 && got.last.length >= 2 && got.all.length >= 3, 5000, 'deliveries');
    expect(got).toEqual({ new: ['c'], last: ['b', 'c'], all: ['a', 'b', 'c'] });
  });

  it('says which subject has no stream (streams are never created)', async () => {
    const p = await open();
    await expect(subscribe(p, `nostream.${randomUUID()}`, async () => {})).rejects.toThrow(/no stream holds subject/);
  });
});

/** A throw-away nats-server with auth, for token and NKey authentication. */
describeWithNats('authentication (private server)', () => {
  let server: ChildProcess;
  let port: number;
  const dir = mkdtempSync('/tmp/dk-nats-auth-');
  const user = nkeys.createUser();
  const seed = new TextDecoder().decode(user.getSeed());

  beforeAll(async () => {
    port = await freePort();
    writeFileSync(
      join(dir, 'server.conf'),
      `listen: 127.0.0.1:${port}\njetstream { store_dir: "${dir}/js" }\nauthorization { users = [ { nkey: "${user.getPublicKey()}" }, { user: "tok", password: "unused" } ] }\n`,
    );
    server = spawn('nats-server', ['-c', join(dir, 'server.conf')], { stdio: 'ignore' });
    await waitFor(
      async () => {
        const p = new JetStreamPubSub();
        try {
          await p.init({ natsURL: `nats://127.0.0.1:${port}`, seedKey: seed });
          await p.close();
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      'the private nats-server',
    );
  }, 20_000);
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with an NKey seed and is refused without credentials, never showing the seed', async () => {
    const ok = new JetStreamPubSub();
    await ok.init({ natsURL: `nats://127.0.0.1:${port}`, seedKey: seed });
    await ok.close();
    const refused = new JetStreamPubSub();
    const init = refused.init({ natsURL: `nats://127.0.0.1:${port}`, token: 'wrong-token' });
    await expect(init).rejects.toThrow(/cannot connect/);
    await expect(init).rejects.not.toThrow(/wrong-token/);
  });
});
