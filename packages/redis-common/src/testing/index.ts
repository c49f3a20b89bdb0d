/**
 * @daprkit/redis-common/testing — test support for Redis components: reach the shared test server, gate suites on
 * it (skipped visibly without it locally, failing with `CI=true`, where a skip would hide a gap), and run a
 * throw-away redis-server of your own for what a shared server must not undergo (passwords, kill, restart).
 * The `describe*` helpers register vitest suites, so this entry point needs `vitest` (an optional peer dependency).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@daprkit/component-sdk/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';

/** The shared test server (`bash scripts/services.sh up redis`); override with `DAPRKIT_REDIS_HOST`. */
export const REDIS_HOST = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';

/** What a skipped suite's name suggests doing about the missing backend. */
const HINT = 'run bash scripts/services.sh up redis';

/** Throws when Redis at `host` (`name:port`) does not answer a PING within a second; the error has the cause. */
export async function probeRedis(host = REDIS_HOST, password?: string): Promise<void> {
  const [name, port] = host.split(':');
  const client = new Redis({
    host: name,
    port: Number(port ?? 6379),
    password,
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // connect() rejects with a bare "Connection is closed."; the 'error' event has the cause (ECONNREFUSED, ...).
  let cause: Error | undefined;
  client.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw cause ?? err;
  } finally {
    client.disconnect();
  }
}

/** `undefined` when Redis at `host` answers, otherwise why not (`Redis unreachable at <host>: <cause>`). */
export async function redisUnreachable(host = REDIS_HOST): Promise<string | undefined> {
  try {
    await probeRedis(host);
    return undefined;
  } catch (err) {
    return `Redis unreachable at ${host}: ${(err instanceof Error && err.message) || String(err)}`;
  }
}

/**
 * `describe(name, body)` when `missing` is undefined. Otherwise, with `CI=true`, a suite whose one test fails
 * with the reason; locally, `describe.skip` with the reason and `hint` in the suite name.
 */
export function describeIfAvailable(missing: string | undefined, name: string, body: () => void, hint = HINT): void {
  if (missing === undefined) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its backend', () => {
        throw new Error(`${missing}; CI must provide it`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${missing}; ${hint}]`, body);
  }
}

/** A `describe` for suites that need a Redis server. */
export type DescribeWithRedis = (name: string, body: () => void) => void;

/**
 * Probes `host` once and returns a `describe` for suites that need it (see `describeIfAvailable`). Await it at
 * the top of a test-support module: `export const describeWithRedis = await createDescribeWithRedis();`.
 */
export async function createDescribeWithRedis(host = REDIS_HOST): Promise<DescribeWithRedis> {
  const missing = await redisUnreachable(host);
  return (name, body) => describeIfAvailable(missing, name, body);
}

/** `undefined` when a `redis-server` binary is on the PATH (what `PrivateRedis` runs), otherwise the reason. */
export const redisServerMissing: string | undefined = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'redis-server binary not found';
  }
})();

/**
 * A throw-away `redis-server` on a free loopback port with `requirepass`, no persistence and a temp folder of its
 * own: for passwords, crashes and restarts, which a shared server must not undergo. Check `redisServerMissing`
 * first (e.g. `describeIfAvailable(redisServerMissing, ...)`), and `stop()` it when done.
 */
export class PrivateRedis {
  readonly #dir = mkdtempSync(join(tmpdir(), 'daprkit-redis-'));
  #process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly password: string,
  ) {}

  /** Starts a server that requires `password` and resolves once it answers PING. */
  static async start(password: string): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort(), password);
    try {
      await server.restart();
    } catch (err) {
      await server.stop(); // never leave a stray redis-server behind
      throw err;
    }
    return server;
  }

  /** `127.0.0.1:<port>`, as `redisHost` takes it. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** (Re)starts on the same port and waits (up to 10 s) for PONG. */
  async restart(): Promise<void> {
    const args = ['--bind', '127.0.0.1', '--port', String(this.port), '--requirepass', this.password];
    this.#process = spawn('redis-server', [...args, '--save', '', '--appendonly', 'no', '--dir', this.#dir], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probeRedis(this.host, this.password);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** SIGKILL: a crash, not a clean shutdown. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }

  /** Kills the server and removes its folder. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** What a `describeWithPrivateRedis` body reaches: the server (started in `beforeAll`) and its password. */
export interface PrivateRedisSuite {
  readonly server: PrivateRedis;
  readonly password: string;
}

/**
 * A suite against a `PrivateRedis` of its own, with a random password: started before its tests, stopped after
 * them. Without a `redis-server` binary it is skipped visibly, or fails with `CI=true` (see `describeIfAvailable`).
 */
export function describeWithPrivateRedis(name: string, body: (redis: PrivateRedisSuite) => void): void {
  describeIfAvailable(redisServerMissing, name, () => {
    const password = `pw-${randomUUID()}`;
    let server: PrivateRedis | undefined;
    beforeAll(async () => {
      server = await PrivateRedis.start(password);
    });
    afterAll(async () => {
      await server?.stop();
    });
    body({
      password,
      get server() {
        if (server === undefined) throw new Error('the private redis-server is only there once beforeAll has run');
        return server;
      },
    });
  });
}
