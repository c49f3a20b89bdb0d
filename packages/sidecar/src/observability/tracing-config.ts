/**
 * Configuration `spec.tracing` (spec §5.1, daprd pkg/config/configuration.go TracingSpec), parsed from the raw merged
 * Configuration spec with errors naming the field.
 */
import { parseDuration } from '@daprkit/component-sdk';
import { isObject } from '../shared/json-fields.js';

export interface OtelExporterConfig {
  /** `host:port`, no scheme. */
  endpointAddress: string;
  protocol: 'grpc' | 'http';
  /** Default true (TLS). */
  isSecure: boolean;
  headers: Record<string, string>;
  timeoutMs?: number;
}

export interface TracingConfig {
  /** False only when samplingRate is exactly 0: then no span is started and nothing is propagated (daprd). */
  enabled: boolean;
  /** Ratio for root spans (parent-based); an empty or unparsable samplingRate means 1e-4. */
  samplingRate: number;
  stdout: boolean;
  otel?: OtelExporterConfig;
  zipkin?: { endpointAddress: string };
}

export class TracingConfigError extends Error {
  override name = 'TracingConfigError';
}

const DEFAULT_SAMPLING_RATE = 1e-4;
const WHERE = 'Configuration spec.tracing';

function fail(field: string, message: string): never {
  throw new TracingConfigError(`${WHERE}.${field}: ${message}`);
}

function optionalString(object: Record<string, unknown>, field: string, where: string): string | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(`${where}${field}`, `must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function optionalBool(object: Record<string, unknown>, field: string, where: string): boolean | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  fail(`${where}${field}`, `must be a boolean, got ${JSON.stringify(value)}`);
}

/** daprd's GetTraceSamplingRate: strconv.ParseFloat, falling back to 1e-4. A YAML number is accepted too. */
export function parseSamplingRate(raw: unknown): number {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : DEFAULT_SAMPLING_RATE;
  if (typeof raw !== 'string' || raw.trim() === '') return DEFAULT_SAMPLING_RATE;
  const text = raw.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return DEFAULT_SAMPLING_RATE;
  return Number(text);
}

function parseOtel(raw: unknown): OtelExporterConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) fail('otel', 'must be an object');
  const endpointAddress = optionalString(raw, 'endpointAddress', 'otel.') ?? '';
  const protocol = optionalString(raw, 'protocol', 'otel.') ?? '';
  if (endpointAddress === '') return undefined;
  if (protocol !== 'grpc' && protocol !== 'http')
    fail('otel.protocol', `invalid protocol ${protocol} provided for Otel endpoint`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpointAddress))
    fail('otel.endpointAddress', `must be host:port without a scheme, got ${endpointAddress}`);
  const headers: Record<string, string> = {};
  const rawHeaders = raw.headers;
  if (rawHeaders !== undefined && rawHeaders !== null) {
    if (!Array.isArray(rawHeaders)) fail('otel.headers', 'must be a list of "key=value" strings');
    rawHeaders.forEach((entry, i) => {
      if (typeof entry !== 'string') fail(`otel.headers[${i}]`, 'must be a "key=value" string');
      const eq = entry.indexOf('=');
      // daprd drops entries without "=".
      if (eq > 0) headers[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
    });
  }
  const config: OtelExporterConfig = {
    endpointAddress,
    protocol,
    isSecure: optionalBool(raw, 'isSecure', 'otel.') ?? true,
    headers,
  };
  const timeout = raw.timeout;
  if (timeout !== undefined && timeout !== null && timeout !== '') {
    const ms = typeof timeout === 'string' ? parseDuration(timeout) : undefined;
    if (ms === undefined || ms <= 0)
      fail('otel.timeout', `must be a positive duration such as "10s", got ${JSON.stringify(timeout)}`);
    config.timeoutMs = ms;
  }
  return config;
}

function parseZipkin(raw: unknown): { endpointAddress: string } | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) fail('zipkin', 'must be an object');
  const endpointAddress = optionalString(raw, 'endpointAddress', 'zipkin.') ?? '';
  if (endpointAddress === '') return undefined;
  try {
    const url = new URL(endpointAddress);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    fail(
      'zipkin.endpointAddress',
      `must be an http(s) URL such as http://host:9411/api/v2/spans, got ${endpointAddress}`,
    );
  }
  return { endpointAddress };
}

/** `spec.tracing` of the merged Configuration; no section = daprd's defaults (on, rate 1e-4, no exporter). */
export function parseTracingConfig(spec: Record<string, unknown>): TracingConfig {
  const raw = spec.tracing;
  if (raw === undefined || raw === null) return { enabled: true, samplingRate: DEFAULT_SAMPLING_RATE, stdout: false };
  if (!isObject(raw)) throw new TracingConfigError(`${WHERE}: must be an object`);
  const rateField = raw.samplingRate;
  if (rateField !== undefined && rateField !== null && typeof rateField !== 'string' && typeof rateField !== 'number')
    fail('samplingRate', `must be a string such as "1", got ${JSON.stringify(rateField)}`);
  const samplingRate = parseSamplingRate(rateField);
  const config: TracingConfig = {
    enabled: samplingRate !== 0,
    samplingRate: Math.min(Math.max(samplingRate, 0), 1),
    stdout: optionalBool(raw, 'stdout', '') ?? false,
  };
  const otel = parseOtel(raw.otel);
  if (otel !== undefined) config.otel = otel;
  const zipkin = parseZipkin(raw.zipkin);
  if (zipkin !== undefined) config.zipkin = zipkin;
  return config;
}

/** Whether spans must be recorded at all: only an exporter makes a sampled span worth the SDK. */
export function hasExporter(config: TracingConfig): boolean {
  return config.stdout || config.otel !== undefined || config.zipkin !== undefined;
}
