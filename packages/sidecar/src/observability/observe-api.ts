/**
 * The one hook per API surface for metrics and API logging: http/server.ts and grpc/server.ts call these once per
 * request, so every route or handler another module adds is counted and logged without knowing about it. Both
 * return `undefined` when neither metrics nor API logging is on: the servers then skip the hook entirely.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, scopedLogger } from '@daprkit/component-sdk';
import { GRPC_STATUS_NAMES } from '@daprkit/component-sdk/transport';
import type { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import type { ApiLoggingSettings } from './api-logging.js';
import type { SidecarMetrics } from './metrics.js';

export interface Observability {
  readonly metrics: SidecarMetrics | undefined;
  readonly apiLogging: ApiLoggingSettings;
}

/** Called at the start of a request with the path and the matched route pattern (undefined: no route). */
export type HttpObserver = (req: IncomingMessage, res: ServerResponse, path: string, pattern?: string) => void;

const isHealthPath = (path: string) => path.includes('/healthz');

export function httpObserver(observability: Observability, logger: Logger): HttpObserver | undefined {
  const { metrics, apiLogging } = observability;
  const log = apiLogging.enabled ? scopedLogger(logger, 'dapr.runtime.http-info') : undefined;
  if (metrics === undefined && log === undefined) return undefined;
  return (req, res, path, pattern) => {
    const start = performance.now();
    let size = 0;
    if (log !== undefined) {
      // Count body bytes only when logging (daprd's `size` field).
      const write = res.write.bind(res) as (...a: unknown[]) => boolean;
      const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
      const count = (chunk: unknown) => {
        if (typeof chunk === 'string') size += Buffer.byteLength(chunk);
        else if (chunk instanceof Uint8Array) size += chunk.byteLength;
      };
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        count(chunk);
        return write(chunk, ...rest);
      }) as typeof res.write;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (typeof chunk !== 'function') count(chunk);
        return end(chunk, ...rest);
      }) as typeof res.end;
    }
    res.once('finish', () => {
      const ms = performance.now() - start;
      const method = req.method ?? 'GET';
      metrics?.httpRequest(method, path, res.statusCode, ms);
      if (log === undefined || (apiLogging.omitHealthChecks && isHealthPath(path))) return;
      const fields: Record<string, unknown> = {
        duration: Math.trunc(ms),
        method: apiLogging.obfuscateURLs ? `${method} /${pattern ?? 'unknown'}` : `${method} ${path}`,
        code: res.statusCode,
        size,
      };
      const userAgent = req.headers['user-agent'];
      if (userAgent) fields.useragent = userAgent;
      log.info('HTTP API Called', fields);
    });
  };
}

/** Called when an RPC starts; the returned function when it completes with a gRPC status code. */
export type GrpcObserver = (fullMethod: string, metadata: GrpcMetadata) => (code: number) => void;

export function grpcObserver(observability: Observability, logger: Logger): GrpcObserver | undefined {
  const { metrics, apiLogging } = observability;
  const log = apiLogging.enabled ? scopedLogger(logger, 'dapr.runtime.grpc.api-info') : undefined;
  if (metrics === undefined && log === undefined) return undefined;
  return (fullMethod, metadata) => {
    const start = performance.now();
    return (code) => {
      const ms = performance.now() - start;
      metrics?.grpcRpc(fullMethod, GRPC_STATUS_NAMES[code] ?? 'UNKNOWN', ms);
      if (log === undefined || (apiLogging.omitHealthChecks && /health/i.test(fullMethod))) return;
      const fields: Record<string, unknown> = { method: fullMethod, duration: Math.trunc(ms), code };
      const userAgent = metadata.get('user-agent')[0];
      if (userAgent !== undefined) fields.useragent = String(userAgent);
      log.info('gRPC API Called', fields);
    };
  };
}
