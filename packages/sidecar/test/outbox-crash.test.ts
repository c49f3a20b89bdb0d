/**
 * Crash safety of the outbox over 500 transactions per scenario, on durable backends:
 * - "sidecar" scenarios: the sidecar SIGKILLs itself at random outbox steps (DAPRKIT_OUTBOX_CRASH_AT, test-only) and
 *   is restarted after every crash (components in process, or served by plugin processes that outlive it);
 * - "components" scenarios: the state and pub/sub plugin processes are SIGKILLed — at the same outbox steps
 *   (DAPRKIT_OUTBOX_CRASH_TARGET) and at random moments, i.e. mid-call — and restarted; the sidecar stays up.
 * Afterwards every committed transaction has its event on the final topic (0 lost), no event exists for a
 * transaction that did not commit (0 phantom), and duplicates keep the id of their original. The report line
 * (OUTBOX CRASH REPORT) carries the numbers quoted in the README.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Admin, type Consumer, Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  PluginProcess,
  PUBSUB_BACKENDS,
  REDIS,
  registryFor,
  STATE_BACKENDS,
  unreachable,
  yamlComponent,
} from './outbox-support.js';
import {
  ensureSidecarBuilt,
  http,
  type SidecarProcess,
  startSidecarProcess,
  stopAllProcesses,
  waitFor,
} from './support.js';

const TRANSACTIONS = 500;
/** Kills to land on the relay's steps while the backlog drains, after the last transaction. */
const RELAY_KILLS = 3;
const STEPS = ['after-internal-publish', 'after-commit', 'after-relay-publish', 'after-marker-delete'];
const backend = (list: Backend[], name: string) => list.find((b) => b.name === name)!;
const [pg, redisState, mysql] = ['postgresql', 'redis', 'mysql'].map((n) => backend(STATE_BACKENDS, n)) as [
  Backend,
  Backend,
  Backend,
];
const [streams, kafka] = ['redis', 'kafka'].map((n) => backend(PUBSUB_BACKENDS, n)) as [Backend, Backend];

interface Scenario {
  kill: 'sidecar' | 'components';
  store: Backend;
  pubsub: Backend;
  sockets: boolean;
  /** Probability per pass of each step's crash point. */
  p: number;
}

const SCENARIOS: Scenario[] = [
  { kill: 'sidecar', store: pg, pubsub: streams, sockets: false, p: 0.02 },
  { kill: 'sidecar', store: redisState, pubsub: kafka, sockets: false, p: 0.01 },
  { kill: 'sidecar', store: mysql, pubsub: streams, sockets: true, p: 0.02 },
  { kill: 'components', store: pg, pubsub: streams, sockets: true, p: 0.01 },
  { kill: 'components', store: redisState, pubsub: kafka, sockets: true, p: 0.005 },
];

const skipReason = await unreachable([pg, redisState, mysql, streams, kafka]);
const suite = skipReason === undefined ? describe : describe.skip;

afterAll(stopAllProcesses);

interface FinalEvent {
  id: string;
  orderId: number;
}

/** Reads what the relay published on the final topic, and whether it has consumed all of the internal one. */
interface TopicProbe {
  events(): Promise<FinalEvent[]>;
  drained(): Promise<boolean>;
  close(): Promise<void>;
}

const parseEvent = (raw: string): FinalEvent => {
  const event = JSON.parse(raw) as { id: string; data: { orderId: number } };
  return { id: event.id, orderId: event.data.orderId };
};

async function redisProbe(topic: string, internalTopic: string): Promise<TopicProbe> {
  const [host, port] = REDIS.split(':');
  const redis = new Redis({ host: host!, port: Number(port ?? 6379), lazyConnect: true });
  await redis.connect();
  return {
    events: async () =>
      (await redis.xrange(topic, '-', '+')).map(([, fields]) => parseEvent(fields[fields.indexOf('data') + 1]!)),
    drained: async () => {
      const groups = (await redis.xinfo('GROUPS', internalTopic)) as unknown[][];
      const field = (name: string) => Number(groups[0]?.[groups[0].indexOf(name) + 1] ?? 1);
      return field('pending') === 0 && field('lag') === 0;
    },
    close: async () => {
      await redis.quit();
    },
  };
}

async function kafkaProbe(topic: string, internalTopic: string, group: string): Promise<TopicProbe> {
  const client = new Kafka({ brokers: [kafka.metadata.brokers!], clientId: 'outbox-crash-probe', logLevel: 0 });
  const admin: Admin = client.admin();
  await admin.connect();
  const seen: FinalEvent[] = [];
  const consumer: Consumer = client.consumer({ groupId: `probe-${randomUUID()}` });
  await consumer.connect();
  // The final topic may not exist yet (nothing relayed so far); subscribing while it is being auto-created fails.
  await admin.createTopics({ topics: [{ topic }], waitForLeaders: true }).catch(() => false);
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(parseEvent(message.value!.toString()));
    },
  });
  return {
    events: async () => [...seen],
    drained: async () => {
      // A topic nobody has written to yet does not exist: not drained (yet).
      if (!(await admin.listTopics()).includes(topic)) return false;
      const ends = await admin.fetchTopicOffsets(internalTopic);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [internalTopic] });
      const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
      const finalEnds = await admin.fetchTopicOffsets(topic);
      const read = finalEnds.reduce((sum, p) => sum + Number(p.high), 0);
      return ends.every((p) => Number(p.high) === 0 || at.get(p.partition) === Number(p.high)) && seen.length >= read;
    },
    close: async () => {
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}

suite(`outbox crash tests${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  it.each(SCENARIOS)(
    `kills the $kill ($store.name state + $pubsub.name pub/sub, sockets: $sockets): nothing lost or invented over ${TRANSACTIONS} transactions`,
    { timeout: 600_000 },
    async (scenario) => {
      const { store, pubsub } = scenario;
      await ensureSidecarBuilt([`packages/${store.pkg}`, `packages/${pubsub.pkg}`]);
      const run = randomUUID().slice(0, 8);
      const appId = `crash-${run}`;
      const topic = `orders-${run}`;
      const dir = await mkdtemp(join(tmpdir(), 'dk-outbox-crash-'));
      const sockets = await mkdtemp('/tmp/dk-crash-');
      const pidFile = join(dir, 'component-pids');
      const plugins = scenario.sockets
        ? [store, pubsub].map((b) => new PluginProcess(b, join(sockets, `crash-${b.name}-${b.kind}.sock`)))
        : [];
      await Promise.all(plugins.map((p) => p.start()));
      const writePids = () => writeFile(pidFile, plugins.map((p) => p.child?.pid ?? '').join('\n'));
      await writePids();
      const typeOf = (b: Backend) => plugins.find((p) => p.backend === b)?.type ?? b.type;
      const registry = join(dir, 'registry.json');
      await writeFile(registry, JSON.stringify(registryFor([store, pubsub])));
      await writeFile(
        join(dir, 'components.yaml'),
        [
          yamlComponent('orderpubsub', typeOf(pubsub), pubsub.metadata),
          yamlComponent('statestore', typeOf(store), {
            ...store.metadata,
            tableName: 'outbox_crash_state',
            keyPrefix: 'none',
            outboxPublishPubsub: 'orderpubsub',
            outboxPublishTopic: topic,
            outboxDiscardWhenMissingState: 'true',
            outboxMissingStateTimeout: '1s',
          }),
        ].join('---\n'),
      );
      const args = ['--app-id', appId, '--resources-path', dir, '--registry', registry, '--sockets-folder', sockets];
      const crashPlan = STEPS.map((step) => `${step}:${scenario.p}`).join(',');
      const relayPlan = STEPS.slice(2)
        .map((step) => `${step}:${Math.max(scenario.p, 0.02)}`)
        .join(',');
      const crashEnv = (plan: string | undefined): Record<string, string> =>
        plan === undefined
          ? {}
          : scenario.kill === 'sidecar'
            ? { DAPRKIT_OUTBOX_CRASH_AT: plan }
            : { DAPRKIT_OUTBOX_CRASH_AT: plan, DAPRKIT_OUTBOX_CRASH_TARGET: pidFile };

      const crashesAt = new Map<string, number>(STEPS.map((s) => [s, 0]));
      let sidecarCrashes = 0;
      let sidecar: SidecarProcess | undefined;
      const alive = () => sidecar !== undefined && sidecar.child.exitCode === null && sidecar.child.signalCode === null;
      const countStepKills = (logs: string) => {
        for (const m of logs.matchAll(/DAPRKIT_OUTBOX_CRASH_AT: kill\w* [^\n]*? at ([a-z-]+)/g))
          crashesAt.set(m[1]!, (crashesAt.get(m[1]!) ?? 0) + 1);
      };
      const restart = async (plan: string | undefined) => {
        if (sidecar !== undefined) {
          if (sidecar.child.signalCode === 'SIGKILL') sidecarCrashes++;
          await sidecar.stop();
          countStepKills(sidecar.logs());
        }
        sidecar = await startSidecarProcess(args, crashEnv(plan));
      };

      const started = Date.now();
      const key = (i: number) => `order-${run}-${i}`;
      let acknowledged = 0;
      let interrupted = 0;
      const failures: string[] = [];
      await restart(crashPlan);
      // Components scenario: plugins come back 200 ms after dying; chaos also kills one every 0.5–1.5 s (mid-call).
      // It starts once the sidecar is up: like daprd, the sidecar discovers sockets once, at start-up.
      let chaos: NodeJS.Timeout | undefined;
      let randomKills = 0;
      if (scenario.kill === 'components') {
        for (const p of plugins) p.restartOnExit(200, () => void writePids());
        const tick = () => {
          chaos = setTimeout(
            () => {
              const victim = plugins[Math.floor(Math.random() * plugins.length)]!;
              if (victim.alive) {
                randomKills++;
                void victim.kill();
              }
              tick();
            },
            500 + Math.random() * 1000,
          );
        };
        tick();
      }

      for (let i = 0; i < TRANSACTIONS; i++) {
        if (!alive()) await restart(crashPlan);
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
            signal: AbortSignal.timeout(20_000),
          });
          if (response.status === 204) acknowledged++;
          else {
            failures.push(`${response.status} ${await response.text()}`);
            await new Promise((r) => setTimeout(r, 100)); // a component is down: give it a moment
          }
        } catch (error) {
          // Refused at connect: the sidecar was already dead, so the transaction never ran; send it again.
          if (String((error as Error).cause).includes('ECONNREFUSED')) i--;
          else interrupted++; // killed mid-request: whether it committed is read back from the store below
        }
      }
      clearTimeout(chaos);
      const loopSeconds = Math.round((Date.now() - started) / 1000);
      const internalTopic = `default${appId}${topic}outbox`;
      const probe =
        pubsub === kafka ? await kafkaProbe(topic, internalTopic, appId) : await redisProbe(topic, internalTopic);

      // The relay under fire: much of its work happens after the last transaction (with Kafka nearly all of it, the
      // group rebalancing after each restart), so its two steps stay armed while the backlog drains, until
      // RELAY_KILLS more kills landed there or it drained.
      const relayKills = () => (crashesAt.get(STEPS[2]!) ?? 0) + (crashesAt.get(STEPS[3]!) ?? 0);
      if (scenario.kill === 'sidecar') {
        const target = relayKills() + RELAY_KILLS;
        while (relayKills() < target) {
          await restart(relayPlan);
          const outcome = await waitFor(
            async () => (!alive() ? 'killed' : (await probe.drained()) ? 'drained' : undefined),
            180_000,
            'a relay kill or the drain',
          );
          if (outcome === 'drained') break;
        }
      } else {
        const relayKillsLogged = () =>
          (sidecar!.logs().match(/killed component process \d+ at after-(relay-publish|marker-delete)/g) ?? []).length;
        const target = relayKillsLogged() + RELAY_KILLS;
        await waitFor(
          async () => relayKillsLogged() >= target || (await probe.drained()) || undefined,
          180_000,
          'a relay kill or the drain',
        );
      }

      // Recovery: no more kills; whatever the crashes left behind must drain.
      await writeFile(pidFile, ''); // disarms the component crash points
      if (scenario.kill === 'sidecar') await restart(undefined);
      else
        await waitFor(() => plugins.every((p) => p.alive) || undefined, 15_000, 'plugins back').catch((error) => {
          throw new Error(
            `${(error as Error).message}\n${plugins.map((p) => `--- ${p.type}\n${p.output}`).join('\n')}`,
          );
        });
      const port = sidecar!.httpPort;
      const readBack = () =>
        http(
          port,
          'POST',
          '/v1.0/state/statestore/bulk',
          JSON.stringify({ keys: Array.from({ length: TRANSACTIONS }, (_, i) => key(i)) }),
          { 'content-type': 'application/json' },
        );
      const bulk = await waitFor(async () => {
        const r = await readBack();
        return r.status === 200 ? r : undefined;
      }, 15_000);
      const committed = new Set(
        (bulk.json as unknown as { key: string; data?: unknown }[])
          .filter((item) => item.data !== undefined)
          .map((item) => Number(item.key.split('-').pop())),
      );

      const drained = async () => {
        const events = await probe.events();
        const seen = new Set(events.map((e) => e.orderId));
        return [...committed].every((i) => seen.has(i)) && (await probe.drained()) ? events : undefined;
      };
      const events = await waitFor(drained, 180_000, 'the relay to drain the internal topic').catch(() =>
        probe.events(),
      );
      await probe.close();
      if (scenario.kill === 'components') countStepKills(sidecar!.logs());
      for (const p of plugins) p.stopRestarting();

      const unique = new Map<number, Set<string>>();
      for (const e of events) unique.set(e.orderId, (unique.get(e.orderId) ?? new Set()).add(e.id));
      const lost = [...committed].filter((i) => !unique.has(i));
      const phantom = [...unique.keys()].filter((i) => !committed.has(i));
      const report = {
        scenario: `kill ${scenario.kill}: ${store.name} + ${pubsub.name}${scenario.sockets ? ' over sockets' : ' in process'}`,
        transactions: TRANSACTIONS,
        acknowledged,
        committed: committed.size,
        sidecarCrashes,
        killsAtSteps: Object.fromEntries(crashesAt),
        randomKills,
        failedRequests: failures.length,
        interrupted,
        finalEvents: events.length,
        lost: lost.length,
        phantom: phantom.length,
        duplicates: events.length - unique.size,
        seconds: Math.round((Date.now() - started) / 1000),
        loopSeconds,
      };
      console.log(`OUTBOX CRASH REPORT ${JSON.stringify(report)}`);

      expect([...crashesAt.values()].reduce((a, b) => a + b, 0) + randomKills).toBeGreaterThan(0);
      if (scenario.kill === 'sidecar') {
        // Every answered request succeeded: the fence never failed a live transaction.
        expect(failures).toEqual([]);
      } else {
        // With a component down, requests fail with the documented errors, never anything else; the sidecar lives.
        for (const failure of failures)
          expect(failure).toMatch(/^500 .*"errorCode":"ERR_(STATE_TRANSACTION|PUBLISH_OUTBOX)"/);
        expect(alive()).toBe(true);
        expect(sidecarCrashes).toBe(0);
      }
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
      await sidecar!.stop();
      await Promise.all(plugins.map((p) => p.stop()));
    },
  );
});
