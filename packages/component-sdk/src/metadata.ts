/**
 * Typed, validated reading of component metadata (YAML `spec.metadata`, all strings).
 * Rules follow Dapr's decoder: case-insensitive names, truthy booleans, Go durations (or bare integers),
 * byte sizes, comma lists. Every error names the field.
 */
import { InvalidMetadataError } from './errors.js';
import type { Metadata } from './v1/common.js';

export interface FieldOptions<T> {
  /** Value when the field is absent or empty. */
  default?: T;
  required?: boolean;
  /** Other accepted names (the canonical name wins when both are set). */
  aliases?: readonly string[];
  /** Never echo the raw value in errors or logs. */
  secret?: boolean;
  description?: string;
}

export interface Field<T, O extends FieldOptions<T> = FieldOptions<T>> {
  readonly kind: string;
  readonly options: O;
  parse(raw: string, name: string): T;
}

/** A field with a default or marked required always has a value; others may be undefined. */
// biome-ignore lint/suspicious/noExplicitAny: see MetadataSchema
type Parsed<S extends Record<string, Field<unknown, any>>> = {
  [K in keyof S]: S[K] extends Field<infer T, infer O>
    ? O extends { default: NonNullable<unknown> } | { required: true }
      ? T
      : T | undefined
    : never;
};

function makeField<T, O extends FieldOptions<T>>(
  kind: string,
  options: O,
  parse: (raw: string, name: string) => T,
): Field<T, O> {
  return { kind, options, parse };
}

const TRUTHY = new Set(['1', 'true', 't', 'y', 'yes', 'on']);
const FALSY = new Set(['0', 'false', 'f', 'n', 'no', 'off']);

/** Dapr's truthy rule: `1/true/t/y/yes/on` (any case) are true. */
export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && TRUTHY.has(value.trim().toLowerCase());
}

const DURATION_UNITS_MS: Record<string, number> = {
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
 * Parses a Go duration (`500ms`, `1h30m`, `-1.5s`) or a bare number in `bareUnit` into milliseconds.
 * Returns undefined when the text is not a duration.
 */
export function parseDuration(text: string, bareUnit: 'seconds' | 'milliseconds' = 'seconds'): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  if (/^[-+]?\d+(\.\d+)?$/.test(s)) return Number(s) * (bareUnit === 'seconds' ? 1000 : 1);
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (m === null) return undefined;
  let total = 0;
  for (const part of s.replace(/^[-+]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNITS_MS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

const SIZE_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Parses `100`, `1k`, `10Ki`, `1M`, `100Mi` into bytes; undefined when malformed. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text.trim());
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * SIZE_SUFFIX[m[2] ?? '']!);
}

function show(raw: string, options: FieldOptions<unknown>): string {
  return options.secret ? '(value hidden)' : `'${raw}'`;
}

/** Field builders. Each returns a Field whose parse throws InvalidMetadataError naming the field. */
export const field = {
  string<const O extends FieldOptions<string>>(options: O = {} as O) {
    return makeField<string, O>('string', options, (raw) => raw);
  },
  int<const O extends FieldOptions<number> & { min?: number; max?: number }>(options: O = {} as O) {
    return makeField<number, O>('int', options, (raw, name) => {
      if (!/^[-+]?\d+$/.test(raw.trim()))
        throw new InvalidMetadataError(name, `expected an integer, got ${show(raw, options)}`);
      const n = Number(raw.trim());
      if (options.min !== undefined && n < options.min)
        throw new InvalidMetadataError(name, `must be >= ${options.min}, got ${n}`);
      if (options.max !== undefined && n > options.max)
        throw new InvalidMetadataError(name, `must be <= ${options.max}, got ${n}`);
      return n;
    });
  },
  number<const O extends FieldOptions<number>>(options: O = {} as O) {
    return makeField<number, O>('number', options, (raw, name) => {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new InvalidMetadataError(name, `expected a number, got ${show(raw, options)}`);
      return n;
    });
  },
  /** Dapr booleans: truthy strings are true, falsy strings false, anything else an error (not silently false). */
  bool<const O extends FieldOptions<boolean>>(options: O = {} as O) {
    return makeField<boolean, O>('bool', options, (raw, name) => {
      const v = raw.trim().toLowerCase();
      if (TRUTHY.has(v)) return true;
      if (FALSY.has(v)) return false;
      throw new InvalidMetadataError(name, `expected a boolean (true/false), got ${show(raw, options)}`);
    });
  },
  /** Milliseconds. Bare integers are seconds unless `bareUnit: 'milliseconds'` (the Redis family). */
  duration<const O extends FieldOptions<number> & { bareUnit?: 'seconds' | 'milliseconds'; min?: number }>(
    options: O = {} as O,
  ) {
    return makeField<number, O>('duration', options, (raw, name) => {
      const ms = parseDuration(raw, options.bareUnit);
      if (ms === undefined)
        throw new InvalidMetadataError(name, `expected a duration like '10s' or '500ms', got ${show(raw, options)}`);
      if (options.min !== undefined && ms < options.min)
        throw new InvalidMetadataError(name, `must be at least ${options.min}ms`);
      return ms;
    });
  },
  enum<const V extends string, const O extends FieldOptions<V> & { values: readonly V[]; caseSensitive?: boolean }>(
    options: O,
  ) {
    return makeField<V, O>('enum', options, (raw, name) => {
      const hit = options.values.find((v) =>
        options.caseSensitive ? v === raw : v.toLowerCase() === raw.toLowerCase(),
      );
      if (hit === undefined)
        throw new InvalidMetadataError(name, `expected one of ${options.values.join(', ')}, got ${show(raw, options)}`);
      return hit;
    });
  },
  byteSize<const O extends FieldOptions<number>>(options: O = {} as O) {
    return makeField<number, O>('byteSize', options, (raw, name) => {
      const n = parseByteSize(raw);
      if (n === undefined)
        throw new InvalidMetadataError(name, `expected a size like '10Mi' or '1k', got ${show(raw, options)}`);
      return n;
    });
  },
  /** Comma-separated list, items trimmed, empty items dropped. */
  list<const O extends FieldOptions<string[]>>(options: O = {} as O) {
    return makeField<string[], O>('list', options, (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
  },
};

// biome-ignore lint/suspicious/noExplicitAny: a schema holds fields of any option shape
export type MetadataSchema = Record<string, Field<unknown, any>>;
export type MetadataOf<S extends MetadataSchema> = Parsed<S>;

/**
 * Reads `properties` against `schema`. Names match case-insensitively; a name given twice with different
 * casing is an error; empty strings count as absent. Unknown properties are ignored (daprd passes its own).
 */
export function parseMetadata<S extends MetadataSchema>(properties: Metadata, schema: S): Parsed<S> {
  const byLower = new Map<string, { name: string; value: string }>();
  for (const [name, value] of Object.entries(properties)) {
    const lower = name.toLowerCase();
    const seen = byLower.get(lower);
    if (seen !== undefined && seen.name !== name) {
      throw new InvalidMetadataError(name, `given twice with different casing ('${seen.name}' and '${name}')`);
    }
    byLower.set(lower, { name, value });
  }
  const out: Record<string, unknown> = {};
  for (const [canonical, spec] of Object.entries(schema)) {
    let found: { name: string; value: string } | undefined;
    for (const candidate of [canonical, ...(spec.options.aliases ?? [])]) {
      const hit = byLower.get(candidate.toLowerCase());
      if (hit !== undefined && hit.value !== '') {
        found = hit;
        break;
      }
    }
    if (found === undefined) {
      if (spec.options.required) throw new InvalidMetadataError(canonical, 'is required');
      out[canonical] = spec.options.default;
      continue;
    }
    out[canonical] = spec.parse(found.value, canonical);
  }
  return out as Parsed<S>;
}
