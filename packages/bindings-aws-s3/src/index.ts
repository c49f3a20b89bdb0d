import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { s3MetadataSchema } from './metadata.js';
import { S3Binding } from './s3-binding.js';
import { VERSION } from './version.js';

export { s3MetadataSchema } from './metadata.js';
export { createS3Binding, OPERATIONS, S3Binding, type S3BindingOptions } from './s3-binding.js';
export { VERSION } from './version.js';

/** Served as `bindings.daprkit-aws-s3` over a socket, and as `bindings.aws.s3` in the daprkit sidecar. */
export const definitions: ComponentDefinition[] = [
  defineComponent({
    kind: 'outputBinding',
    socketName: 'daprkit-aws-s3',
    types: ['bindings.aws.s3'],
    packageName: '@daprkit/bindings-aws-s3',
    version: VERSION,
    metadata: s3MetadataSchema,
    create: ({ logger }) => new S3Binding({ logger }),
  }),
];
