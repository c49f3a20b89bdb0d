/**
 * App health checks (`--enable-app-health-check`, spec wave2 §5.4, daprd pkg/apphealth): a probe every interval,
 * HTTP `GET <app>/<path>` (2xx = healthy) or gRPC `AppCallbackHealthCheck/HealthCheck` (OK = healthy), each with a
 * timeout. The app starts unhealthy; the first good probe makes it healthy, `threshold` failures in a row make it
 * unhealthy again. Listeners (the subscriber) stop and restart delivery on each change.
 *
 * Other modules read `runtime.appHealth.healthy` before calling the app (daprd fails such calls fast with
 * `app is not in a healthy state`); without health checks it is always true.
 */

import { request } from 'node:http';
import { createRequire } from 'node:module';
import { type Logger, scopedLogger } from '@daprkit/component-sdk';
import type { AppProtocol } from './app-channel.js';

export interface AppHealthCheckOptions {
  enabled: boolean;
  /** HTTP path probed; default `/healthz`. */
  path: string;
  /** Seconds between probes; default 5. */
  intervalSeconds: number;
  /** Per-probe timeout in ms; default 500. */
  timeoutMs: number;
  /** Consecutive failures that make the app unhealthy; default 3. */
  threshold: number;
}

export const DEFAULT_APP_HEALTH_CHECK: AppHealthCheckOptions = {
  enabled: false,
  path: '/healthz',
  intervalSeconds: 5,
  timeoutMs: 500,
  threshold: 3,
};

export const APP_UNHEALTHY_MESSAGE = 'app is not in a healthy state';

/** What the rest of the sidecar sees: one flag and a change listener. */
export interface AppHealthState {
  /** Whether app health checks are on at all. */
  readonly enabled: boolean;
  /** False while the app is unhealthy; calls into the app should fail fast with APP_UNHEALTHY_MESSAGE. */
  readonly healthy: boolean;
  onChange(listener: (healthy: boolean) => void): void;
}

export function validateAppHealthCheck(options: Partial<AppHealthCheckOptions> | undefined): AppHealthCheckOptions {
  const merged = { ...DEFAULT_APP_HEALTH_CHECK, ...options };
  const positive = (name: keyof AppHealthCheckOptions, value: number) => {
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`appHealthCheck.${name} must be a positive number, got ${value}`);
  };
  positive('intervalSeconds', merged.intervalSeconds);
  positive('timeoutMs', merged.timeoutMs);
  if (!Number.isInteger(merged.threshold) || merged.threshold < 1)
    throw new Error(`appHealthCheck.threshold must be an integer ≥ 1, got ${merged.threshold}`);
  if (typeof merged.path !== 'string') throw new Error('appHealthCheck.path must be a string');
  return merged;
}

type Probe = () => Promise<string | undefined>;

function httpProbe(host: string, port: number, path: string, timeoutMs: number): Probe {
  const target = path.startsWith('/') ? path : `/${path}`;
  return () =>
    new Promise((resolve) => {
      const req = request({ host, port, path: target, method: 'GET', timeout: timeoutMs }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 300 ? undefined : `status code ${code}`);
      });
      req.on('timeout', () => req.destroy(new Error('probe timed out')));
      req.on('error', (error) => resolve(error.message));
      req.end();
    });
}

function grpcProbe(host: string, port: number, timeoutMs: number): { probe: Probe; close(): void } {
  // grpc-js only for gRPC apps with health checks on: nobody else pays its load at start-up.
  const { Client, credentials } = createRequire(import.meta.url)('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const client = new Client(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials.createInsecure());
  const empty = Buffer.alloc(0);
  const probe: Probe = () =>
    new Promise((resolve) => {
      client.makeUnaryRequest(
        '/dapr.proto.runtime.v1.AppCallbackHealthCheck/HealthCheck',
        () => empty,
        (bytes: Buffer) => bytes,
        empty,
        { deadline: Date.now() + timeoutMs },
        (error) => resolve(error ? error.message : undefined),
      );
    });
  return { probe, close: () => client.close() };
}

export class AppHealth implements AppHealthState {
  private state: boolean;
  private failures: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((healthy: boolean) => void)[] = [];
  private closeProbe = () => {};
  private readonly log: Logger;

  constructor(
    private readonly options: AppHealthCheckOptions,
    logger: Logger,
  ) {
    this.state = !options.enabled;
    this.failures = options.threshold; // daprd: starts unhealthy, one good probe flips it
    this.log = scopedLogger(logger, 'dapr.apphealth');
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  get healthy(): boolean {
    return this.state;
  }

  onChange(listener: (healthy: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Starts probing the app (first probe after one interval, as daprd). */
  start(protocol: AppProtocol, host: string, port: number): void {
    if (!this.options.enabled || this.timer !== undefined) return;
    let probe: Probe;
    if (protocol === 'grpc') {
      const grpc = grpcProbe(host, port, this.options.timeoutMs);
      probe = grpc.probe;
      this.closeProbe = grpc.close;
    } else {
      probe = httpProbe(host, port, this.options.path, this.options.timeoutMs);
    }
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      probe()
        .then((failure) => this.report(failure))
        .finally(() => {
          running = false;
        });
    }, this.options.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** One probe result: undefined = success, else the reason. */
  report(failure: string | undefined): void {
    if (failure === undefined) {
      this.failures = 0;
      if (!this.state) this.set(true, undefined);
      return;
    }
    this.failures++;
    if (this.state && this.failures >= this.options.threshold) this.set(false, failure);
  }

  private set(healthy: boolean, reason: string | undefined): void {
    this.state = healthy;
    if (healthy) this.log.info('App entered healthy status');
    else this.log.warn(reason ? `App entered un-healthy status: ${reason}` : 'App entered un-healthy status');
    for (const listener of this.listeners) {
      try {
        listener(healthy);
      } catch (error) {
        this.log.error('app health listener failed', { error: (error as Error).message });
      }
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.closeProbe();
  }
}
