import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { LocalStorageBinding } from './localstorage-binding.js';
import { localStorageMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export { goUnquote, isStdBase64 } from './go-unquote.js';
export { LOCALSTORAGE_OPERATIONS, LocalStorageBinding } from './localstorage-binding.js';
export { localStorageMetadataSchema, parseLocalStorageSettings } from './metadata.js';
export { resolveRootPath, secureJoin } from './secure-path.js';
export { VERSION } from './version.js';

export function createLocalStorageBinding(): LocalStorageBinding {
  return new LocalStorageBinding();
}

/** Served as `bindings.daprkit-localstorage` over a socket and as `bindings.localstorage` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'outputBinding',
    socketName: 'daprkit-localstorage',
    types: ['bindings.localstorage'],
    packageName: '@daprkit/bindings-localstorage',
    version: VERSION,
    metadata: localStorageMetadataSchema,
    create: (context) => new LocalStorageBinding(context.logger),
  }),
];
