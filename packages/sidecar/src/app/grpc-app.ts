/** The app channel over gRPC (`--app-protocol grpc`, spec §4.6, §4.8): the app's `AppCallback` service. */
import type { Logger, Metadata } from '@daprkit/component-sdk';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { setGrpcTraceMetadata } from '../observability/propagation.js';
import type { TraceContext } from '../observability/trace-context.js';
import type { RouteRule, SubscriptionResource } from '../resources/types.js';
import { GRPC, type InvokeCall, InvokeError, type InvokeResult, verbNumber } from '../shared/invocation.js';
import { headersForApp } from '../shared/invocation-headers.js';
import { lazy } from '../shared/lazy.js';
import { isJsonContentType, isTextContentType, mediaType } from '../shared/media-type.js';
import { appCallbackService } from '../shared/runtime-proto.js';
import type { AppChannel, DeliveryOutcome, TopicEventDelivery } from './app-channel.js';

const CE_FIELDS = new Set(['id', 'source', 'datacontenttype', 'type', 'specversion', 'data', 'data_base64']);
/** grpc-js, loaded by the first call to a gRPC app (an HTTP app never loads it). */
const grpc = lazy(() => import('@grpc/grpc-js'));
const UNIMPLEMENTED = 12;

const TOPIC_STATUS: Record<number, DeliveryOutcome> = { 0: 'success', 1: 'retry', 2: 'drop' };

/** A JSON value as `google.protobuf.Value` in proto-loader's object form. */
function toValue(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return { null_value: 0 };
  if (typeof value === 'number') return { number_value: value };
  if (typeof value === 'string') return { string_value: value };
  if (typeof value === 'boolean') return { bool_value: value };
  if (Array.isArray(value)) return { list_value: { values: value.map(toValue) } };
  return { struct_value: toStruct(value as Record<string, unknown>) };
}

function toStruct(object: Record<string, unknown>): { fields: Record<string, unknown> } {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toValue(v)])) };
}

/** `TopicEventRequest.data` by daprd's rules: base64 decoded, text as is, JSON re-serialised. */
function eventData(event: Record<string, unknown>, contentType: string): Buffer {
  if (typeof event.data_base64 === 'string') return Buffer.from(event.data_base64, 'base64');
  if (isTextContentType(contentType))
    return Buffer.from(typeof event.data === 'string' ? event.data : JSON.stringify(event.data ?? ''));
  if (isJsonContentType(contentType) || mediaType(contentType) === '')
    return event.data === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(event.data));
  return Buffer.alloc(0);
}

export class GrpcAppDelivery implements AppChannel {
  private client: (Client & Record<string, (...args: unknown[]) => unknown>) | undefined;
  private closed = false;
  private inputBindings: Promise<string[]> | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly appApiToken: string | undefined,
    private readonly logger: Logger,
  ) {}

  private async call<T>(method: string, request: unknown, metadata: Metadata = {}, trace?: TraceContext): Promise<T> {
    const { credentials, makeClientConstructor, Metadata: GrpcMetadata } = await grpc();
    if (this.closed) throw new Error('the gRPC app channel is closed');
    if (this.client === undefined) {
      const AppCallback = makeClientConstructor(appCallbackService(), 'AppCallback');
      this.client = new AppCallback(
        `${this.host}:${this.port}`,
        credentials.createInsecure(),
      ) as unknown as NonNullable<GrpcAppDelivery['client']>;
    }
    const client = this.client;
    const grpcMetadata = new GrpcMetadata();
    for (const [k, v] of Object.entries(metadata)) {
      const key = k.toLowerCase();
      // grpc-js throws on a value that is not printable ASCII, failing the whole delivery: such entries are left
      // out, as the HTTP channel leaves out values a header cannot carry.
      if (
        key !== 'content-type' &&
        key !== 'content-length' &&
        /^[0-9a-z_.-]+$/.test(key) &&
        !key.endsWith('-bin') &&
        /^[\x20-\x7e]*$/.test(v)
      )
        grpcMetadata.set(key, v);
    }
    setGrpcTraceMetadata(grpcMetadata, trace);
    if (this.appApiToken) grpcMetadata.set('dapr-api-token', this.appApiToken);
    return new Promise((resolve, reject) => {
      client[method]!(request, grpcMetadata, (error: ServiceError | null, response: T) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  async listSubscriptions(): Promise<SubscriptionResource[]> {
    let response: {
      subscriptions: {
        pubsub_name: string;
        topic: string;
        metadata: Metadata;
        routes: { rules: RouteRule[]; default: string } | null;
        dead_letter_topic: string;
      }[];
    };
    try {
      response = await this.call('ListTopicSubscriptions', {});
    } catch (error) {
      if ((error as ServiceError).code === UNIMPLEMENTED) return [];
      this.logger.error('ListTopicSubscriptions failed; no programmatic subscriptions', {
        error: (error as Error).message,
      });
      return [];
    }
    return response.subscriptions.map((s) => {
      const rules: RouteRule[] = (s.routes?.rules ?? []).map((r) =>
        r.match ? { match: r.match, path: r.path } : { path: r.path },
      );
      // Missing routes, or rules without a default, still need a match-all rule with path "" (daprd).
      if (s.routes === null || s.routes.default !== '' || rules.length === 0)
        rules.push({ path: s.routes?.default ?? '' });
      const subscription: SubscriptionResource = {
        name: '',
        pubsubname: s.pubsub_name,
        topic: s.topic,
        rules,
        metadata: s.metadata,
        scopes: [],
        type: 'PROGRAMMATIC',
      };
      if (s.dead_letter_topic) subscription.deadLetterTopic = s.dead_letter_topic;
      return subscription;
    });
  }

  async deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryOutcome> {
    const { event } = delivery;
    const contentType = typeof event.datacontenttype === 'string' ? event.datacontenttype : 'application/json';
    const extensions = Object.fromEntries(Object.entries(event).filter(([k]) => !CE_FIELDS.has(k)));
    try {
      const response = await this.call<{ status: number }>(
        'OnTopicEvent',
        {
          id: String(event.id ?? ''),
          source: String(event.source ?? ''),
          type: String(event.type ?? ''),
          spec_version: String(event.specversion ?? ''),
          data_content_type: contentType,
          data: eventData(event, contentType),
          topic: delivery.topic,
          pubsub_name: delivery.metadata.pubsubName ?? delivery.pubsubName,
          path: delivery.path,
          extensions: toStruct(extensions),
        },
        delivery.metadata,
        delivery.trace,
      );
      return TOPIC_STATUS[response.status] ?? 'retry';
    } catch (error) {
      if ((error as ServiceError).code === UNIMPLEMENTED) return 'drop';
      throw error;
    }
  }

  async wantsInputBinding(name: string): Promise<boolean> {
    this.inputBindings ??= this.call<{ bindings: string[] }>('ListInputBindings', {}).then(
      (r) => r.bindings,
      () => [],
    );
    return (await this.inputBindings).includes(name);
  }

  async deliverBindingEvent(
    name: string,
    _route: string,
    data: Uint8Array,
    metadata: Metadata,
    trace?: TraceContext,
  ): Promise<Uint8Array | undefined> {
    const response = await this.call<{ data: Buffer }>(
      'OnBindingEvent',
      { name, data: Buffer.from(data), metadata },
      metadata,
      trace,
    );
    return response.data.length > 0 ? response.data : undefined;
  }

  /** `AppCallback.OnInvoke`; the app's gRPC status comes back as the result status (a code < 100). */
  async invoke(call: InvokeCall): Promise<InvokeResult> {
    // Hop-by-hop headers (`connection`, …) must not reach HTTP/2: Node's http2 refuses them and the call never starts.
    const metadata: Metadata = {};
    for (const [name, values] of Object.entries(headersForApp(call.metadata)))
      if (name !== 'dapr-api-token' && name !== 'user-agent') metadata[name] = values[0]!;
    const request = {
      method: call.method,
      data: { type_url: call.typeUrl, value: call.body },
      content_type: call.contentType,
      http_extension: call.verb === 'NONE' ? null : { verb: verbNumber(call.verb), querystring: call.query },
    };
    const result: InvokeResult = {
      status: GRPC.OK,
      message: '',
      headers: {},
      trailers: {},
      contentType: '',
      body: Buffer.alloc(0),
      typeUrl: '',
    };
    try {
      const response = await this.call<{ data: { type_url: string; value: Buffer } | null; content_type: string }>(
        'OnInvoke',
        request,
        metadata,
        call.trace,
      );
      result.contentType = response.content_type;
      result.body = response.data?.value ?? Buffer.alloc(0);
      result.typeUrl = response.data?.type_url ?? '';
    } catch (error) {
      const e = error as ServiceError;
      if (e.code === GRPC.UNAVAILABLE)
        throw new InvokeError(GRPC.INTERNAL, `error invoking app channel: ${e.details ?? e.message}`);
      result.status = typeof e.code === 'number' ? e.code : GRPC.UNKNOWN;
      result.message = e.details ?? e.message;
    }
    return result;
  }

  close(): void {
    this.closed = true;
    this.client?.close();
  }
}
