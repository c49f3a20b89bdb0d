import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  DaprkitError,
  ErrorCode,
  FailedPreconditionError,
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResponse,
  isTruthy,
  type Logger,
  type Metadata,
  type OutputBinding,
  silentLogger,
  UnavailableError,
} from '@daprkit/component-sdk';
import { type HttpBindingSettings, parseHttpBindingSettings } from './metadata.js';

/** Operations as contrib lists them; `create` is POST. Matching is case-insensitive (contrib upper-cases). */
export const HTTP_OPERATIONS = ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'] as const;
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const DIAL_TIMEOUT_MS = 15_000;
const DEFAULT_CONTENT_TYPE = 'application/json; charset=utf-8';
const TRACE_KEYS = ['traceparent', 'tracestate', 'baggage'];

/** A non-2xx answer while errorIfNot2XX is on. `response` is what contrib also returns beside the error. */
export class HttpStatusError extends DaprkitError {
  constructor(
    readonly response: InvokeResponse,
    status: number,
  ) {
    super(ErrorCode.Unknown, `received status code ${status}`);
  }
}

/** Go's textproto.CanonicalMIMEHeaderKey: `content-type` → `Content-Type`. */
export function canonicalHeaderName(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** `bindings.http`: one HTTP(S) call per invocation, as contrib's binding makes it. */
export class HttpBinding implements OutputBinding {
  private settings: HttpBindingSettings | undefined;
  private httpAgent: HttpAgent | undefined;
  private httpsAgent: HttpsAgent | undefined;
  private closed = false;
  private readonly logger: Logger;

  constructor(options: { logger?: Logger } = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    const settings = parseHttpBindingSettings(properties);
    this.settings = settings;
    this.httpAgent = new HttpAgent({ keepAlive: true });
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      minVersion: 'TLSv1.2',
      ca: settings.ca,
      cert: settings.cert,
      key: settings.key,
    });
  }

  operations(): readonly string[] {
    return HTTP_OPERATIONS;
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const settings = this.settings;
    if (this.closed) throw new FailedPreconditionError('http binding is closed');
    if (settings === undefined) throw new FailedPreconditionError('http binding is not initialised');
    let method = request.operation.toUpperCase();
    if (method === 'CREATE') method = 'POST';
    if (!(HTTP_OPERATIONS as readonly string[]).includes(method.toLowerCase())) {
      throw new InvalidArgumentError(`invalid operation: ${request.operation}`);
    }
    const metadata = request.metadata ?? {};
    const target = metadata.path !== undefined ? joinUrl(settings.baseUrl, metadata.path) : settings.baseUrl;
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new InvalidArgumentError(`request metadata 'path': '${metadata.path}' does not make a valid URL`);
    }
    const errorIfNot2XX =
      metadata.errorIfNot2XX !== undefined ? isTruthy(metadata.errorIfNot2XX) : settings.errorIfNot2XX;

    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(metadata)) {
      if (/^[A-Z]/.test(key)) headers[key] = value;
    }
    for (const key of TRACE_KEYS) {
      const value = metadata[key];
      if (value === undefined) continue;
      const capital = key[0]!.toUpperCase() + key.slice(1);
      if (headers[capital] !== undefined) {
        this.logger.warn('both a capitalised and a lower-case trace header were given; using the lower-case one', {
          header: key,
        });
        delete headers[capital];
      }
      headers[key] = value;
    }
    const body = WITH_BODY.has(method) ? request.data : undefined;
    if (body !== undefined && headers['Content-Type'] === undefined) headers['Content-Type'] = DEFAULT_CONTENT_TYPE;
    if (headers.Accept === undefined) headers.Accept = DEFAULT_CONTENT_TYPE;
    if (settings.securityToken !== undefined) headers[settings.securityToken.header] = settings.securityToken.value;
    if (body !== undefined) headers['Content-Length'] = String(body.byteLength);

    const { status, statusText, responseHeaders, data } = await this.send(settings, url, method, headers, body);
    const response: InvokeResponse = {
      data,
      metadata: { ...responseHeaders, statusCode: String(status), status: `${status} ${statusText}`.trimEnd() },
    };
    if (errorIfNot2XX && (status < 200 || status > 299)) throw new HttpStatusError(response, status);
    return response;
  }

  private send(
    settings: HttpBindingSettings,
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
  ): Promise<{ status: number; statusText: string; responseHeaders: Metadata; data: Uint8Array }> {
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      return Promise.reject(new InvalidArgumentError(`unsupported URL scheme '${url.protocol}'`));
    }
    const limit = settings.maxResponseBodyBytes;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(overall);
        const message = err instanceof Error ? err.message : String(err);
        reject(
          DaprkitError.isInstance(err)
            ? err
            : new UnavailableError(`http binding: ${method} ${url.origin}${url.pathname} failed: ${message}`, {
                cause: err,
              }),
        );
      };
      const options = { method, headers, agent: secure ? this.httpsAgent : this.httpAgent };
      const req = secure ? httpsRequest(url, options) : httpRequest(url, options);
      const overall =
        settings.responseTimeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              req.destroy(new Error(`no complete response within ${settings.responseTimeoutMs}ms (responseTimeout)`));
            }, settings.responseTimeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const dial = setTimeout(
          () => req.destroy(new Error(`connect timed out after ${DIAL_TIMEOUT_MS}ms`)),
          DIAL_TIMEOUT_MS,
        );
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(dial));
        socket.once('close', () => clearTimeout(dial));
      });
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(overall);
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            responseHeaders: collectHeaders(res.rawHeaders),
            data: new Uint8Array(Buffer.concat(chunks)),
          });
        };
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          if (limit !== undefined && size + chunk.length >= limit) {
            chunks.push(chunk.subarray(0, limit - size));
            size = limit;
            truncated = true;
            finish();
            res.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', finish);
        res.on('error', (err) => (truncated ? undefined : fail(err)));
        res.on('close', () => {
          if (!settled && !res.complete) fail(new Error('the connection closed before the response body was complete'));
        });
      });
      req.end(body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
  }
}

/** Response headers under Go's canonical names, repeated headers joined with `, ` (as contrib does). */
function collectHeaders(raw: string[]): Metadata {
  const out: Metadata = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = canonicalHeaderName(raw[i]!);
    out[name] = out[name] === undefined ? raw[i + 1]! : `${out[name]}, ${raw[i + 1]!}`;
  }
  return out;
}
