import { type ComponentDefinition, defineComponent } from '@daprkit/component-sdk';
import { sqliteStateStoreMetadataSchema } from './metadata.js';
import { SqliteStateStore } from './sqlite-state-store.js';
import { VERSION } from './version.js';

/** The driver this package opens files with: the sidecar's `sqlite` name resolver shares it (and these rules). */
export { default as BetterSqlite3 } from 'better-sqlite3';
export { isInMemory, type OpenTarget, parseConnectionString } from './connection-string.js';
export { type SqliteStateStoreMetadata, sqliteStateStoreMetadataSchema } from './metadata.js';
export { LATEST_MIGRATION_LEVEL } from './migrations.js';
export { createSqliteStateStore, SqliteStateStore, type SqliteStateStoreOptions } from './sqlite-state-store.js';
export { VERSION } from './version.js';

/** Served as `state.daprkit-sqlite` over a socket, and as `state.sqlite` / `state.sqlite3` in the daprkit sidecar. */
export const definitions: ComponentDefinition<'state'>[] = [
  defineComponent({
    kind: 'state',
    socketName: 'daprkit-sqlite',
    types: ['state.sqlite', 'state.sqlite3'],
    packageName: '@daprkit/state-sqlite',
    version: VERSION,
    metadata: sqliteStateStoreMetadataSchema,
    create: ({ logger }) => new SqliteStateStore({ logger }),
  }),
];
