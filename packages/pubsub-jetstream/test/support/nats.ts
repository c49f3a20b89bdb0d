/**
 * Test access to the real NATS JetStream server (`bash scripts/services.sh up nats`). Without it the suites are
 * skipped with the reason in their name locally, and fail in CI (`CI=true`), where a skip would hide a gap.
 * The component never creates streams, so tests create theirs here with the client's manager API.
 */
import { randomUUID } from 'node:crypto';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describe, it } from 'vitest';

export const NATS_URL = process.env.DAPRKIT_NATS_URL ?? 'nats://127.0.0.1:4222';

export async function openNats(): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: NATS_URL, timeout: 2000, maxReconnectAttempts: 0 });
  return { nc, jsm: await jetstreamManager(nc) };
}

const unreachable = await openNats().then(
  async ({ nc }) => {
    await nc.close();
    return undefined;
  },
  (err: Error) => err.message || String(err),
);

export async function probeNats(): Promise<void> {
  if (unreachable !== undefined) throw new Error(`NATS unreachable at ${NATS_URL}: ${unreachable}`);
}

export const natsReachable = unreachable === undefined;

/** `describe` for suites that need the server: skipped visibly without it, failing in CI. */
export function describeWithNats(name: string, body: () => void): void {
  if (unreachable === undefined) describe(name, body);
  else if (process.env.CI === 'true')
    describe(name, () => {
      it('has its server', () => {
        throw new Error(`NATS unreachable at ${NATS_URL}: ${unreachable}; CI must provide it`);
      });
    });
  else
    describe.skip(
      `${name} [skipped: NATS unreachable at ${NATS_URL}: ${unreachable}; run bash scripts/services.sh up nats]`,
      body,
    );
}

/** Creates a stream `<name>` on subjects `<prefix>.>` (file storage) and returns the prefix. */
export async function createStream(jsm: JetStreamManager, label: string): Promise<{ name: string; prefix: string }> {
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const name = `daprkit-${label}-${id}`;
  const prefix = `daprkit.${label}.${id}`;
  await jsm.streams.add({ name, subjects: [`${prefix}.>`] });
  return { name, prefix };
}
