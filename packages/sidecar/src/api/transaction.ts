/**
 * State transactions (spec §2.1.7), the single path HTTP and gRPC share — the transactional outbox (spec §5) hooks in
 * here, between validation/prefixing and the store's `transact`.
 */
import {
  type DeleteRequest,
  ErrorCode,
  isTransactionalStore,
  type Metadata,
  type SetRequest,
  type TransactionOperation,
} from '@daprkit/component-sdk';
import { outboxConfigOf } from '../outbox/config.js';
import { crashPoint } from '../outbox/crash-points.js';
import type { ValueEncoding } from '../outbox/event.js';
import { prepareOutboxTransaction } from '../outbox/write.js';
import { ApiError, errorInfo, errorText, helpLink, resourceInfo } from './errors.js';
import { type StateApiContext, stateStore } from './state.js';
import { prefixedKey } from './state-keys.js';

export type TransactionInput =
  | { operation: 'upsert'; request: SetRequest }
  | { operation: 'delete'; request: DeleteRequest }
  | { operation: string; request: { key: string } };

/** `encoding`: HTTP passes values as their JSON text, gRPC as raw bytes; the outbox shapes events differently. */
export async function executeTransaction(
  context: StateApiContext,
  storeName: string,
  operations: TransactionInput[],
  metadata: Metadata,
  encoding: ValueEncoding = 'bytes',
): Promise<void> {
  const entry = stateStore(context, storeName);
  const { store } = entry;
  if (!isTransactionalStore(store)) {
    const message = `state store ${storeName} doesn't support transactions`;
    throw new ApiError(500, 'ERR_STATE_STORE_NOT_SUPPORTED', message, ErrorCode.Unimplemented, [
      helpLink(
        'https://docs.dapr.io/reference/components-reference/supported-state-stores/',
        'Check the list of state stores and the features they support',
      ),
      resourceInfo('state', storeName, message),
      errorInfo('DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED'),
    ]);
  }
  if (operations.length === 0) return;
  const prefixed: TransactionOperation[] = operations.map((op) => {
    if (op.operation !== 'upsert' && op.operation !== 'delete') {
      throw new ApiError(
        400,
        'ERR_NOT_SUPPORTED_STATE_OPERATION',
        `operation type ${op.operation} not supported`,
        ErrorCode.Unimplemented,
      );
    }
    const request = { ...op.request, key: prefixedKey(entry.keyPrefix, op.request.key, storeName) };
    return { operation: op.operation, request } as TransactionOperation;
  });
  const max = store.multiMaxSize?.() ?? 0;
  if (max > 0 && prefixed.length > max) {
    throw new ApiError(
      400,
      'ERR_STATE_STORE_TOO_MANY_TRANSACTIONS',
      `the transaction contains ${prefixed.length} operations, which is more than what the state store supports: ${max}`,
      ErrorCode.InvalidArgument,
      [
        errorInfo('DAPR_STATE_TOO_MANY_TRANSACTIONS', {
          currentOpsTransaction: String(prefixed.length),
          maxOpsPerTransaction: String(max),
        }),
      ],
    );
  }
  const outbox = outboxConfigOf(entry.component.properties, context.appId);
  const toCommit = outbox
    ? await prepareOutboxTransaction(context, { config: outbox, operations: prefixed, encoding })
    : prefixed;
  try {
    await store.transact({ operations: toCommit, metadata });
    if (outbox) crashPoint('after-commit');
  } catch (error) {
    throw new ApiError(
      500,
      'ERR_STATE_TRANSACTION',
      `error while executing state transaction: ${errorText(error)}`,
      ErrorCode.Internal,
    );
  }
}
