/**
 * gRPC proxy mode (spec sidecar-wave2 §1.7): a call to a method this sidecar does not serve goes, frames unchanged,
 * to the app named by `dapr-callee-app-id` (else `dapr-app-id`): this sidecar's own gRPC app when the id is ours,
 * otherwise the remote sidecar's internal gRPC port found by name resolution (which proxies on to its app).
 * The API server and the internal server register the same handler as their engine fallback.
 *
 * Upstream connections are node:http2 sessions, one per `host:port`, reused by every call and dropped when they
 * fail or go idle; streaming calls (bidi, client or server streaming) pass through as they are.
 */
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { createRequire } from 'node:module';
import type { Logger } from '@daprkit/component-sdk';
import type { RawCall } from '@daprkit/component-sdk/transport';
import type { NameResolver } from '../nameresolution/types.js';
import type { HeaderMap } from '../shared/invocation.js';
import { type AccessControlList, denial } from './access-control.js';
import { normalizeMethod } from './method.js';

const UNKNOWN = 2;
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const PERMISSION_DENIED = 7;
const UNAVAILABLE = 14;

export const MISSING_TARGET_MESSAGE =
  'failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found';

/** Request headers never forwarded (HTTP/2 connection-level, or set by us per hop). */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);
/** Response header names passed back from upstream neither as headers nor trailers. */
const RESPONSE_SKIP = new Set([':status', 'content-length', 'date', ...HOP_HEADERS]);
/** Upstream writes buffered beyond this fail the call (the engine acknowledges client DATA as it arrives). */
const MAX_BUFFERED_BYTES = 16 << 20;
const IDLE_SESSION_MS = 3 * 60_000;

// node:http2 is loaded on the first proxied call: most sidecars never proxy, and start-up skips it (issue 13).
let http2: typeof import('node:http2') | undefined;
const h2 = () => (http2 ??= createRequire(import.meta.url)('node:http2') as typeof import('node:http2'));

export interface GrpcProxyOptions {
  appId: string;
  /** This sidecar's namespace (env NAMESPACE, default `default`): `id.namespace` targets compare against it. */
  namespace: string;
  /** `host:port` of the local app's gRPC server; undefined without a gRPC app (local targets then fail). */
  appAddress: string | undefined;
  /** APP_API_TOKEN, sent as `dapr-api-token` to the local app. */
  appApiToken?: string;
  /** Finds remote sidecars; undefined: remote targets fail with UNAVAILABLE. */
  resolver?: NameResolver;
  /** Our internal gRPC port, passed in ResolveRequest.port (daprd does). */
  internalPort?: number;
  /** Configuration `spec.accessControl`, checked before a call goes to the local app (daprd's proxy does). */
  accessControl?: AccessControlList;
  logger: Logger;
}

export interface GrpcProxy {
  /** The engine fallback (GrpcServerOptions.fallback). */
  handle(call: RawCall): void;
  /** Closes every upstream connection. */
  close(): void;
}

interface Target {
  authority: string;
  local: boolean;
  appId: string;
}

interface Failure {
  code: number;
  message: string;
}

const unavailable = (why: string): Failure => ({ code: UNAVAILABLE, message: `failed to proxy request: ${why}` });

/** `id` or `id.namespace` (daprd: more than one dot is an invalid id). */
function splitAppId(value: string, ownNamespace: string): { id: string; namespace: string } | undefined {
  const parts = value.split('.');
  if (parts.length === 1) return { id: value, namespace: ownNamespace };
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return { id: parts[0]!, namespace: parts[1]! };
  return undefined;
}

export function createGrpcProxy(options: GrpcProxyOptions): GrpcProxy {
  const sessions = new Map<string, ClientHttp2Session>();

  function session(authority: string): ClientHttp2Session {
    const existing = sessions.get(authority);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const created = h2().connect(`http://${authority}`);
    const forget = () => {
      if (sessions.get(authority) === created) sessions.delete(authority);
    };
    created.on('error', forget);
    created.on('close', forget);
    created.on('goaway', forget);
    created.setTimeout(IDLE_SESSION_MS, () => {
      forget();
      created.close();
    });
    created.unref();
    sessions.set(authority, created);
    return created;
  }

  async function targetOf(call: RawCall): Promise<Target | Failure> {
    const metadata = call.metadata;
    const raw = metadata.get('dapr-callee-app-id')[0] ?? metadata.get('dapr-app-id')[0];
    if (raw === undefined || String(raw) === '') return { code: UNKNOWN, message: MISSING_TARGET_MESSAGE };
    const target = splitAppId(String(raw), options.namespace);
    if (target === undefined)
      return { code: INVALID_ARGUMENT, message: `failed to proxy request: invalid app id ${String(raw)}` };
    if (target.id === options.appId && target.namespace === options.namespace) {
      if (options.appAddress === undefined)
        return unavailable(
          `app ${target.id} has no gRPC channel (start the sidecar with --app-port and --app-protocol grpc)`,
        );
      return { authority: options.appAddress, local: true, appId: target.id };
    }
    if (options.resolver === undefined) return unavailable(`no name resolution configured to find app ${target.id}`);
    try {
      const authority = await options.resolver.resolve({
        id: target.id,
        namespace: target.namespace,
        port: options.internalPort ?? 0,
      });
      return { authority, local: false, appId: target.id };
    } catch (error) {
      return unavailable(`error resolving app ${target.id}: ${(error as Error).message}`);
    }
  }

  /** daprd checks the list on the local leg, on the normalised method name with no verb. */
  function accessDenied(call: RawCall): Failure | undefined {
    const acl = options.accessControl;
    if (acl === undefined) return undefined;
    let operation: string;
    try {
      operation = normalizeMethod(call.path);
    } catch (error) {
      return { code: INVALID_ARGUMENT, message: (error as Error).message };
    }
    const metadata: HeaderMap = {};
    for (const name of ['dapr-caller-app-id', 'dapr-caller-namespace']) {
      const value = call.metadata.get(name)[0];
      if (value !== undefined) metadata[name] = [String(value)];
    }
    const why = denial(acl, metadata, options.namespace, operation, 'NONE');
    return why === undefined ? undefined : { code: PERMISSION_DENIED, message: why };
  }

  /** The request headers for the next hop (§1.7: local drops the API token, remote drops dapr-app-id). */
  function upstreamHeaders(call: RawCall, target: Target): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {
      [h2().constants.HTTP2_HEADER_METHOD]: 'POST',
      [h2().constants.HTTP2_HEADER_PATH]: call.path,
      [h2().constants.HTTP2_HEADER_AUTHORITY]: target.authority,
    };
    const h = call.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      if (name.charCodeAt(0) === 0x3a || HOP_HEADERS.has(name) || name === 'dapr-api-token') continue;
      if (!target.local && (name === 'dapr-app-id' || name === 'dapr-caller-app-id' || name === 'dapr-callee-app-id'))
        continue;
      const value = h[i + 1]!;
      const previous = out[name];
      out[name] = previous === undefined ? value : `${String(previous)}, ${value}`;
    }
    if (target.local) {
      if (options.appApiToken) out['dapr-api-token'] = options.appApiToken;
    } else {
      out['dapr-caller-app-id'] = options.appId;
      out['dapr-callee-app-id'] = target.appId;
    }
    return out;
  }

  function pairsOf(headers: IncomingHttpHeaders): [string, string][] {
    const pairs: [string, string][] = [];
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined || RESPONSE_SKIP.has(name) || name.charCodeAt(0) === 0x3a) continue;
      if (Array.isArray(value)) for (const v of value) pairs.push([name, v]);
      else pairs.push([name, String(value)]);
    }
    return pairs;
  }

  function forward(call: RawCall, target: Target, buffered: Buffer[], ended: boolean): void {
    let upstream: ClientHttp2Stream;
    try {
      upstream = session(target.authority).request(upstreamHeaders(call, target), { endStream: false });
    } catch (error) {
      call.finish(UNAVAILABLE, `failed to proxy request to ${target.appId}: ${(error as Error).message}`);
      return;
    }
    let gotResponse = false;
    let gotTrailers = false;
    let headerPairs: [string, string][] = [];
    upstream.on('response', (headers) => {
      gotResponse = true;
      const status = Number(headers[h2().constants.HTTP2_HEADER_STATUS]);
      if (status !== 200) {
        upstream.close(h2().constants.NGHTTP2_CANCEL);
        call.finish(UNKNOWN, `failed to proxy request to ${target.appId}: upstream answered HTTP ${status}`);
        return;
      }
      headerPairs = pairsOf(headers);
      // A trailers-only answer carries grpc-status in the headers: sent on at the end, as trailers-only too.
      if (headers['grpc-status'] === undefined) call.sendHeaders(headerPairs);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!call.write(chunk)) {
        upstream.pause();
        call.onDrain = () => upstream.resume();
      }
    });
    upstream.on('trailers', (trailers) => {
      gotTrailers = true;
      call.finishRaw(pairsOf(trailers));
    });
    upstream.on('end', () => {
      if (gotTrailers || call.finished) return;
      if (gotResponse && headerPairs.some(([name]) => name === 'grpc-status')) call.finishRaw(headerPairs);
      else call.finish(UNKNOWN, `failed to proxy request to ${target.appId}: upstream ended without a gRPC status`);
    });
    upstream.on('error', (error) => {
      if (!call.finished)
        call.finish(UNAVAILABLE, `failed to proxy request to ${target.appId}: ${(error as Error).message}`);
    });
    upstream.on('close', () => {
      if (!call.finished)
        call.finish(
          UNAVAILABLE,
          `failed to proxy request to ${target.appId}: upstream stream closed (code ${upstream.rstCode})`,
        );
    });
    const send = (chunk: Buffer) => {
      upstream.write(chunk);
      if (upstream.writableLength > MAX_BUFFERED_BYTES) {
        upstream.close(h2().constants.NGHTTP2_CANCEL);
        call.finish(
          RESOURCE_EXHAUSTED,
          `proxied request to ${target.appId} buffered more than ${MAX_BUFFERED_BYTES} bytes`,
        );
      }
    };
    for (const chunk of buffered) send(chunk);
    if (ended) upstream.end();
    else {
      call.onData = (chunk) => send(Buffer.from(chunk));
      call.onEnd = () => upstream.end();
    }
    call.onCancel = () => {
      if (!upstream.closed) upstream.close(h2().constants.NGHTTP2_CANCEL);
    };
  }

  return {
    handle(call) {
      // Resolution may be asynchronous: keep what arrives meanwhile (copies; the engine's chunks are views).
      const buffered: Buffer[] = [];
      let bufferedBytes = 0;
      let ended = false;
      let cancelled = false;
      call.onData = (chunk) => {
        bufferedBytes += chunk.length;
        if (bufferedBytes > MAX_BUFFERED_BYTES) {
          call.finish(RESOURCE_EXHAUSTED, `request to proxy buffered more than ${MAX_BUFFERED_BYTES} bytes`);
          return;
        }
        buffered.push(Buffer.from(chunk));
      };
      call.onEnd = () => {
        ended = true;
      };
      call.onCancel = () => {
        cancelled = true;
      };
      targetOf(call).then(
        (target) => {
          if (cancelled || call.finished) return;
          if ('code' in target) {
            call.finish(target.code, target.message);
            return;
          }
          const denied = target.local ? accessDenied(call) : undefined;
          if (denied !== undefined) {
            call.finish(denied.code, denied.message);
            return;
          }
          forward(call, target, buffered, ended);
        },
        (error: unknown) => {
          options.logger.error('gRPC proxy failed', { method: call.path, error: (error as Error).message });
          call.finish(UNKNOWN, `failed to proxy request: ${(error as Error).message}`);
        },
      );
    },
    close() {
      for (const s of sessions.values()) s.close();
      sessions.clear();
    },
  };
}
