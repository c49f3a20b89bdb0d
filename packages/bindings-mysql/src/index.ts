import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { mysqlBindingMetadataSchema } from './metadata.js';
import { MySqlBinding } from './mysql-binding.js';
import { VERSION } from './version.js';

export { mysqlBindingMetadataSchema } from './metadata.js';
export { createMySqlBinding, MySqlBinding, type MySqlBindingOptions } from './mysql-binding.js';
export { type ColumnInfo, rowsOf } from './values.js';
export { VERSION } from './version.js';

/** Served as `bindings.daprkit-bindings-mysql` over a socket, and as `bindings.mysql` in the daprkit sidecar. */
export const definitions: ComponentDefinition<'outputBinding'>[] = [
  defineComponent({
    kind: 'outputBinding',
    socketName: 'daprkit-bindings-mysql',
    types: ['bindings.mysql'],
    packageName: '@daprkit/bindings-mysql',
    version: VERSION,
    metadata: mysqlBindingMetadataSchema,
    create: ({ logger }) => new MySqlBinding({ logger }),
  }),
];
