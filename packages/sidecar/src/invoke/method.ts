/** daprd's method normalisation (pkg/messaging/method/normalize.go, spec sidecar-wave2 §1.1). */
import { posix } from 'node:path';
import { GRPC, InvokeError } from '../shared/invocation.js';

function forbidden(method: string): boolean {
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x23 || c === 0x3f) return true; // control bytes, NUL, '#', '?'
  }
  return false;
}

/** Path-cleaned, leading `../` dropped, `.`/`..` → ""; `#`, `?`, NUL and control bytes are InvalidArgument. */
export function normalizeMethod(method: string): string {
  if (forbidden(method)) throw new InvokeError(GRPC.INVALID_ARGUMENT, `invalid method: ${JSON.stringify(method)}`);
  if (method === '') return '';
  let cleaned = posix.normalize(`/${method}`).replace(/^\/+/, '');
  while (cleaned.startsWith('../')) cleaned = cleaned.slice(3);
  if (cleaned === '.' || cleaned === '..') return '';
  // posix.normalize keeps a trailing slash, as Go's path.Clean does not.
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}
