import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { awsClientConfig, awsErrorName, awsErrorSummary, toAwsError } from '@daprkit/aws-common';
import {
  type BulkGetItem,
  type DeleteRequest,
  ETagMismatchError,
  FailedPreconditionError,
  type GetRequest,
  type GetResponse,
  hasETag,
  InvalidMetadataError,
  isFirstWrite,
  type Logger,
  type Metadata,
  type SetRequest,
  StateFeature,
  type StateStore,
  silentLogger,
  type TransactionalStore,
  type TransactionOperation,
  type TransactionRequest,
  UnavailableError,
} from '@daprkit/component-sdk';
import { buildItem, expiryFor, type Item, newEtag, readItem } from './items.js';
import { type DynamoDBSettings, parseDynamoDBSettings } from './metadata.js';

/** DynamoDB's own TransactWriteItems limit (and contrib's MultiMaxSize). */
export const MULTI_MAX_SIZE = 100;
/** BatchGetItem's limit per call. */
const BATCH_GET_MAX = 100;
/** Below daprd's default 5 s init timeout, so our error (naming the field) is the one reported. */
const INIT_TIMEOUT_MS = 4500;

export interface DynamoDBStateStoreOptions {
  logger?: Logger;
}

const CONDITION_FAILED = 'ConditionalCheckFailedException';

/**
 * `state.aws.dynamodb` on @aws-sdk/client-dynamodb, data-compatible with components-contrib: one item per key
 * (`<partitionKey>`, `value`, `etag`, optional `<ttlAttributeName>`), ETags through conditional writes,
 * transactions as one TransactWriteItems, bulk get as BatchGetItem. The table must exist.
 */
export class DynamoDBStateStore implements StateStore, TransactionalStore {
  readonly #logger: Logger;
  #client: DynamoDBClient | undefined;
  #settings: DynamoDBSettings | undefined;
  #closed = false;
  #features: readonly StateFeature[] = [StateFeature.ETag];

  constructor(options: DynamoDBStateStoreOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  async init(properties: Metadata): Promise<void> {
    if (this.#closed) throw new FailedPreconditionError('component is closed');
    if (this.#client !== undefined) throw new FailedPreconditionError('component is already initialised');
    const settings = parseDynamoDBSettings(properties);
    const client = new DynamoDBClient(awsClientConfig(settings.aws));
    // contrib validates access with a GetItem of a random key: table, region, endpoint and credentials at once.
    try {
      await client.send(
        new GetItemCommand({
          TableName: settings.table,
          Key: { [settings.partitionKey]: { S: `daprkit-init-probe-${newEtag()}` } },
        }),
        { abortSignal: AbortSignal.timeout(INIT_TIMEOUT_MS) },
      );
    } catch (error) {
      client.destroy();
      throw this.#initError(error, settings);
    }
    this.#settings = settings;
    this.#client = client;
    if (settings.ttlAttributeName !== undefined) this.#features = [StateFeature.ETag, StateFeature.TTL];
    this.#logger.info('connected to DynamoDB', {
      table: settings.table,
      region: settings.aws.region,
      credentials: settings.aws.credentialSource,
    });
  }

  #initError(error: unknown, settings: DynamoDBSettings): Error {
    const name = awsErrorName(error);
    if (name === 'ResourceNotFoundException') {
      return new InvalidMetadataError('table', `table '${settings.table}' not found: ${awsErrorSummary(error)}`, {
        cause: error,
      });
    }
    if (name === 'ValidationException') {
      return new InvalidMetadataError(
        'partitionKey',
        `'${settings.partitionKey}' does not match the key schema of table '${settings.table}': ${awsErrorSummary(error)}`,
        { cause: error },
      );
    }
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new UnavailableError(`dynamodb: no answer within ${INIT_TIMEOUT_MS} ms`, { cause: error });
    }
    return toAwsError(error, `dynamodb init (table '${settings.table}')`);
  }

  features(): readonly StateFeature[] {
    return this.#features;
  }

  multiMaxSize(): number {
    return MULTI_MAX_SIZE;
  }

  async get(request: GetRequest): Promise<GetResponse> {
    const { client, settings } = this.#open();
    let item: Item | undefined;
    try {
      const out = await client.send(
        new GetItemCommand({
          TableName: settings.table,
          Key: { [settings.partitionKey]: { S: request.key } },
          ConsistentRead: request.consistency === 'strong',
        }),
      );
      item = out.Item;
    } catch (error) {
      throw toAwsError(error, `dynamodb GetItem '${request.key}'`);
    }
    return readItem(item, settings.ttlAttributeName, Math.floor(Date.now() / 1000));
  }

  /** BatchGetItem in chunks of 100 distinct keys; unprocessed keys are asked again. */
  async bulkGet(requests: GetRequest[]): Promise<BulkGetItem[]> {
    if (requests.length === 0) return [];
    const { client, settings } = this.#open();
    const pk = settings.partitionKey;
    const found = new Map<string, Item>();
    const distinct = [...new Set(requests.map((r) => r.key))];
    const consistent = requests.some((r) => r.consistency === 'strong');
    try {
      for (let i = 0; i < distinct.length; i += BATCH_GET_MAX) {
        let keys: Record<string, { S: string }>[] | undefined = distinct
          .slice(i, i + BATCH_GET_MAX)
          .map((key) => ({ [pk]: { S: key } }));
        for (let attempt = 0; keys !== undefined && keys.length > 0; attempt++) {
          if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
          const out: BatchGetItemCommandOutput = await client.send(
            new BatchGetItemCommand({
              RequestItems: { [settings.table]: { Keys: keys, ConsistentRead: consistent } },
            }),
          );
          for (const item of out.Responses?.[settings.table] ?? []) {
            const key = item[pk]?.S;
            if (key !== undefined) found.set(key, item);
          }
          keys = out.UnprocessedKeys?.[settings.table]?.Keys as Record<string, { S: string }>[] | undefined;
        }
      }
    } catch (error) {
      throw toAwsError(error, `dynamodb BatchGetItem (${distinct.length} keys)`);
    }
    const now = Math.floor(Date.now() / 1000);
    return requests.map((r) => ({ key: r.key, ...readItem(found.get(r.key), settings.ttlAttributeName, now) }));
  }

  async set(request: SetRequest): Promise<void> {
    const { client, settings } = this.#open();
    const input: PutItemCommandInput = { TableName: settings.table, ...this.#put(request) };
    try {
      await client.send(new PutItemCommand(input));
    } catch (error) {
      if (awsErrorName(error) === CONDITION_FAILED) throw conditionError(request.key, hasETag(request.etag));
      throw toAwsError(error, `dynamodb PutItem '${request.key}'`);
    }
  }

  async delete(request: DeleteRequest): Promise<void> {
    const { client, settings } = this.#open();
    const guarded = hasETag(request.etag);
    try {
      await client.send(
        new DeleteItemCommand({
          TableName: settings.table,
          Key: { [settings.partitionKey]: { S: request.key } },
          ...(guarded && {
            ConditionExpression: 'etag = :etag',
            ExpressionAttributeValues: { ':etag': { S: request.etag! } },
          }),
        }),
      );
    } catch (error) {
      if (guarded && awsErrorName(error) === CONDITION_FAILED) throw conditionError(request.key, true);
      throw toAwsError(error, `dynamodb DeleteItem '${request.key}'`);
    }
  }

  /**
   * One TransactWriteItems. DynamoDB refuses two operations on one item, so as contrib only the last operation per
   * key is kept (`delete k; set k` = the set). Upserts and deletes keep their ETag / first-write conditions.
   */
  async transact(request: TransactionRequest): Promise<void> {
    if (request.operations.length === 0) return;
    const { client, settings } = this.#open();
    const last = new Map<string, TransactionOperation>();
    for (const op of request.operations) {
      last.delete(op.request.key); // keep request order of the surviving operations
      last.set(op.request.key, op);
    }
    const ops = [...last.values()];
    if (ops.length > MULTI_MAX_SIZE) {
      throw new FailedPreconditionError(
        `a DynamoDB transaction holds at most ${MULTI_MAX_SIZE} operations on distinct keys, got ${ops.length}`,
      );
    }
    const items: TransactWriteItem[] = ops.map((op) => {
      if (op.operation === 'upsert') return { Put: { TableName: settings.table, ...this.#put(op.request) } };
      const guarded = hasETag(op.request.etag);
      return {
        Delete: {
          TableName: settings.table,
          Key: { [settings.partitionKey]: { S: op.request.key } },
          ...(guarded && {
            ConditionExpression: 'etag = :etag',
            ExpressionAttributeValues: { ':etag': { S: op.request.etag! } },
          }),
        },
      };
    });
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      const failed = reasons?.findIndex((r) => r.Code === 'ConditionalCheckFailed') ?? -1;
      if (awsErrorName(error) === 'TransactionCanceledException' && failed >= 0) {
        const op = ops[failed]!;
        const base = conditionError(op.request.key, hasETag(op.request.etag));
        throw new ETagMismatchError(`${base.message}; no operation of the transaction was applied`, { cause: error });
      }
      throw toAwsError(error, `dynamodb TransactWriteItems (${items.length} operations)`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    client?.destroy();
  }

  /** Item and condition of a write: `etag = :etag` with an ETag, `attribute_not_exists(etag)` for first-write. */
  #put(request: SetRequest): Pick<PutItemCommandInput, 'Item' | 'ConditionExpression' | 'ExpressionAttributeValues'> {
    const settings = this.#settings!;
    const expiry = expiryFor(settings.ttlAttributeName, request.metadata);
    const Item = buildItem(
      settings.partitionKey,
      request.key,
      request.value,
      newEtag(),
      settings.ttlAttributeName,
      expiry,
    );
    if (hasETag(request.etag)) {
      return { Item, ConditionExpression: 'etag = :etag', ExpressionAttributeValues: { ':etag': { S: request.etag } } };
    }
    if (isFirstWrite(request.options)) return { Item, ConditionExpression: 'attribute_not_exists(etag)' };
    return { Item };
  }

  #open(): { client: DynamoDBClient; settings: DynamoDBSettings } {
    if (this.#client !== undefined && this.#settings !== undefined) {
      return { client: this.#client, settings: this.#settings };
    }
    throw new FailedPreconditionError(this.#closed ? 'component is closed' : 'component is not initialised');
  }
}

function conditionError(key: string, withEtag: boolean): ETagMismatchError {
  return new ETagMismatchError(
    withEtag
      ? `etag mismatch for key '${key}': the stored etag differs or the key does not exist`
      : `first-write failed for key '${key}': the key already exists`,
  );
}

/** A store ready for `init`. */
export function createDynamoDBStateStore(options: DynamoDBStateStoreOptions = {}): DynamoDBStateStore {
  return new DynamoDBStateStore(options);
}
