/** The state store suite: conformance.md §1.3 in upstream order, then our [EXTENSION] cases. */
import { randomUUID } from 'node:crypto';
import type { ConformanceCase } from '../harness/case.js';
import { runSuite } from '../harness/run.js';
import type { SuiteSpec } from '../harness/session.js';
import type { CaseResult, Mode } from '../harness/types.js';
import { bulkDelete, bulkGet, bulkSet } from './cases/bulk.js';
import { actorClaim, claimCases } from './cases/claims.js';
import { crudDelete, crudGet, crudSet, proto } from './cases/crud.js';
import { etagCases } from './cases/etag.js';
import { firstWriteWithEtag, firstWriteWithoutEtag } from './cases/first-write.js';
import { close, init, ping } from './cases/lifecycle.js';
import { deleteWithPrefix, keysLike } from './cases/prefix-and-keys.js';
import { queryCases } from './cases/query.js';
import {
  bulkGetOrder,
  consistencyPassThrough,
  firstWriteRules,
  lastWriteRules,
  lostUpdate,
  staleDelete,
} from './cases/semantics.js';
import {
  transaction,
  transactionDeleteMissing,
  transactionOrder,
  transactionRollback,
  transactionSerialization,
} from './cases/transaction.js';
import { ttlBadValue, ttlExpireTime, ttlExpireTimeBulk, ttlExpiry, ttlNone, ttlRemoval } from './cases/ttl.js';
import { STATE_DEFAULTS, type StateContext, type StateOptions } from './options.js';

export const STATE_CASES: readonly ConformanceCase<StateContext>[] = [
  init,
  ping,
  ...claimCases,
  actorClaim,
  crudSet,
  crudGet,
  proto,
  ...queryCases,
  crudDelete,
  bulkSet,
  bulkGet,
  bulkDelete,
  transaction,
  transactionDeleteMissing,
  transactionOrder,
  transactionSerialization,
  ...etagCases,
  firstWriteWithoutEtag,
  firstWriteWithEtag,
  ttlBadValue,
  ttlExpiry,
  ttlNone,
  ttlExpireTime,
  ttlRemoval,
  ttlExpireTimeBulk,
  deleteWithPrefix,
  keysLike,
  consistencyPassThrough,
  firstWriteRules,
  lastWriteRules,
  staleDelete,
  bulkGetOrder,
  transactionRollback,
  lostUpdate,
  close,
];

/** The suite's cases and per-mode context (shared by run* and the vitest entry). */
export function stateSpec(options: StateOptions): SuiteSpec<'state', StateContext> {
  const config = { ...STATE_DEFAULTS, ...options.config };
  if (!Number.isInteger(config.ttlSeconds) || config.ttlSeconds < 1) {
    throw new TypeError(`config.ttlSeconds must be a positive integer, got ${config.ttlSeconds}`);
  }
  return {
    kind: 'state',
    cases: STATE_CASES,
    abortOn: init.id,
    createContext: (mode: Mode) => {
      const base = randomUUID().replaceAll('-', '');
      return {
        mode,
        component: undefined as never,
        claims: new Set(options.operations ?? []),
        config,
        properties: { ...options.properties },
        base,
        key: (suffix: string) => base + suffix,
        etags: new Map(),
      };
    },
  };
}

/**
 * Runs every state case in each mode (in process, then over a unix socket) and resolves with the results; rejects
 * when `definition` is not a state component.
 */
export function runStateConformance(options: StateOptions): Promise<CaseResult[]> {
  return runSuite('runStateConformance', stateSpec(options), options);
}

export type { DescribeStateOptions, StateConfig, StateOperation, StateOptions } from './options.js';
