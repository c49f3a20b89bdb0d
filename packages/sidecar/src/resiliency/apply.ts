/**
 * Puts the component OUTBOUND policies in front of the components themselves: each entry of the component table
 * whose component has a policy gets a stand-in that runs the data calls (state reads/writes/transactions/queries,
 * secret reads, output-binding invokes, publish) through it. Every surface (HTTP, gRPC, outbox) reaches components
 * through the table, so this is the one place; components without a policy keep their original instance, and with
 * no Resiliency document nothing is wrapped (no per-call cost).
 */
import type { ComponentTable } from '../composition/table.js';
import type { PolicyRunner } from './policy.js';
import type { Resiliency } from './resiliency.js';

const STATE_CALLS = [
  'get',
  'set',
  'delete',
  'bulkGet',
  'bulkSet',
  'bulkDelete',
  'transact',
  'query',
  'deleteWithPrefix',
];
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

/**
 * A stand-in for `target`: the listed methods run through `run`, every other method is bound to the original
 * (private fields keep working), and other properties read through to it. Absent optional methods stay absent, so
 * feature detection (`transact`, `query`, `bulkPublish`) sees the same component.
 */
export function guarded<T extends object>(target: T, calls: readonly string[], run: PolicyRunner): T {
  const wrapper = Object.create(target) as Record<string, unknown>;
  const original = target as Record<string, (...args: unknown[]) => unknown>;
  for (const name of methodNames(target)) {
    const method = original[name]!;
    wrapper[name] = calls.includes(name)
      ? (...args: unknown[]) => run(() => Promise.resolve(method.apply(target, args)))
      : method.bind(target);
  }
  return wrapper as T;
}

export function applyOutboundPolicies(table: ComponentTable, resiliency: Resiliency): void {
  if (!resiliency.loaded) return;
  const wrap = <E extends { component: { name: string } }, K extends keyof E & string>(
    entries: Map<string, E>,
    key: K,
    type: Parameters<Resiliency['componentOutbound']>[1],
    calls: readonly string[],
  ) => {
    for (const [name, entry] of entries) {
      const run = resiliency.componentOutbound(entry.component.name, type);
      if (run !== undefined) entries.set(name, { ...entry, [key]: guarded(entry[key] as object, calls, run) });
    }
  };
  wrap(table.state, 'store', 'Statestore', STATE_CALLS);
  wrap(table.pubsub, 'pubsub', 'Pubsub', PUBSUB_CALLS);
  wrap(table.secretStores, 'store', 'Secretstore', SECRET_CALLS);
  wrap(table.outputBindings, 'binding', 'Binding', BINDING_CALLS);
}
