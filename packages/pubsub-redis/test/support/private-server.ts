/** A throw-away redis-server of our own (password, kill/restart), for what the shared server must not undergo. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeRedis } from './redis.js';

export const redisServerMissing: string | undefined = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'redis-server binary not found';
  }
})();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class PrivateRedis {
  readonly #dir = mkdtempSync(join(tmpdir(), 'daprkit-pubsub-redis-'));
  #process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly password: string,
  ) {}

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

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** (Re)starts on the same port and waits for PONG. */
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

  /** SIGKILL: a crash, not a clean shutdown. */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
