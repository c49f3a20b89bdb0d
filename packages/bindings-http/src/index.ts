import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { HttpBinding } from './http-binding.js';
import { httpBindingMetadataSchema } from './metadata.js';
import { VERSION } from './version.js';

export { canonicalHeaderName, HTTP_OPERATIONS, HttpBinding, HttpStatusError } from './http-binding.js';
export { httpBindingMetadataSchema, parseHttpBindingSettings } from './metadata.js';
export { VERSION } from './version.js';

export function createHttpBinding(options: ConstructorParameters<typeof HttpBinding>[0] = {}): HttpBinding {
  return new HttpBinding(options);
}

/** Served as `bindings.daprkit-http` over a socket and as `bindings.http` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'outputBinding',
    socketName: 'daprkit-http',
    types: ['bindings.http'],
    packageName: '@daprkit/bindings-http',
    version: VERSION,
    metadata: httpBindingMetadataSchema,
    create: ({ logger }) => new HttpBinding({ logger }),
  }),
];
