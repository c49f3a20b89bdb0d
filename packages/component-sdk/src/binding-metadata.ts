/**
 * Request-metadata helpers shared by binding components: Go's strict duration syntax and contrib's binding TTL
 * rule (`metadata/utils.go` `TryGetTTL`, used by the Redis and RabbitMQ bindings and RabbitMQ pub/sub).
 */
import { InvalidArgumentError } from './errors.js';
import type { Metadata } from './v1/common.js';

const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go's `time.ParseDuration` (`1h30m`, `1.5s`, `-2ms`, and `0`; a bare number other than 0 is NOT a duration), in
 * milliseconds; undefined when malformed. (`parseDuration` is the lenient metadata variant with bare numbers.)
 */
export function parseGoDurationMs(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s !== '') {
    const m = part.exec(s);
    if (m === null) return undefined;
    total += Number(m[1]) * GO_UNIT_MS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/**
 * contrib's binding TTL: request metadata `ttl`, else `ttlInSeconds` (names case-insensitive). A Go duration
 * (negative → 0) or an integer number of seconds that must be > 0. Returns milliseconds, or undefined when
 * neither key is set. Errors use contrib's texts.
 */
export function tryGetBindingTtlMs(metadata: Metadata | undefined): number | undefined {
  if (metadata === undefined) return undefined;
  const lookup = (name: string) =>
    Object.entries(metadata).find(([k, v]) => k.toLowerCase() === name.toLowerCase() && v !== '')?.[1];
  const value = lookup('ttl') ?? lookup('ttlInSeconds');
  if (value === undefined) return undefined;
  const duration = parseGoDurationMs(value);
  if (duration !== undefined) return Math.max(0, duration);
  if (!/^[-+]?\d+$/.test(value)) {
    throw new InvalidArgumentError(`ttl value must be a valid integer: actual is '${value}'`);
  }
  const seconds = Number(value);
  if (seconds <= 0) throw new InvalidArgumentError(`ttl value must be higher than zero: actual is '${seconds}'`);
  return seconds * 1000;
}
