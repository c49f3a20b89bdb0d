/** Each broken store breaks one rule; the suite must fail exactly the cases about that rule. */
import {
  type DeleteRequest,
  hasETag,
  type SetRequest,
  StateFeature,
  type StateStore,
  type TransactionRequest,
} from '@daprkit/component-sdk';
import { describe, expect, it } from 'vitest';
import { type Mode, runStateConformance, type StateOperation } from '../src/index.js';
import { MAP_STORE_OPERATIONS, MapStateStore, stateDefinition } from './fixtures/map-state-store.js';
import { expectCertified, expectFailures, statusOf } from './helpers.js';

/** Without TTL, so each run is quick; the reference test covers TTL. */
class QuickStore extends MapStateStore {
  override features(): StateFeature[] {
    return super.features().filter((f) => f !== StateFeature.TTL);
  }
}
const QUICK_OPERATIONS = MAP_STORE_OPERATIONS.filter((o) => o !== 'ttl');

function run(
  create: () => StateStore,
  modes: Mode[],
  operations: readonly StateOperation[] = QUICK_OPERATIONS,
  config = {},
) {
  return runStateConformance({ definition: stateDefinition(create), operations, modes, config });
}

class IgnoresETags extends QuickStore {
  protected override guard(items: Map<string, unknown>, request: SetRequest | DeleteRequest): void {
    if (!hasETag(request.etag)) super.guard(items as never, request);
  }
}

class NonAtomicTransactions extends QuickStore {
  override async transact(request: TransactionRequest): Promise<void> {
    for (const op of request.operations) {
      if (op.operation === 'upsert') await this.set(op.request);
      else await this.delete(op.request);
    }
  }
}

/** Upstream Redis behaviour: `last-write` skips the ETag check. */
class LastWriteIgnoresETag extends QuickStore {
  protected override guard(items: Map<string, unknown>, request: SetRequest | DeleteRequest): void {
    if (request.options.concurrency === 'last-write') return;
    super.guard(items as never, request);
  }
}

describe.concurrent('broken state stores', () => {
  it('one that ignores ETags fails the ETag, first-write-with-ETag, rollback and lost-update cases', async () => {
    const results = await run(() => new IgnoresETags(), ['in-process', 'socket']);
    const expected = [
      'S-ETAG-4',
      'S-ETAG-6',
      'S-ETAG-7',
      'S-ETAG-9',
      'S-ETAG-11',
      'S-FW-2',
      'S-X-FIRST-WRITE',
      'S-X-LAST-WRITE',
      'S-X-DELETE-STALE',
      'S-X-TX-ROLLBACK',
      'S-X-LOST-UPDATE',
    ];
    expectFailures(results, 'in-process', expected);
    expectFailures(results, 'socket', expected);
  }, 60_000);

  it('one whose transactions are not atomic fails only the rollback case, unless it declares so', async () => {
    const results = await run(() => new NonAtomicTransactions(), ['in-process', 'socket']);
    expectFailures(results, 'in-process', ['S-X-TX-ROLLBACK']);
    expectFailures(results, 'socket', ['S-X-TX-ROLLBACK']);

    const declared = await run(() => new NonAtomicTransactions(), ['in-process'], QUICK_OPERATIONS, {
      transactionRollback: false,
    });
    expectCertified(declared, ['in-process']);
    expect(statusOf(declared, 'S-X-TX-ROLLBACK', 'in-process')).toBe('not-claimed');
  }, 60_000);

  it('one that advertises TRANSACTIONAL without the claim fails the claim check both ways', async () => {
    const unclaimed = QUICK_OPERATIONS.filter((o) => o !== 'transaction');
    const results = await run(() => new QuickStore(), ['in-process', 'socket'], unclaimed);
    expectFailures(results, 'in-process', ['S-CLAIM-TX']);
    expectFailures(results, 'socket', ['S-CLAIM-TX']);
    expect(statusOf(results, 'S-TX-1', 'in-process')).toBe('not-claimed');

    // Declaring the feature without the method behind it is caught as well.
    const hollow = await run(
      () =>
        Object.assign(new QuickStore(), {
          transact: undefined,
          features: () => [StateFeature.ETag, StateFeature.Transactional],
        }),
      ['in-process'],
      unclaimed,
    );
    const claim = hollow.find((r) => r.id === 'S-CLAIM-TX');
    expect(claim?.status).toBe('failed');
    expect(claim?.error).toMatch(/TRANSACTIONAL/);
  }, 60_000);

  it('a claim the contract cannot honour (keyslike) fails in process and is not-on-wire over the socket', async () => {
    const results = await run(() => new QuickStore(), ['in-process', 'socket'], [...QUICK_OPERATIONS, 'keyslike']);
    expectFailures(results, 'in-process', ['S-CLAIM-KL', 'S-KL']);
    expectFailures(results, 'socket', []);
    expect(statusOf(results, 'S-KL', 'socket')).toBe('not-on-wire');
  }, 60_000);

  it('a store that skips the ETag under last-write fails S-X-LAST-WRITE unless it declares so', async () => {
    const strict = await run(() => new LastWriteIgnoresETag(), ['in-process']);
    expectFailures(strict, 'in-process', ['S-X-LAST-WRITE']);
    const declared = await run(() => new LastWriteIgnoresETag(), ['in-process'], QUICK_OPERATIONS, {
      lastWriteIgnoresETag: true,
    });
    expectCertified(declared, ['in-process']);
  }, 60_000);

  it('a failing init aborts every later case', async () => {
    const broken = Object.assign(new QuickStore(), {
      init: async () => {
        throw new Error('cannot connect');
      },
    });
    const results = await run(() => broken, ['in-process']);
    expect(results[0]).toMatchObject({ id: 'S-INIT', status: 'failed', error: 'cannot connect' });
    const later = results.slice(1).filter((r) => r.status !== 'not-claimed' && r.status !== 'not-on-wire');
    expect(later.length).toBeGreaterThan(20);
    for (const r of later) expect(r).toMatchObject({ status: 'failed', error: 'not run: S-INIT failed' });
  });
});
