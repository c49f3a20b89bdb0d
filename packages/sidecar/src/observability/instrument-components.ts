/**
 * The one place component calls are measured: every entry of the component table is swapped for a proxy that times
 * the methods daprd records (state operations, publish, output-binding invoke, secrets, input-binding events).
 * Only done when metrics are enabled, so a disabled sidecar calls its components directly. Anything else on the
 * object (features, optional methods' presence) is passed through untouched.
 */
import type { BindingEventHandler, InputBinding } from '@daprkit/component-sdk';
import type { ComponentTable } from '../composition/table.js';
import type { SidecarMetrics } from './metrics.js';

type Record3 = (component: string, operation: string, success: boolean, ms: number) => void;

/** Wraps the named async methods of `target`; `record(op, ok, ms)` runs after each settles. */
function timedProxy<T extends object>(
  target: T,
  operations: Readonly<Record<string, string>>,
  record: (operation: string, success: boolean, ms: number, args: unknown[]) => void,
): T {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      const operation = typeof property === 'string' ? operations[property] : undefined;
      let wrapped = cache.get(property);
      // Other methods run on the component itself: with the proxy as `this`, classes with #private fields throw.
      if (operation === undefined) {
        if (wrapped === undefined) {
          wrapped = value.bind(object);
          cache.set(property, wrapped);
        }
        return wrapped;
      }
      if (wrapped === undefined) {
        wrapped = async (...args: unknown[]) => {
          const start = performance.now();
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
            record(operation, true, performance.now() - start, args);
            return result;
          } catch (error) {
            record(operation, false, performance.now() - start, args);
            throw error;
          }
        };
        cache.set(property, wrapped);
      }
      return wrapped;
    },
  });
}

const STATE_OPERATIONS = {
  get: 'get',
  set: 'set',
  delete: 'delete',
  bulkGet: 'bulk_get',
  bulkSet: 'set', // daprd records one `set` per save request, however many items
  bulkDelete: 'bulk_delete',
  transact: 'transaction',
  query: 'query',
} as const;

export function instrumentComponents(table: ComponentTable, metrics: SidecarMetrics): void {
  const byName = (record: Record3, name: string) => (operation: string, success: boolean, ms: number) =>
    record(name, operation, success, ms);
  for (const [name, entry] of table.state)
    entry.store = timedProxy(entry.store, STATE_OPERATIONS, byName(metrics.state.bind(metrics), name));
  for (const [name, entry] of table.outputBindings) {
    entry.binding = timedProxy(entry.binding, { invoke: 'invoke' }, (_op, success, ms, args) =>
      metrics.outputBinding(name, (args[0] as { operation?: string })?.operation ?? '', success, ms),
    );
  }
  for (const [name, entry] of table.secretStores) {
    entry.store = timedProxy(
      entry.store,
      { getSecret: 'get', bulkGetSecret: 'bulk_get' },
      byName(metrics.secret.bind(metrics), name),
    );
  }
  for (const [name, entry] of table.pubsub) {
    entry.pubsub = timedProxy(entry.pubsub, { publish: 'publish' }, (_op, success, ms, args) =>
      metrics.pubsubEgress(name, (args[0] as { topic?: string })?.topic ?? '', success, ms),
    );
  }
  for (const [name, entry] of table.inputBindings) {
    const binding = entry.binding;
    const bound = new Map<PropertyKey, unknown>();
    entry.binding = new Proxy(binding, {
      get(object, property, receiver) {
        if (property !== 'read') {
          const value = Reflect.get(object, property, receiver);
          if (typeof value !== 'function') return value;
          let method = bound.get(property);
          if (method === undefined) {
            method = value.bind(object);
            bound.set(property, method);
          }
          return method;
        }
        return (handler: BindingEventHandler, signal: AbortSignal) =>
          object.read(async (event) => {
            const start = performance.now();
            try {
              const response = await handler(event);
              metrics.inputBinding(name, true, performance.now() - start);
              return response;
            } catch (error) {
              metrics.inputBinding(name, false, performance.now() - start);
              throw error;
            }
          }, signal);
      },
    }) as InputBinding;
  }
}
