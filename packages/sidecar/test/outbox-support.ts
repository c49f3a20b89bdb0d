/**
 * Shared by the outbox tests: the backends (in process and as socket plugins), reachability with the CI rule, YAML
 * writing, and plugin processes that can be killed and restarted on the same socket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { waitForSocket } from '@daprkit/component-sdk/testing';
import { REPO_ROOT } from './support.js';

export const REDIS = process.env.DAPRKIT_REDIS_HOST ?? '127.0.0.1:6379';
export const PG_URL = process.env.DAPRKIT_PG_URL ?? 'postgres://daprkit:daprkit@127.0.0.1:5432/daprkit';
export const MYSQL_DSN = process.env.DAPRKIT_MYSQL_DSN ?? 'daprkit:daprkit@tcp(127.0.0.1:3306)/';
export const KAFKA = process.env.DAPRKIT_KAFKA_BROKERS ?? '127.0.0.1:9092';

export interface Backend {
  /** Short name used in socket files, topics and table names. */
  name: string;
  kind: 'state' | 'pubsub';
  /** The in-process component type. */
  type: string;
  /** The package (its dist is loaded in process, its bin serves the socket). */
  pkg: string;
  /** What must answer on loopback (none for memory). */
  address?: string;
  metadata: Record<string, string>;
  /** Keeps data across a restart of the process holding it. */
  durable: boolean;
}

export const STATE_BACKENDS: Backend[] = [
  { name: 'memory', kind: 'state', type: 'state.in-memory', pkg: 'state-memory', metadata: {}, durable: false },
  {
    name: 'redis',
    kind: 'state',
    type: 'state.redis',
    pkg: 'state-redis',
    address: REDIS,
    metadata: { redisHost: REDIS },
    durable: true,
  },
  {
    name: 'postgresql',
    kind: 'state',
    type: 'state.postgresql',
    pkg: 'state-postgresql',
    address: '127.0.0.1:5432',
    metadata: { connectionString: PG_URL, tableName: 'outbox_test_state' },
    durable: true,
  },
  {
    name: 'mysql',
    kind: 'state',
    type: 'state.mysql',
    pkg: 'state-mysql',
    address: '127.0.0.1:3306',
    metadata: { connectionString: MYSQL_DSN, tableName: 'outbox_test_state' },
    durable: true,
  },
];

export const PUBSUB_BACKENDS: Backend[] = [
  { name: 'memory', kind: 'pubsub', type: 'pubsub.in-memory', pkg: 'pubsub-memory', metadata: {}, durable: false },
  {
    name: 'redis',
    kind: 'pubsub',
    type: 'pubsub.redis',
    pkg: 'pubsub-redis',
    address: REDIS,
    // consumerID is the app id (the sidecar's default); reclaim quickly after a consumer dies.
    metadata: { redisHost: REDIS, processingTimeout: '2s', redeliverInterval: '1s' },
    durable: true,
  },
  {
    name: 'kafka',
    kind: 'pubsub',
    type: 'pubsub.kafka',
    pkg: 'pubsub-kafka',
    address: KAFKA,
    // oldest: a fresh group must read internal events published before it first joined. A dead member is
    // noticed after sessionTimeout (6 s is the broker's minimum); rejected events come back after backOffDuration.
    metadata: {
      brokers: KAFKA,
      authType: 'none',
      initialOffset: 'oldest',
      sessionTimeout: '6s',
      heartbeatInterval: '1s',
      backOffDuration: '200ms',
    },
    durable: true,
  },
];

export function reachable(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) });
    socket.setTimeout(1000);
    const settle = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  });
}

/**
 * `undefined` when every backend answers; otherwise the reason, which fails the run with CI=true (a missing backend
 * in CI is a failure, never a skip) and names the skip locally.
 */
export async function unreachable(backends: Backend[]): Promise<string | undefined> {
  const down: string[] = [];
  for (const b of backends)
    if (b.address !== undefined && !(await reachable(b.address))) down.push(`${b.type} (${b.address})`);
  if (down.length === 0) return undefined;
  const reason = `unreachable: ${[...new Set(down)].join(', ')}; run scripts/services.sh up`;
  if (process.env.CI === 'true') throw new Error(`CI requires every backend: ${reason}`);
  return reason;
}

export function yamlComponent(name: string, type: string, metadata: Record<string, string>): string {
  const items = Object.entries(metadata).map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`);
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items.length > 0 ? items.join('\n') : '    []'}\n`;
}

/** The registry entries mapping in-process types to the packages' builds (the sidecar's defaults lack some). */
export function registryFor(backends: Backend[]): Record<string, string> {
  return Object.fromEntries(backends.map((b) => [b.type, join(REPO_ROOT, 'packages', b.pkg, 'dist', 'index.js')]));
}

/** A package's bin serving one socket file, which a test can SIGKILL and have restarted on the same socket. */
export class PluginProcess {
  child: ChildProcess | undefined;
  kills = 0;
  output = '';
  private restart: { delayMs: number; onRestart: () => void } | undefined;

  constructor(
    readonly backend: Backend,
    readonly socketPath: string,
  ) {}

  /** The component type the sidecar discovers for this socket (`<kind>.<file name>`, like daprd). */
  get type(): string {
    return `${this.backend.kind}.${this.socketPath
      .split('/')
      .pop()!
      .replace(/\.sock$/, '')}`;
  }

  /** Spawns the bin; resolves once its socket accepts, rejects if it dies first. */
  async start(): Promise<void> {
    const bin = join(REPO_ROOT, 'packages', this.backend.pkg, 'bin', `daprkit-${this.backend.pkg}.js`);
    const child = spawn(process.execPath, [bin, '--socket', this.socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => this.append(c));
    child.stderr?.on('data', (c: Buffer) => this.append(c));
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => {
        reject(new Error(`${this.type} plugin exited (${signal ?? code}) before accepting`));
        if (this.restart !== undefined && this.child === child) this.scheduleRestart(child);
      }),
    );
    exited.catch(() => {});
    await Promise.race([waitForSocket(this.socketPath, 15_000), exited]);
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL now; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    this.kills++;
    await exited;
  }

  /**
   * From now on, whenever the process dies (even while starting) it is started again after `delayMs`, as a
   * supervisor would; `onRestart` runs once each new process accepts. `stopRestarting()` ends that.
   */
  restartOnExit(delayMs: number, onRestart: () => void): void {
    this.restart = { delayMs, onRestart };
  }

  stopRestarting(): void {
    this.restart = undefined;
  }

  private scheduleRestart(dead: ChildProcess): void {
    setTimeout(() => {
      const policy = this.restart;
      if (policy === undefined || this.child !== dead) return;
      this.start().then(policy.onRestart, (err: unknown) => {
        this.output += `\nrestart failed: ${String(err)}`;
      });
    }, this.restart?.delayMs ?? 0);
  }

  async stop(): Promise<void> {
    this.restart = undefined;
    const child = this.child;
    if (child === undefined || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private append(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-20_000);
  }
}
