/** State key prefixing (spec §2.1.1): `appid||key` by default, chosen per store by its `keyPrefix` metadata. */
import { ErrorCode, KEY_SEPARATOR, type Metadata } from '@daprkit/component-sdk';
import { ApiError, badRequest, errorInfo, resourceInfo } from './errors.js';

function illegalKey(key: string, storeName: string): ApiError {
  const message = `input key/keyPrefix '${key}' can't contain '${KEY_SEPARATOR}'`;
  return new ApiError(400, 'ERR_MALFORMED_REQUEST', message, ErrorCode.InvalidArgument, [
    badRequest(key, message),
    resourceInfo('state', storeName, message),
    errorInfo('DAPR_STATE_ILLEGAL_KEY'),
  ]);
}

/** The prefix (with separator) a store's keys get; `''` for `none`. Throws when a custom prefix contains `||`. */
export function keyPrefixFor(properties: Metadata, storeName: string, appId: string): string {
  const entry = Object.entries(properties).find(([name]) => name.toLowerCase() === 'keyprefix');
  const strategy = (entry?.[1] ?? '').toLowerCase() || 'appid';
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
