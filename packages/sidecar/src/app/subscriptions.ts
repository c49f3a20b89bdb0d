/**
 * Programmatic subscriptions from `GET /dapr/subscribe` (spec §4.2) and their merge with declarative ones
 * (spec §1.6): the first declarative subscription per (pubsub, topic) wins, a programmatic one replaces it.
 */
import type { Logger } from '@daprkit/component-sdk';
import type { RouteRule, SubscriptionResource } from '../resources/types.js';
import { field, isObject } from '../shared/json-fields.js';
import type { HttpAppChannel } from './http-channel.js';

const text = (v: unknown) => (typeof v === 'string' ? v : '');

export function subscriptionFromApp(raw: unknown): SubscriptionResource | undefined {
  if (!isObject(raw)) return undefined;
  const rules: RouteRule[] = [];
  const routes = field(raw, 'routes');
  if (isObject(routes)) {
    const list = field(routes, 'rules');
    for (const rule of Array.isArray(list) ? list : []) {
      if (!isObject(rule) || text(field(rule, 'path')) === '') continue;
      const match = text(field(rule, 'match'));
      rules.push(match === '' ? { path: text(field(rule, 'path')) } : { match, path: text(field(rule, 'path')) });
    }
  }
  const fallback = (isObject(routes) ? text(field(routes, 'default')) : '') || text(field(raw, 'route'));
  if (fallback !== '') rules.push({ path: fallback });
  const metadata: Record<string, string> = {};
  const rawMetadata = field(raw, 'metadata');
  if (isObject(rawMetadata))
    for (const [k, v] of Object.entries(rawMetadata)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const subscription: SubscriptionResource = {
    name: '',
    pubsubname: text(field(raw, 'pubsubname')),
    topic: text(field(raw, 'topic')),
    rules,
    metadata,
    scopes: [],
    type: 'PROGRAMMATIC',
  };
  const deadLetterTopic = text(field(raw, 'deadLetterTopic'));
  if (deadLetterTopic !== '') subscription.deadLetterTopic = deadLetterTopic;
  return subscription;
}

/** Asks the app once, with daprd's built-in init retries (500 ms, ×1.5, max 1 s, 3 retries). */
export async function discoverAppSubscriptions(
  channel: HttpAppChannel,
  logger: Logger,
): Promise<SubscriptionResource[] | undefined> {
  let delay = 500;
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await channel.send({
        method: 'GET',
        path: '/dapr/subscribe',
        headers: { 'content-type': 'application/json' },
        timeoutMs: 10_000,
      });
      if (response.status === 404) return [];
      if (response.status < 200 || response.status >= 300) {
        logger.error('app answered /dapr/subscribe with an error; no programmatic subscriptions', {
          status: response.status,
        });
        return [];
      }
      if (response.body.length === 0) return [];
      const parsed = JSON.parse(response.body.toString('utf8')) as unknown;
      if (parsed === null) return [];
      if (!Array.isArray(parsed)) throw new Error('expected a JSON array');
      return parsed.map(subscriptionFromApp).filter((s): s is SubscriptionResource => {
        if (s === undefined || s.rules.length === 0 || s.pubsubname === '' || s.topic === '') {
          logger.warn('dropping app subscription without pubsubname, topic or route', {
            subscription: JSON.stringify(s ?? null),
          });
          return false;
        }
        return true;
      });
    } catch (error) {
      if (error instanceof SyntaxError || (error as Error).message === 'expected a JSON array') {
        // daprd: an unreadable answer stops every app subscription, declarative ones included.
        logger.error('cannot parse /dapr/subscribe answer; no subscriptions will start', {
          error: (error as Error).message,
        });
        return undefined;
      }
      if (attempt >= 3) {
        logger.error('cannot reach the app for /dapr/subscribe; no programmatic subscriptions', {
          error: (error as Error).message,
        });
        return [];
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.5, 1000);
    }
  }
}

export function mergeSubscriptions(
  declarative: readonly SubscriptionResource[],
  programmatic: readonly SubscriptionResource[],
): SubscriptionResource[] {
  const byTopic = new Map<string, SubscriptionResource>();
  for (const s of declarative) {
    const key = `${s.pubsubname}\u0000${s.topic}`;
    if (!byTopic.has(key)) byTopic.set(key, s);
  }
  for (const s of programmatic) byTopic.set(`${s.pubsubname}\u0000${s.topic}`, s);
  return [...byTopic.values()];
}
