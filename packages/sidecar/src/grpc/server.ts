/**
 * The gRPC runtime API (`dapr.proto.runtime.v1.Dapr`, spec §3): the state, pub/sub, bindings, secrets, metadata and
 * shutdown subset, over the same protocol-neutral calls as the HTTP API. Methods not listed answer UNIMPLEMENTED.
 */

import { ErrorCode, type Metadata } from '@daprkit/component-sdk';
import {
  type Metadata as GrpcMetadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { invokeBinding } from '../api/bindings.js';
import { ApiError, toApiError } from '../api/errors.js';
import { goJsonBytes } from '../api/go-json.js';
import { metadataDocument } from '../api/metadata.js';
import { bulkPublish, bulkPublishFailure, publish } from '../api/publish.js';
import { getBulkSecrets, getSecret } from '../api/secrets.js';
import {
  bulkGetState,
  deleteState,
  getState,
  queryState,
  type SaveItem,
  saveState,
  stateOptions,
} from '../api/state.js';
import { executeTransaction, type TransactionInput } from '../api/transaction.js';
import type { Runtime } from '../runtime.js';
import { CONCURRENCY, CONSISTENCY, daprService } from './proto.js';

interface WireStateItem {
  key: string;
  value: Buffer;
  etag: { value: string } | null;
  metadata: Metadata;
  options: { concurrency: number; consistency: number } | null;
}

/** proto-loader hands over plain objects shaped by the proto schema (keepCase, defaults on). */
// biome-ignore lint/suspicious/noExplicitAny: the schema, not TypeScript, types these requests
type WireRequest = any;
type Handler = (request: WireRequest, metadata: GrpcMetadata) => Promise<unknown>;

const SUBSCRIPTION_TYPES: Record<string, number> = { DECLARATIVE: 1, PROGRAMMATIC: 2, STREAMING: 3 };
const ACTOR_RUNTIME_DISABLED = 1;

function etagOf(item: { etag: { value: string } | null }): string | undefined {
  return item.etag?.value ? item.etag.value : undefined;
}

/** A state item with its value bytes as sent (transactions always pass raw bytes). */
function rawSaveItem(item: WireStateItem): SaveItem {
  const out: SaveItem = {
    key: item.key,
    value: item.value,
    metadata: item.metadata,
    options: stateOptions(CONCURRENCY[item.options?.concurrency ?? 0], CONSISTENCY[item.options?.consistency ?? 0]),
  };
  const etag = etagOf(item);
  if (etag !== undefined) out.etag = etag;
  return out;
}

/** gRPC SaveState stores raw bytes, except `contentType: application/json` values, which are re-encoded (spec §3.2). */
function saveItemOf(item: WireStateItem): SaveItem {
  const out = rawSaveItem(item);
  if (item.metadata.contentType?.toLowerCase() === 'application/json') {
    try {
      out.value = goJsonBytes(JSON.parse(item.value.toString('utf8')));
    } catch (error) {
      throw new ApiError(
        400,
        'ERR_MALFORMED_REQUEST',
        `value of key ${item.key} is not valid JSON: ${(error as Error).message}`,
        ErrorCode.InvalidArgument,
      );
    }
  }
  return out;
}

function handlers(runtime: Runtime): Record<string, Handler> {
  return {
    GetState: async (r) => {
      const response = await getState(
        runtime,
        r.store_name,
        r.key,
        r.metadata,
        CONSISTENCY[r.consistency] || undefined,
      );
      return { data: Buffer.from(response.data ?? []), etag: response.etag ?? '', metadata: response.metadata ?? {} };
    },
    GetBulkState: async (r) => {
      const items = await bulkGetState(runtime, r.store_name, r.keys, r.metadata, r.parallelism || undefined);
      return {
        items: items.map((i) => ({
          key: i.key,
          data: Buffer.from(i.data ?? []),
          etag: i.etag ?? '',
          error: i.error ?? '',
          metadata: i.metadata ?? {},
        })),
      };
    },
    SaveState: async (r) => {
      const items = (r.states as WireStateItem[]).map((item) => {
        if (item.key === '')
          throw new ApiError(400, 'ERR_STATE_SAVE', 'state key cannot be empty', ErrorCode.InvalidArgument);
        return saveItemOf(item);
      });
      await saveState(runtime, r.store_name, items);
      return {};
    },
    DeleteState: async (r) => {
      const options = stateOptions(CONCURRENCY[r.options?.concurrency ?? 0], CONSISTENCY[r.options?.consistency ?? 0]);
      const etag = etagOf(r);
      await deleteState(runtime, r.store_name, {
        key: r.key,
        metadata: r.metadata,
        options,
        ...(etag ? { etag } : {}),
      });
      return {};
    },
    DeleteBulkState: async (r) => {
      for (const item of r.states as WireStateItem[]) {
        const etag = etagOf(item);
        const options = stateOptions(
          CONCURRENCY[item.options?.concurrency ?? 0],
          CONSISTENCY[item.options?.consistency ?? 0],
        );
        await deleteState(runtime, r.store_name, {
          key: item.key,
          metadata: item.metadata,
          options,
          ...(etag ? { etag } : {}),
        });
      }
      return {};
    },
    ExecuteStateTransaction: async (r) => {
      // Raw bytes here, and request metadata is not copied into the operations (spec §3.1).
      const operations: TransactionInput[] = r.operations.map(
        (op: { operationType: string; request: WireStateItem | null }) => {
          const item = op.request ?? { key: '', value: Buffer.alloc(0), etag: null, metadata: {}, options: null };
          return { operation: op.operationType, request: rawSaveItem(item) };
        },
      );
      await executeTransaction(runtime, r.storeName, operations, r.metadata);
      return {};
    },
    QueryStateAlpha1: async (r) => {
      const response = await queryState(runtime, r.store_name, r.query, r.metadata);
      return {
        results: response.items.map((i) => ({
          key: i.key,
          data: Buffer.from(i.data ?? []),
          etag: i.etag ?? '',
          error: i.error ?? '',
        })),
        token: response.token ?? '',
        metadata: response.metadata ?? {},
      };
    },
    PublishEvent: async (r) => {
      await publish(runtime, {
        pubsubName: r.pubsub_name,
        topic: r.topic,
        data: r.data,
        contentType: r.data_content_type,
        metadata: r.metadata,
      });
      return {};
    },
    BulkPublishEventAlpha1: (r) => bulkPublishHandler(runtime, r),
    BulkPublishEvent: (r) => bulkPublishHandler(runtime, r),
    InvokeBinding: async (r, metadata) => {
      // Incoming gRPC metadata reaches the binding too (daprd), below the request's own keys.
      const incoming: Metadata = {};
      for (const [k, v] of Object.entries(metadata.getMap()))
        if (typeof v === 'string' && k !== 'dapr-api-token') incoming[k] = v;
      const response = await invokeBinding(runtime.components, {
        name: r.name,
        operation: r.operation,
        data: r.data,
        metadata: { ...incoming, ...r.metadata },
      });
      return { data: Buffer.from(response.data ?? []), metadata: response.metadata ?? {} };
    },
    GetSecret: async (r) => ({
      data: await getSecret(
        { components: runtime.components, secretScopes: runtime.configuration.secretScopes },
        r.store_name,
        r.key,
        r.metadata,
      ),
    }),
    GetBulkSecret: async (r) => {
      const all = await getBulkSecrets(
        { components: runtime.components, secretScopes: runtime.configuration.secretScopes },
        r.store_name,
        r.metadata,
      );
      return { data: Object.fromEntries(Object.entries(all).map(([k, secrets]) => [k, { secrets }])) };
    },
    GetMetadata: async () => {
      const doc = metadataDocument(runtime);
      return {
        id: doc.id,
        active_actors_count: [],
        registered_components: doc.components.map((c) => ({ ...c, capabilities: c.capabilities ?? [] })),
        extended_metadata: doc.extended,
        subscriptions: doc.subscriptions.map((s) => ({
          pubsub_name: s.pubsubname,
          topic: s.topic,
          metadata: s.metadata ?? {},
          rules: { rules: s.rules.map((rule) => ({ match: rule.match ?? '', path: rule.path })) },
          dead_letter_topic: s.deadLetterTopic,
          type: SUBSCRIPTION_TYPES[s.type] ?? 0,
        })),
        http_endpoints: [],
        ...(doc.appConnectionProperties
          ? {
              app_connection_properties: {
                port: doc.appConnectionProperties.port,
                protocol: doc.appConnectionProperties.protocol,
                channel_address: doc.appConnectionProperties.channelAddress,
              },
            }
          : {}),
        runtime_version: doc.runtimeVersion,
        enabled_features: doc.enabledFeatures,
        actor_runtime: { runtime_status: ACTOR_RUNTIME_DISABLED, active_actors: [], host_ready: false, placement: '' },
      };
    },
    SetMetadata: async (r) => {
      if (r.key !== '') runtime.extendedMetadata.set(r.key, r.value);
      return {};
    },
    Shutdown: async (_r, metadata) => {
      const force = String(metadata.get('dapr-force-shutdown')[0] ?? '').toLowerCase() === 'true';
      setImmediate(() => runtime.requestShutdown(force));
      return {};
    },
  };
}

async function bulkPublishHandler(runtime: Runtime, r: WireRequest): Promise<unknown> {
  const input = { pubsubName: r.pubsub_name, topic: r.topic };
  const failed = await bulkPublish(runtime, {
    ...input,
    metadata: r.metadata,
    entries: r.entries.map((e: { entry_id: string; event: Buffer; content_type: string; metadata: Metadata }) => ({
      entryId: e.entry_id,
      event: e.event,
      contentType: e.content_type,
      ...(Object.keys(e.metadata).length > 0 ? { metadata: e.metadata } : {}),
    })),
  });
  // daprd answers any failure, even partial, with an error status (spec §3.1).
  if (failed.length > 0) throw bulkPublishFailure(input, failed);
  return { failedEntries: [] };
}

function authenticate(metadata: GrpcMetadata, apiToken: string | undefined): ApiError | undefined {
  if (!apiToken) return undefined;
  const given = metadata.get('dapr-api-token')[0];
  if (given === undefined)
    return new ApiError(
      401,
      'Unauthorized',
      'Unauthorized: missing api token in request metadata',
      ErrorCode.Unauthenticated,
    );
  if (String(given) !== apiToken)
    return new ApiError(
      401,
      'Unauthorized',
      'Unauthorized: authentication error: api token mismatch',
      ErrorCode.Unauthenticated,
    );
  return undefined;
}

export async function startGrpcApi(
  runtime: Runtime,
  options: { host: string; port: number; apiToken?: string },
): Promise<{ port: number; close(): Promise<void> }> {
  const server = new Server({ 'grpc.max_receive_message_length': 4 << 20 });
  const implementation: Record<
    string,
    (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void
  > = {};
  for (const [method, handler] of Object.entries(handlers(runtime))) {
    implementation[method] = (call, callback) => {
      const denied = authenticate(call.metadata, options.apiToken);
      if (denied) return callback({ code: status.UNAUTHENTICATED, details: denied.message });
      handler(call.request, call.metadata).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const apiError = toApiError(error);
          if (!(error instanceof ApiError))
            runtime.logger.error('unexpected error in gRPC API', { method, error: apiError.message });
          callback({ code: apiError.grpcCode, details: apiError.message });
        },
      );
    };
  }
  server.addService(daprService().service, implementation);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
