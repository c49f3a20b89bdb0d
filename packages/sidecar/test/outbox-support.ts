/**
 * Shared by the outbox tests: the backends (in process and as socket plugins), reachability with the CI rule, YAML
 * writing, and plugin processes that can be killed and restarted on the same socket.
 */
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type PluginProcess as SdkPluginProcess, startPluginProcess } from '@daprkit/component-sdk/testing';
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

/**
 * A package's bin serving one socket file (started with the SDK's `startPluginProcess`), which a test can SIGKILL
 * and, with `restartOnExit`, have started again on the same socket whenever it dies, as a supervisor would.
 */
export class PluginProcess {
  private current: SdkPluginProcess | undefined;
  private restart: { delayMs: number; onRestart: () => void } | undefined;
  /** Why restarts failed, if they did (shown when a test gives up waiting). */
  failures = '';

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

  get child(): ChildProcess | undefined {
    return this.current?.child;
  }

  get output(): string {
    return `${this.current?.logs() ?? ''}${this.failures}`;
  }

  /** Spawns the bin; resolves once its socket accepts, rejects if it dies first (restarting it if asked to). */
  async start(): Promise<void> {
    const bin = join(REPO_ROOT, 'packages', this.backend.pkg, 'bin', `daprkit-${this.backend.pkg}.js`);
    let plugin: SdkPluginProcess;
    try {
      plugin = await startPluginProcess(bin, this.socketPath);
    } catch (error) {
      if (this.restart !== undefined) this.scheduleRestart();
      throw error;
    }
    this.current = plugin;
    const onExit = () => {
      if (this.restart !== undefined && this.current === plugin) this.scheduleRestart();
    };
    plugin.child.once('exit', onExit);
    if (!this.alive) onExit(); // died between accepting and now
  }

  get alive(): boolean {
    const child = this.current?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGKILL now; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.alive) await this.current!.kill();
  }

  /** From now on, a dead process is started again after `delayMs`; `onRestart` runs once the new one accepts. */
  restartOnExit(delayMs: number, onRestart: () => void): void {
    this.restart = { delayMs, onRestart };
  }

  stopRestarting(): void {
    this.restart = undefined;
  }

  private scheduleRestart(): void {
    setTimeout(() => {
      const policy = this.restart;
      if (policy === undefined || this.alive) return;
      this.start().then(policy.onRestart, (error: unknown) => {
        this.failures += `\nrestart failed: ${String(error)}`;
      });
    }, this.restart?.delayMs ?? 0);
  }

  async stop(): Promise<void> {
    this.restart = undefined;
    const child = this.current?.child;
    if (child === undefined || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
