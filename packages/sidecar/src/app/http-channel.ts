/** Calls from the sidecar to an HTTP app (spec §4.1): keep-alive connections, `dapr-api-token` from APP_API_TOKEN. */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
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

export class HttpAppChannel {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly appId: string,
    private readonly appApiToken?: string,
  ) {}

  send(call: AppRequest): Promise<AppResponse> {
    const headers: Record<string, string> = { 'dapr-app-id': this.appId, ...call.headers };
    if (this.appApiToken) headers['dapr-api-token'] = this.appApiToken;
    if (call.body !== undefined) headers['content-length'] = String(call.body.byteLength);
    const path = `/${call.path.replace(/^\/+/, '')}`;
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method: call.method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (call.timeoutMs !== undefined)
        req.setTimeout(call.timeoutMs, () =>
          req.destroy(new Error(`app did not answer ${call.method} ${path} within ${call.timeoutMs}ms`)),
        );
      req.end(call.body === undefined ? undefined : Buffer.from(call.body));
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
