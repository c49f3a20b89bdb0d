/**
 * Crash safety of the outbox: 500 transactions through a sidecar that SIGKILLs itself at random outbox steps
 * (DAPRKIT_OUTBOX_CRASH_AT, test-only), restarted after every crash, on durable backends (PostgreSQL state,
 * Redis Streams pub/sub). Afterwards every committed transaction has its event on the final topic (0 lost), no
 * event exists for a transaction that did not commit (0 phantom), and duplicates keep the id of their original.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ensureSidecarBuilt,
  http,
  REPO_ROOT,
  type SidecarProcess,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

const REDIS = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
const PG_URL = process.env.DAPRKIT_PG_URL ?? 'postgres://daprkit:daprkit@127.0.0.1:5432/daprkit';
const TRANSACTIONS = 500;
const STEPS = ['after-internal-publish', 'after-commit', 'after-relay-publish', 'after-marker-delete'];
const CRASH_PLAN = STEPS.map((step) => `${step}:0.02`).join(',');

function reachable(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => resolve(false));
  });
}

const up = (await reachable(REDIS)) && (await reachable('127.0.0.1:5432'));
if (!up && process.env.CI === 'true') throw new Error(`Redis (${REDIS}) and PostgreSQL are required in CI`);
const suite = up ? describe : describe.skip;

afterAll(stopAllProcesses);

suite(up ? 'outbox crash test' : 'outbox crash test (SKIPPED: Redis or PostgreSQL unreachable)', () => {
  it(`loses and invents nothing across SIGKILLs over ${TRANSACTIONS} transactions`, { timeout: 600_000 }, async () => {
    await ensureSidecarBuilt(['packages/pubsub-redis', 'packages/state-postgresql']);
    const run = randomUUID().slice(0, 8);
    const appId = `crash-${run}`;
    const topic = `orders-${run}`;
    const dir = await mkdtemp(join(tmpdir(), 'dk-outbox-crash-'));
    const registry = join(dir, 'registry.json');
    await writeFile(
      registry,
      JSON.stringify({ 'pubsub.redis': join(REPO_ROOT, 'packages/pubsub-redis/dist/index.js') }),
    );
    await writeFile(
      join(dir, 'components.yaml'),
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: orderpubsub }
spec:
  type: pubsub.redis
  version: v1
  metadata:
    - { name: redisHost, value: "${REDIS}" }
    - { name: consumerID, value: "{appID}" }
    - { name: processingTimeout, value: 2s }
    - { name: redeliverInterval, value: 1s }
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: statestore }
spec:
  type: state.postgresql
  version: v1
  metadata:
    - { name: connectionString, value: "${PG_URL}" }
    - { name: tableName, value: outbox_crash_state }
    - { name: keyPrefix, value: none }
    - { name: outboxPublishPubsub, value: orderpubsub }
    - { name: outboxPublishTopic, value: "${topic}" }
    - { name: outboxDiscardWhenMissingState, value: "true" }
    - { name: outboxMissingStateTimeout, value: 1s }
`,
    );
    const args = ['--app-id', appId, '--resources-path', dir, '--registry', registry];
    const crashesAt = new Map<string, number>(STEPS.map((s) => [s, 0]));
    let crashes = 0;
    let sidecar: SidecarProcess | undefined;
    const alive = () => sidecar !== undefined && sidecar.child.exitCode === null && sidecar.child.signalCode === null;
    const restart = async (crashPlan: string | undefined) => {
      if (sidecar !== undefined) {
        await waitFor(() => !alive() || undefined, 3000, 'crashed sidecar to exit').catch(() => sidecar!.stop());
        const step = /killing the sidecar at ([a-z-]+)/.exec(sidecar.logs())?.[1];
        if (sidecar.child.signalCode === 'SIGKILL' && step !== undefined) {
          crashes++;
          crashesAt.set(step, (crashesAt.get(step) ?? 0) + 1);
        }
        await sidecar.stop();
      }
      sidecar = await startSidecarProcess(args, crashPlan ? { DAPRKIT_OUTBOX_CRASH_AT: crashPlan } : {});
    };

    const started = Date.now();
    const key = (i: number) => `order-${run}-${i}`;
    let acknowledged = 0;
    let interrupted = 0;
    const failures: string[] = [];
    await restart(CRASH_PLAN);
    for (let i = 0; i < TRANSACTIONS; i++) {
      if (!alive()) await restart(CRASH_PLAN);
      const body = JSON.stringify({
        operations: [
          {
            operation: 'upsert',
            request: { key: key(i), value: { orderId: i }, metadata: { contentType: 'application/json' } },
          },
        ],
      });
      try {
        const response = await fetch(`http://127.0.0.1:${sidecar!.httpPort}/v1.0/state/statestore/transaction`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          signal: AbortSignal.timeout(10_000),
        });
        if (response.status === 204) acknowledged++;
        else failures.push(`${response.status} ${await response.text()}`);
      } catch (error) {
        // Refused at connect: the sidecar was already dead, so the transaction never ran; send it again.
        if (String((error as Error).cause).includes('ECONNREFUSED')) i--;
        else interrupted++; // killed mid-request: whether it committed is read back from the store below
      }
    }
    // Recovery: one last start without crashes must drain everything the crashes left behind.
    await restart(undefined);
    const port = sidecar!.httpPort;
    const bulk = await http(
      port,
      'POST',
      '/v1.0/state/statestore/bulk',
      JSON.stringify({ keys: Array.from({ length: TRANSACTIONS }, (_, i) => key(i)) }),
      { 'content-type': 'application/json' },
    );
    const committed = new Set(
      (bulk.json as unknown as { key: string; data?: unknown }[])
        .filter((item) => item.data !== undefined)
        .map((item) => Number(item.key.split('-').pop())),
    );

    const [host, redisPort] = REDIS.split(':');
    const redis = new Redis({ host: host!, port: Number(redisPort ?? 6379), lazyConnect: true });
    await redis.connect();
    const finalEvents = async () =>
      (await redis.xrange(topic, '-', '+')).map(([, fields]) => {
        const event = JSON.parse(fields[fields.indexOf('data') + 1]!) as { id: string; data: { orderId: number } };
        return { id: event.id, orderId: event.data.orderId };
      });
    const internalTopic = `default${appId}${topic}outbox`;
    const drained = async () => {
      const events = await finalEvents();
      const seen = new Set(events.map((e) => e.orderId));
      const groups = (await redis.xinfo('GROUPS', internalTopic)) as unknown[][];
      const pending = Number(groups[0]?.[groups[0].indexOf('pending') + 1] ?? 1);
      const lag = Number(groups[0]?.[groups[0].indexOf('lag') + 1] ?? 1);
      return [...committed].every((i) => seen.has(i)) && pending === 0 && lag === 0 ? events : undefined;
    };
    const events = await waitFor(drained, 180_000, 'the relay to drain the internal topic').catch(async () =>
      finalEvents(),
    );
    await redis.quit();

    const unique = new Map<number, Set<string>>();
    for (const e of events) unique.set(e.orderId, (unique.get(e.orderId) ?? new Set()).add(e.id));
    const lost = [...committed].filter((i) => !unique.has(i));
    const phantom = [...unique.keys()].filter((i) => !committed.has(i));
    const report = {
      transactions: TRANSACTIONS,
      acknowledged,
      committed: committed.size,
      crashes,
      crashesAt: Object.fromEntries(crashesAt),
      finalEvents: events.length,
      lost: lost.length,
      phantom: phantom.length,
      duplicates: events.length - unique.size,
      interrupted,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`OUTBOX CRASH REPORT ${JSON.stringify(report)}`);

    expect(crashes).toBeGreaterThan(0);
    expect(failures).toEqual([]); // every answered request succeeded: the fence never failed a live transaction
    expect(lost).toEqual([]);
    expect(phantom).toEqual([]);
    // A duplicate is a re-publish of the same transaction's event: same id, so subscribers can de-duplicate.
    for (const ids of unique.values()) expect(ids.size).toBe(1);
    // Every transaction the client saw succeed is committed.
    expect(committed.size).toBeGreaterThanOrEqual(acknowledged);
    // No committed marker is left behind: each is deleted, or (relayed, then killed before the ack) fenced.
    const byOrder = new Map(events.map((e) => [e.orderId, e.id]));
    for (const i of committed) {
      const marker = await http(port, 'GET', `/v1.0/state/statestore/${byOrder.get(i)}`);
      expect(marker.status === 204 || marker.text === '"outbox-discarded"').toBe(true);
    }
  });
});
