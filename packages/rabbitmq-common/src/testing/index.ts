/**
 * @daprkit/rabbitmq-common/testing — test support for RabbitMQ components: the shared test broker
 * (`bash scripts/services.sh up rabbitmq`), a `describe` gated on it (skipped visibly without it locally, failing
 * with `CI=true`, where a skip would hide a gap), and an admin channel to inspect and remove test queues and
 * exchanges. The `describe` helper registers vitest suites, so this entry point needs `vitest` (optional peer).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { describe, it } from 'vitest';
import { redactUrl } from '../connect.js';

/** The shared test broker; override with `DAPRKIT_RABBITMQ_URL`. */
export const RABBITMQ_URL = process.env.DAPRKIT_RABBITMQ_URL ?? 'amqp://daprkit:daprkit@127.0.0.1:5672';

/** Throws when the broker does not complete an AMQP handshake within 2 s. */
export async function probeRabbitMQ(url = RABBITMQ_URL): Promise<void> {
  const model = await amqp.connect(url, { timeout: 2000 });
  await model.close();
}

/** `undefined` when the broker answers, otherwise why not. */
export async function rabbitmqUnreachable(url = RABBITMQ_URL): Promise<string | undefined> {
  try {
    await probeRabbitMQ(url);
    return undefined;
  } catch (err) {
    return `RabbitMQ unreachable at ${redactUrl(url)}: ${(err instanceof Error && err.message) || String(err)}`;
  }
}

export type DescribeWithRabbitMQ = (name: string, body: () => void) => void;

/** The test broker's TLS listener (its own test CA) and the folder with `ca.pem`, `client.pem`, `client.key`. */
export const RABBITMQ_TLS_URL = process.env.DAPRKIT_RABBITMQ_TLS_URL ?? 'amqps://daprkit:daprkit@localhost:5671';
export const RABBITMQ_TLS_DIR = process.env.DAPRKIT_RABBITMQ_TLS_DIR ?? '/tmp/daprkit-services/rabbitmq/tls';

/** PEM text of the test CA and of the client certificate whose CN (`daprkit-tls`) is a SASL EXTERNAL user. */
export function testTlsMaterial(): { caCert: string; clientCert: string; clientKey: string } {
  const read = (name: string) => readFileSync(join(RABBITMQ_TLS_DIR, name), 'utf8');
  return { caCert: read('ca.pem'), clientCert: read('client.pem'), clientKey: read('client.key') };
}

/** Like `createDescribeWithRabbitMQ`, for suites that need the TLS listener and the test certificates. */
export async function createDescribeWithRabbitMQTls(): Promise<DescribeWithRabbitMQ> {
  let missing: string | undefined;
  if (!existsSync(join(RABBITMQ_TLS_DIR, 'client.key'))) missing = `no test certificates in ${RABBITMQ_TLS_DIR}`;
  else {
    try {
      const tls = testTlsMaterial();
      const model = await amqp.connect(RABBITMQ_TLS_URL, { timeout: 2000, ca: [tls.caCert] });
      await model.close();
    } catch (err) {
      missing = `RabbitMQ TLS listener unreachable at ${redactUrl(RABBITMQ_TLS_URL)}: ${(err as Error).message}`;
    }
  }
  return gate(missing);
}

/**
 * Probes the broker once and returns a `describe` for suites that need it. Await it at the top of a test-support
 * module: `export const describeWithRabbitMQ = await createDescribeWithRabbitMQ();`.
 */
export async function createDescribeWithRabbitMQ(url = RABBITMQ_URL): Promise<DescribeWithRabbitMQ> {
  return gate(await rabbitmqUnreachable(url));
}

function gate(missing: string | undefined): DescribeWithRabbitMQ {
  return (name, body) => {
    if (missing === undefined) describe(name, body);
    else if (process.env.CI === 'true') {
      describe(name, () => {
        it('has its backend', () => {
          throw new Error(`${missing}; CI must provide it`);
        });
      });
    } else describe.skip(`${name} [skipped: ${missing}; run bash scripts/services.sh up rabbitmq]`, body);
  };
}

/** A plain connection for looking at and tidying the broker in tests. */
export class RabbitAdmin {
  private constructor(
    readonly model: ChannelModel,
    public channel: Channel,
  ) {}

  static async open(url = RABBITMQ_URL): Promise<RabbitAdmin> {
    const model = await amqp.connect(url);
    model.on('error', () => {});
    return new RabbitAdmin(model, await quiet(model.createChannel()));
  }

  /** Reopens the channel if a failed passive check closed it. */
  async #fresh(): Promise<Channel> {
    try {
      await this.channel.checkExchange('amq.direct');
    } catch {
      this.channel = await quiet(this.model.createChannel());
    }
    return this.channel;
  }

  /** Message and consumer counts, or undefined when the queue does not exist. */
  async queue(name: string): Promise<{ messageCount: number; consumerCount: number } | undefined> {
    const channel = await this.#fresh();
    try {
      const q = await channel.checkQueue(name);
      return { messageCount: q.messageCount, consumerCount: q.consumerCount };
    } catch {
      this.channel = await quiet(this.model.createChannel());
      return undefined;
    }
  }

  async exchangeExists(name: string): Promise<boolean> {
    const channel = await this.#fresh();
    try {
      await channel.checkExchange(name);
      return true;
    } catch {
      this.channel = await quiet(this.model.createChannel());
      return false;
    }
  }

  /** Deletes queues and exchanges; missing ones are fine. */
  async remove({ queues = [], exchanges = [] }: { queues?: string[]; exchanges?: string[] }): Promise<void> {
    const channel = await this.#fresh();
    for (const q of queues) await channel.deleteQueue(q).catch(() => {});
    for (const e of exchanges) await channel.deleteExchange(e).catch(() => {});
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => {});
  }
}

/** Channel errors (a failed passive check closes the channel) are expected here: no unhandled 'error' events. */
async function quiet(opening: Promise<Channel>): Promise<Channel> {
  const channel = await opening;
  channel.on('error', () => {});
  return channel;
}
