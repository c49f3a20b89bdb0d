/** State key prefixing (spec §2.1.1): `appid||key` by default, chosen per store by its `keyPrefix` metadata. */
import { KEY_SEPARATOR, type Metadata } from '@daprkit/component-sdk';
import { type ApiError, apiError } from './errors.js';
import { field } from './json-fields.js';

function illegalKey(key: string, storeName: string): ApiError {
  const message = `input key/keyPrefix '${key}' can't contain '${KEY_SEPARATOR}'`;
  return apiError('stateIllegalKey', { message, field: key, resource: storeName });
}

/** The prefix (with separator) a store's keys get; `''` for `none`. Throws when a custom prefix contains `||`. */
export function keyPrefixFor(properties: Metadata, storeName: string, appId: string): string {
  const strategy = (field(properties, 'keyPrefix') ?? '').toLowerCase() || 'appid';
  const namespace = process.env.NAMESPACE;
  let prefix: string;
  switch (strategy) {
    case 'appid':
      prefix = appId;
      break;
    case 'name':
      prefix = storeName;
      break;
    case 'namespace':
      prefix = appId === '' ? '' : namespace ? `${namespace}.${appId}` : appId;
      break;
    case 'none':
      prefix = '';
      break;
    default:
      prefix = strategy;
  }
  if (prefix.includes(KEY_SEPARATOR)) throw illegalKey(prefix, storeName);
  return prefix === '' ? '' : prefix + KEY_SEPARATOR;
}

/** The key sent to the store; a user key containing `||` is rejected (400 ERR_MALFORMED_REQUEST). */
export function prefixedKey(keyPrefix: string, key: string, storeName: string): string {
  if (key.includes(KEY_SEPARATOR)) throw illegalKey(key, storeName);
  return keyPrefix + key;
}
