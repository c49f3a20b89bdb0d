/** Calls from the sidecar to an HTTP app (spec §4.1): keep-alive connections, `dapr-api-token` from APP_API_TOKEN. */
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import type { Dispatcher, Pool } from 'undici';
import { fromRawHeaders } from '../shared/invocation-headers.js';

export interface AppResponse {
  status: number;
  body: Buffer;
}

export interface AppRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  timeoutMs?: number;
}

const EMPTY = Buffer.alloc(0);

export class HttpAppChannel {
  /** node:http keep-alive connections, for calls that need node:http's request API. */
  readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  /**
   * Deliveries (send) use an undici Pool's callback dispatch (no streams, no body copy): cheaper per call than
   * node:http's ClientRequest, which was the largest sidecar-side cost on the delivery benches.
   */
  private readonly pool: Pool;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly appId: string,
    private readonly appApiToken?: string,
  ) {
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    // No timeouts unless the call asks for one (as before with node:http); 256 connections as daprd's HTTP client allows.
    // undici is loaded with the first app channel, not at start-up (a sidecar without an app never loads it).
    const { Pool: UndiciPool } = createRequire(import.meta.url)('undici') as typeof import('undici');
    this.pool = new UndiciPool(origin, { connections: 256, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  }

  send(call: AppRequest): Promise<AppResponse> {
    const headers: Record<string, string> = { 'dapr-app-id': this.appId, ...call.headers };
    if (this.appApiToken) headers['dapr-api-token'] = this.appApiToken;
    const path = call.path.charCodeAt(0) === 47 /* / */ ? `/${call.path.replace(/^\/+/, '')}` : `/${call.path}`;
    const options: Dispatcher.DispatchOptions = { method: call.method as Dispatcher.HttpMethod, path, headers };
    if (call.body !== undefined) options.body = call.body;
    if (call.timeoutMs !== undefined) {
      options.headersTimeout = call.timeoutMs;
      options.bodyTimeout = call.timeoutMs;
    }
    return new Promise((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      this.pool.dispatch(options, {
        onConnect() {},
        onHeaders(statusCode) {
          status = statusCode;
          return true;
        },
        onData(chunk) {
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          resolve({
            status,
            body: chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
          });
        },
        onError(err) {
          const code = (err as { code?: string }).code;
          if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
            reject(new Error(`app did not answer ${call.method} ${path} within ${call.timeoutMs}ms`));
          else reject(err);
        },
      });
    });
  }

  /**
   * A service invocation (spec sidecar-wave2 §1.3): headers as given (multi-valued), the app's status, headers
   * (as sent, multiple values kept) and body back; no `dapr-app-id` is added.
   */
  invoke(call: {
    method: string;
    path: string;
    headers: Record<string, string[]>;
    body: Buffer;
  }): Promise<{ status: number; headers: Record<string, string[]>; body: Buffer }> {
    const headers: Record<string, string | string[]> = call.headers;
    if (this.appApiToken) headers['dapr-api-token'] = this.appApiToken;
    headers['content-length'] = String(call.body.length);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method: call.method, path: call.path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              headers: fromRawHeaders(res.rawHeaders),
              body: Buffer.concat(chunks),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(call.body.length > 0 ? call.body : undefined);
    });
  }

  close(): void {
    this.agent.destroy();
    void this.pool.destroy().catch(() => {});
  }
}

/** Resolves once a TCP connection to the app succeeds (daprd: 500 ms dial timeout, retry every 100 ms). */
export async function waitForAppPort(host: string, port: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const reachable = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
    if (reachable) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
