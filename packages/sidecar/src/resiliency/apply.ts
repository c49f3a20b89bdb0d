/**
 * Puts the component OUTBOUND policies in front of the components themselves: each entry of the component table
 * whose component has a policy gets a stand-in that runs the data calls (state reads/writes/transactions/queries,
 * secret reads, output-binding invokes, publish) through it. Every surface (HTTP, gRPC, outbox) reaches components
 * through the table, so this is the one place; components without a policy keep their original instance, and with
 * no Resiliency document nothing is wrapped (no per-call cost).
 */
import { BulkError, type BulkStoreError, isETagError } from '@daprkit/component-sdk';
import type { ComponentTable } from '../composition/table.js';
import { PermanentError, type PolicyRunner } from './policy.js';
import type { Resiliency } from './resiliency.js';

const STATE_CALLS = ['get', 'bulkGet', 'transact', 'query', 'deleteWithPrefix'];
const STATE_WRITES = ['set', 'delete'];
const STATE_BULK_WRITES = ['bulkSet', 'bulkDelete'];
const PUBSUB_CALLS = ['publish', 'bulkPublish'];
const SECRET_CALLS = ['getSecret', 'bulkGetSecret'];
const BINDING_CALLS = ['invoke'];

function methodNames(target: object): Set<string> {
  const names = new Set<string>();
  for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== 'constructor' && typeof (target as Record<string, unknown>)[key] === 'function') names.add(key);
    }
  }
  return names;
}

type Method = (...args: unknown[]) => unknown;
type Wrap = (method: Method, target: object, run: PolicyRunner) => Method;

const plain: Wrap =
  (method, target, run) =>
  (...args) =>
    run(() => Promise.resolve(method.apply(target, args)));

/** Save/delete: an ETag failure is final, not retried (daprd's state bulk helper). */
const stateWrite: Wrap =
  (method, target, run) =>
  (...args) =>
    run(async () => {
      try {
        return await method.apply(target, args);
      } catch (error) {
        throw isETagError(error) ? new PermanentError(error) : error;
      }
    });

function bulkFailures(error: unknown): BulkStoreError[] | undefined {
  const errors = (error as { errors?: unknown })?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors.every((e) => typeof (e as Partial<BulkStoreError>).etagError === 'function')
    ? (errors as BulkStoreError[])
    : undefined;
}

/**
 * Bulk save/delete: a retry re-sends only the items that failed for a reason other than their ETag, as daprd does.
 * Unlike daprd, ETag failures are still reported once the rest succeeded (daprd then answers success).
 */
const stateBulkWrite: Wrap = (method, target, run) => (requests, options) => {
  let pending = requests as { key: string }[];
  const etagFailures: BulkStoreError[] = [];
  return run(async () => {
    try {
      await method.call(target, pending, options);
    } catch (error) {
      const failures = bulkFailures(error);
      if (failures === undefined) throw error;
      const retryable = new Set(failures.filter((f) => f.etagError() === undefined).map((f) => f.key));
      etagFailures.push(...failures.filter((f) => f.etagError() !== undefined));
      if (retryable.size === 0) throw new PermanentError(new BulkError(etagFailures));
      pending = pending.filter((request) => retryable.has(request.key));
      throw error;
    }
    if (etagFailures.length > 0) throw new PermanentError(new BulkError(etagFailures));
  });
};

/**
 * A stand-in for `target`: the listed methods run through `run`, every other method is bound to the original
 * (private fields keep working), and other properties read through to it. Absent optional methods stay absent, so
 * feature detection (`transact`, `query`, `bulkPublish`) sees the same component.
 */
export function guarded<T extends object>(target: T, calls: Readonly<Record<string, Wrap>>, run: PolicyRunner): T {
  const wrapper = Object.create(target) as Record<string, unknown>;
  const original = target as Record<string, Method>;
  for (const name of methodNames(target)) {
    const method = original[name]!;
    const wrap = Object.hasOwn(calls, name) ? calls[name] : undefined;
    wrapper[name] = wrap ? wrap(method, target, run) : method.bind(target);
  }
  return wrapper as T;
}

const using = (names: readonly string[], wrap: Wrap) => Object.fromEntries(names.map((n) => [n, wrap]));

export function applyOutboundPolicies(table: ComponentTable, resiliency: Resiliency): void {
  if (!resiliency.loaded) return;
  const wrap = <E extends { component: { name: string } }, K extends keyof E & string>(
    entries: Map<string, E>,
    key: K,
    type: Parameters<Resiliency['componentOutbound']>[1],
    calls: Readonly<Record<string, Wrap>>,
  ) => {
    for (const [name, entry] of entries) {
      const run = resiliency.componentOutbound(entry.component.name, type);
      if (run !== undefined) entries.set(name, { ...entry, [key]: guarded(entry[key] as object, calls, run) });
    }
  };
  wrap(table.state, 'store', 'Statestore', {
    ...using(STATE_CALLS, plain),
    ...using(STATE_WRITES, stateWrite),
    ...using(STATE_BULK_WRITES, stateBulkWrite),
  });
  wrap(table.pubsub, 'pubsub', 'Pubsub', using(PUBSUB_CALLS, plain));
  wrap(table.secretStores, 'store', 'Secretstore', using(SECRET_CALLS, plain));
  wrap(table.outputBindings, 'binding', 'Binding', using(BINDING_CALLS, plain));
}
