/**
 * State transactions (spec §2.1.7), the single path HTTP and gRPC share. Hooks run between validation/prefixing
 * and the store's `transact`: the transactional outbox (spec §5) registers one from sidecar.ts, so this building
 * block knows nothing about it.
 */

import {
  type DeleteRequest,
  isTransactionalStore,
  type Metadata,
  type SetRequest,
  type TransactionOperation,
} from '@daprkit/component-sdk';
import type { StateEntry } from '../composition/table.js';
import { withComponentTrace } from '../observability/propagation.js';
import type { TraceContext } from '../observability/trace-context.js';
import { apiError, errorText, malformedRequest } from '../shared/errors.js';
import { prefixedKey } from '../shared/state-keys.js';
import { type StateApiContext, stateStore } from './state.js';

export type TransactionInput =
  | { operation: 'upsert'; request: SetRequest }
  | { operation: 'delete'; request: DeleteRequest }
  | { operation: string; request: { key: string } };

/** How the API surface that received the transaction encoded its values: HTTP as JSON text, gRPC as raw bytes. */
export type ValueEncoding = 'json-text' | 'bytes';

/** A validated transaction about to be committed. */
export interface PendingTransaction {
  storeName: string;
  entry: StateEntry;
  /** Validated and key-prefixed. */
  operations: TransactionOperation[];
  metadata: Metadata;
  encoding: ValueEncoding;
  /** The call's trace context (the outbox puts it in its events' `traceid`); undefined when tracing is off. */
  trace?: TraceContext | undefined;
}

export interface TransactionHook {
  /**
   * Undefined leaves the transaction alone; otherwise the operations to commit instead, and what to run right
   * after the commit succeeded. A throw fails the transaction before anything is written.
   */
  beforeCommit(
    transaction: PendingTransaction,
  ): Promise<{ operations: TransactionOperation[]; afterCommit?: () => void } | undefined>;
}

export interface TransactionContext extends StateApiContext {
  /** Run in order before every commit. */
  readonly transactionHooks?: readonly TransactionHook[];
}

export async function executeTransaction(
  context: TransactionContext,
  storeName: string,
  operations: TransactionInput[],
  metadata: Metadata,
  encoding: ValueEncoding = 'bytes',
  trace?: TraceContext,
): Promise<void> {
  const entry = stateStore(context, storeName);
  const { store } = entry;
  if (!isTransactionalStore(store)) {
    const message = `state store ${storeName} doesn't support transactions`;
    throw apiError('stateTransactionsNotSupported', { message, resource: storeName });
  }
  if (operations.length === 0) return;
  const prefixed: TransactionOperation[] = operations.map((op) => {
    if (op.operation !== 'upsert' && op.operation !== 'delete')
      throw apiError('stateOperationNotSupported', { message: `operation type ${op.operation} not supported` });
    // As a plain save or delete: an empty key would be stored as '<prefix>||'.
    if (op.request.key === '') throw malformedRequest('"key" is a required field');
    const request = { ...op.request, key: prefixedKey(entry.keyPrefix, op.request.key, storeName) };
    return { operation: op.operation, request } as TransactionOperation;
  });
  const max = store.multiMaxSize?.() ?? 0;
  if (max > 0 && prefixed.length > max) {
    throw apiError('stateTooManyTransactions', {
      message: `the transaction contains ${prefixed.length} operations, which is more than what the state store supports: ${max}`,
      info: { currentOpsTransaction: String(prefixed.length), maxOpsPerTransaction: String(max) },
    });
  }
  let toCommit = prefixed;
  const afterCommit: (() => void)[] = [];
  for (const hook of context.transactionHooks ?? []) {
    const changed = await hook.beforeCommit({ storeName, entry, operations: toCommit, metadata, encoding, trace });
    if (changed === undefined) continue;
    toCommit = changed.operations;
    if (changed.afterCommit) afterCommit.push(changed.afterCommit);
  }
  try {
    await withComponentTrace(trace, () => store.transact({ operations: toCommit, metadata }));
    for (const run of afterCommit) run();
  } catch (error) {
    throw apiError('stateTransaction', { message: `error while executing state transaction: ${errorText(error)}` });
  }
}
