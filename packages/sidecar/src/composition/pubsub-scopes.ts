/** Topic scopes of a pub/sub component (spec §6.4): allowedTopics, protectedTopics, publishing/subscriptionScopes. */
import type { Metadata } from '@daprkit/component-sdk';
import { field } from '../shared/json-fields.js';

/** Scope texts without whitespace, per properties object (checked on every publish and subscription). */
const cleaned = new WeakMap<Metadata, Map<string, string>>();

function metadataValue(properties: Metadata, name: string): string {
  let values = cleaned.get(properties);
  if (values === undefined) {
    values = new Map();
    cleaned.set(properties, values);
  }
  let value = values.get(name);
  if (value === undefined) {
    value = (field(properties, name) ?? '').replace(/\s/g, '');
    values.set(name, value);
  }
  return value;
}

const list = (text: string) => text.split(',').filter((t) => t !== '');

/** `app1=t1,t2;app2=t3` → the app's topic list, or undefined when the app has no entry. */
function scopeFor(text: string, appId: string): string[] | undefined {
  for (const entry of text.split(';')) {
    const eq = entry.indexOf('=');
    if (eq >= 0 && entry.slice(0, eq) === appId) return list(entry.slice(eq + 1));
  }
  return undefined;
}

export function topicAllowed(
  properties: Metadata,
  appId: string,
  topic: string,
  direction: 'publish' | 'subscribe',
): boolean {
  const allowed = list(metadataValue(properties, 'allowedTopics'));
  if (allowed.length > 0 && !allowed.includes(topic)) return false;
  const scopes = scopeFor(
    metadataValue(properties, direction === 'publish' ? 'publishingScopes' : 'subscriptionScopes'),
    appId,
  );
  const isProtected = list(metadataValue(properties, 'protectedTopics')).includes(topic);
  if (!isProtected && scopes === undefined) return true;
  return scopes?.includes(topic) ?? false;
}
