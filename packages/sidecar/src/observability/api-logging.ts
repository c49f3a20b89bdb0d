/**
 * API logging (`--enable-api-logging`, else Configuration `spec.logging.apiLogging`), daprd's lines and fields
 * (spec wave2 §5.3): `HTTP API Called` on `dapr.runtime.http-info`, `gRPC API Called` on
 * `dapr.runtime.grpc.api-info`, always at info level.
 */
import { isObject } from '../shared/json-fields.js';
import { configBool as bool } from './metrics-config.js';

export interface ApiLoggingSettings {
  enabled: boolean;
  /** Log the endpoint (route pattern) instead of the URL, which may carry keys and ids. */
  obfuscateURLs: boolean;
  omitHealthChecks: boolean;
}

export function apiLoggingSettings(flag: boolean | undefined, spec: Record<string, unknown>): ApiLoggingSettings {
  const logging = spec.logging ?? {};
  if (!isObject(logging)) throw new Error('Configuration spec.logging must be an object');
  const api = logging.apiLogging ?? {};
  if (!isObject(api)) throw new Error('Configuration spec.logging.apiLogging must be an object');
  return {
    enabled: flag ?? bool(api.enabled, 'spec.logging.apiLogging.enabled') ?? false,
    obfuscateURLs: bool(api.obfuscateURLs, 'spec.logging.apiLogging.obfuscateURLs') ?? false,
    omitHealthChecks: bool(api.omitHealthChecks, 'spec.logging.apiLogging.omitHealthChecks') ?? false,
  };
}
