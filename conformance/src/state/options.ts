import type { Metadata } from '@daprkit/component-sdk';
import type { BaseContext } from '../harness/case.js';
import type { DescribeOptions, SuiteOptions } from '../harness/types.js';

/** Claimable state capabilities, spelled as in upstream `tests.yml`. */
export type StateOperation =
  | 'transaction'
  | 'etag'
  | 'first-write'
  | 'query'
  | 'ttl'
  | 'delete-with-prefix'
  | 'keyslike'
  | 'actorStateStore';

export interface StateConfig {
  /** A syntactically valid but wrong ETag for this store (kind must come back `mismatch`). Upstream default. */
  badEtag?: string;
  /** TTL used by the expiry checks; upstream uses 2 s (polls every 200 ms for TTL + 1 s). 1 keeps runs short. */
  ttlSeconds?: number;
  /** Set false for stores that cannot report `ttlExpireTime` (Redis); the expire-time cases become not-claimed. */
  ttlExpireTime?: boolean;
  /** Set false for stores whose transactions are not all-or-nothing (Redis MULTI/EXEC has no rollback). */
  transactionRollback?: boolean;
  /** Set true for stores that skip the ETag check under `last-write` (upstream Redis); default is Dapr's rule. */
  lastWriteIgnoresETag?: boolean;
}

export type StateOptions = SuiteOptions<'state', StateOperation, StateConfig>;
export type DescribeStateOptions = StateOptions & DescribeOptions;

export const STATE_DEFAULTS: Required<StateConfig> = {
  badEtag: 'bad-etag',
  ttlSeconds: 2,
  ttlExpireTime: true,
  transactionRollback: true,
  lastWriteIgnoresETag: false,
};

export interface StateContext extends BaseContext<'state'> {
  readonly claims: ReadonlySet<StateOperation>;
  readonly config: Required<StateConfig>;
  readonly properties: Metadata;
  /** The run's base key K: a UUID without dashes, so reruns never collide. */
  readonly base: string;
  key(suffix: string): string;
  /** ETags remembered across the S-ETAG steps, by key. */
  readonly etags: Map<string, string>;
}
