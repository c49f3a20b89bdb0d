/** §1.2 fixture data, request builders and the value comparison rule. */

import { isDeepStrictEqual } from 'node:util';
import {
  DaprkitError,
  type DeleteRequest,
  type ETagErrorKind,
  type GetRequest,
  type Metadata,
  resolveStateFeatures,
  type SetRequest,
  toStateBytes,
} from '@daprkit/component-sdk';
import { check, describeValue, fail, isEmptyBytes } from '../harness/assert.js';
import type { StateContext } from './options.js';

export const JSON_META: Metadata = { contentType: 'application/json' };
export const PARTITION_META: Metadata = { partitionKey: 'myPartition' };

export interface Scenario {
  suffix: string;
  value: unknown;
  /** Set and read with `contentType: application/json`. */
  json?: boolean;
  toBeDeleted?: boolean;
}

export function basicScenarios(base: string): Scenario[] {
  return [
    { suffix: '-int', value: 123 },
    { suffix: '-bool', value: true },
    { suffix: '-bytes', value: new Uint8Array([0x01]) },
    { suffix: '-string-with-json', value: '{"a":"b"}' },
    { suffix: '-string', value: 'hello world' },
    { suffix: '-empty-string', value: '' },
    { suffix: '-struct', value: { message: `test${base}` }, json: true },
    {
      suffix: '-struct-operations',
      value: { product: { value: 15 }, status: 'ACTIVE', message: `${base}message` },
      json: true,
    },
    {
      suffix: '-struct-operations-inactive',
      value: { product: { value: 12 }, status: 'INACTIVE', message: `${base}message` },
      json: true,
    },
    { suffix: '-struct-2', value: { message: `${base}test` }, json: true },
    { suffix: '-struct-with-int', value: { message: 42 }, json: true },
    { suffix: '-to-be-deleted', value: 'to be deleted', toBeDeleted: true },
  ];
}

export const BULK_SCENARIOS: Scenario[] = [
  { suffix: '-bulk-int', value: 123 },
  { suffix: '-bulk-bool', value: true },
  { suffix: '-bulk-bytes', value: new Uint8Array([0x01]) },
  { suffix: '-bulk-string', value: 'hello world' },
  { suffix: '-bulk-struct', value: { message: 'test' } },
  { suffix: '-bulk-to-be-deleted', value: 'to be deleted', toBeDeleted: true },
  { suffix: '-bulk-to-be-deleted-too', value: 'to be deleted too', toBeDeleted: true },
];

/** Transaction group values (group 1 upserts, group 2 upserts one more and deletes one, 3 and 4 as below). */
export const TRX_VALUES: Record<string, unknown> = {
  '-trx-int': 123,
  '-trx-bool': true,
  '-trx-bytes': new Uint8Array([0x01]),
  '-trx-string': 'hello world',
  '-trx-struct': { message: 'test' },
  '-trx-to-be-deleted': 'to be deleted',
  '-trx-to-be-deleted-too': 'to be deleted too',
};

export const metaOf = (scenario: Scenario): Metadata => (scenario.json ? { ...JSON_META } : {});

export function setRequest(
  key: string,
  value: unknown,
  extra: Partial<Omit<SetRequest, 'key' | 'value'>> = {},
): SetRequest {
  return { key, value: toStateBytes(value), metadata: {}, options: {}, ...extra };
}

export function getRequest(key: string, metadata: Metadata = {}, extra: Partial<GetRequest> = {}): GetRequest {
  return { key, metadata: { ...metadata }, ...extra };
}

export function deleteRequest(key: string, extra: Partial<Omit<DeleteRequest, 'key'>> = {}): DeleteRequest {
  return { key, metadata: {}, options: {}, ...extra };
}

const decoder = new TextDecoder();
export const text = (data: Uint8Array | undefined) => (data ? decoder.decode(data) : '');

/**
 * §1.2: bytes are byte-exact; integers must be a JSON integer literal (`123.0` and `"123"` fail); everything
 * else must JSON-parse to a deep-equal value (stricter than upstream's case-insensitive struct match).
 */
export function checkStateValue(data: Uint8Array | undefined, expected: unknown, what: string): void {
  if (expected instanceof Uint8Array) {
    check(
      data !== undefined && Buffer.from(data).equals(expected),
      `${what}: expected ${describeValue(expected)}, got ${describeValue(data)}`,
    );
    return;
  }
  if (expected === undefined) {
    check(isEmptyBytes(data), `${what}: expected no data, got ${describeValue(data)}`);
    return;
  }
  check(!isEmptyBytes(data), `${what}: expected ${describeValue(expected)}, got no data`);
  const raw = text(data);
  if (typeof expected === 'number' && Number.isInteger(expected)) {
    check(
      /^\s*-?\d+\s*$/.test(raw) && Number(raw) === expected,
      `${what}: expected the JSON integer ${expected}, got ${JSON.stringify(raw)}`,
    );
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail(`${what}: expected JSON ${describeValue(expected)}, got unparsable ${JSON.stringify(raw)}`);
  }
  check(isDeepStrictEqual(parsed, expected), `${what}: expected ${describeValue(expected)}, got ${raw}`);
}

/**
 * "Data is nil" (S-TX-3, TTL expiry): in process an empty buffer is a bug (nil ≠ empty upstream), but on the
 * wire an empty `data` field is how "not found" travels, so the remote client cannot tell them apart.
 */
export function checkNoData(context: StateContext, data: Uint8Array | undefined | null, what: string): void {
  if (context.mode === 'in-process') {
    check(data === undefined || data === null, `${what}: expected absent data, got ${describeValue(data)}`);
  } else {
    check(isEmptyBytes(data), `${what}: expected no data, got ${describeValue(data)}`);
  }
}

/** The kind of an ETag error, robust to duplicated SDK copies (no instanceof); undefined when it is not one. */
export function etagKindOf(err: unknown): ETagErrorKind | undefined {
  if (!DaprkitError.isInstance(err)) return undefined;
  const kind = (err as { kind?: unknown }).kind;
  return kind === 'mismatch' || kind === 'invalid' ? kind : undefined;
}

/** The features daprd would see: resolved in process (declared + implied by methods), as advertised over the socket. */
export function advertisedFeatures(context: StateContext): Set<string> {
  const store = context.component;
  if (context.mode === 'socket') return new Set(store.features());
  try {
    return new Set(resolveStateFeatures(store));
  } catch (err) {
    fail(`features are inconsistent with the methods: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export const hasMethod = (component: object, name: string): boolean =>
  typeof (component as Record<string, unknown>)[name] === 'function';
