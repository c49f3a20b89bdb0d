/** App delivery over HTTP (spec §4.4, §4.8): topic events and input binding events with daprd's outcome rules. */
import type { Logger, Metadata } from '@daprkit/component-sdk';
import { traceHeaders } from '../observability/propagation.js';
import type { TraceContext } from '../observability/trace-context.js';
import type { SubscriptionResource } from '../resources/types.js';
import { GRPC, type InvokeCall, InvokeError, type InvokeResult } from '../shared/invocation.js';
import { headersForApp, responseHeaders } from '../shared/invocation-headers.js';
import { CLOUDEVENT_CONTENT_TYPE } from '../shared/media-type.js';
import type { AppChannel, DeliveryOutcome, TopicEventDelivery } from './app-channel.js';
import { HttpAppChannel } from './http-channel.js';
import { discoverAppSubscriptions } from './subscriptions.js';

/** Metadata as request headers; names/values that cannot be headers are left out rather than failing delivery. */
function metadataAsHeaders(metadata: Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (k.toLowerCase() === 'content-length' || k.toLowerCase() === 'content-type') continue;
    if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && /^[\t\x20-\x7e\x80-\xff]*$/.test(v)) headers[k] = v;
  }
  return headers;
}

/** SUCCESS/RETRY/DROP from an app's answer to a topic event (spec §4.4 table). */
export function topicOutcome(status: number, body: Buffer): DeliveryOutcome {
  if (status === 404) return 'drop';
  if (status < 200 || status >= 300) return 'retry';
  if (body.length === 0) return 'success';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'success';
  }
  if (typeof parsed !== 'object' || parsed === null || !('status' in parsed)) return 'success';
  const value = (parsed as { status: unknown }).status;
  if (value === 'SUCCESS' || value === '' || value === undefined || value === null) return 'success';
  if (value === 'DROP') return 'drop';
  return 'retry';
}

export class HttpAppDelivery implements AppChannel {
  private readonly channel: HttpAppChannel;

  constructor(
    host: string,
    port: number,
    appId: string,
    appApiToken: string | undefined,
    private readonly logger: Logger,
  ) {
    this.channel = new HttpAppChannel(host, port, appId, appApiToken);
  }

  listSubscriptions(): Promise<SubscriptionResource[] | undefined> {
    return discoverAppSubscriptions(this.channel, this.logger);
  }

  async deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryOutcome> {
    const response = await this.channel.send({
      method: 'POST',
      path: delivery.path,
      headers: {
        ...metadataAsHeaders(delivery.metadata),
        ...traceHeaders(delivery.trace),
        'content-type': CLOUDEVENT_CONTENT_TYPE,
      },
      body: delivery.body,
    });
    return topicOutcome(response.status, response.body);
  }

  async wantsInputBinding(_name: string, route: string): Promise<boolean> {
    const response = await this.channel.send({
      method: 'OPTIONS',
      path: route,
      headers: { 'content-type': 'application/json' },
      timeoutMs: 3000,
    });
    return (response.status >= 200 && response.status < 300) || response.status === 405;
  }

  async deliverBindingEvent(
    _name: string,
    route: string,
    data: Uint8Array,
    metadata: Metadata,
    trace?: TraceContext,
  ): Promise<Uint8Array | undefined> {
    const response = await this.channel.send({
      method: 'POST',
      path: route,
      headers: { ...metadataAsHeaders(metadata), ...traceHeaders(trace), 'content-type': 'application/json' },
      body: data,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`app answered ${response.status} to input binding event on /${route.replace(/^\//, '')}`);
    }
    return response.body.length > 0 ? response.body : undefined;
  }

  async invoke(call: InvokeCall): Promise<InvokeResult> {
    if (call.verb === 'NONE' || call.verb === 'CONNECT')
      throw new InvokeError(
        GRPC.INVALID_ARGUMENT,
        call.verb === 'NONE' ? 'missing HTTP extension field' : 'invalid HTTP verb',
      );
    const headers = headersForApp(call.metadata);
    if (call.contentType !== '') headers['content-type'] = [call.contentType];
    for (const [name, value] of Object.entries(traceHeaders(call.trace))) headers[name] = [value];
    const path = `/${call.method}${call.query === '' ? '' : `?${call.query}`}`;
    let response: Awaited<ReturnType<HttpAppChannel['invoke']>>;
    try {
      response = await this.channel.invoke({ method: call.verb, path, headers, body: call.body });
    } catch (error) {
      throw new InvokeError(GRPC.INTERNAL, `error invoking app channel: ${(error as Error).message}`);
    }
    let contentType = '';
    for (const key in response.headers)
      if (key.toLowerCase() === 'content-type') contentType = response.headers[key]![0]!;
    return {
      status: response.status,
      message: '',
      headers: responseHeaders(response.headers),
      trailers: {},
      contentType,
      body: response.body,
      typeUrl: '',
    };
  }

  close(): void {
    this.channel.close();
  }
}
