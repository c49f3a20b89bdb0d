import type { MetadataSchema } from '../metadata.js';
import type { InputBinding, OutputBinding } from './bindings.js';
import type { ComponentContext } from './common.js';
import type { PubSub } from './pubsub.js';
import type { SecretStore } from './secretstores.js';
import type { StateStore } from './state.js';

/** The building blocks, named like the pluggable-protocol services that serve them. */
export interface ComponentKinds {
  state: StateStore;
  pubsub: PubSub;
  inputBinding: InputBinding;
  outputBinding: OutputBinding;
  secretStore: SecretStore;
}
export type ComponentKind = keyof ComponentKinds;

/** Dapr YAML `spec.type` category for each kind. */
export const typeCategoryOf: Record<ComponentKind, string> = {
  state: 'state',
  pubsub: 'pubsub',
  inputBinding: 'bindings',
  outputBinding: 'bindings',
  secretStore: 'secretstores',
};

/**
 * What a component package exports: how to build one instance, and under which names it is served.
 * `create` is called once per component instance (per YAML `metadata.name`), on Init.
 */
export interface ComponentDefinition<K extends ComponentKind = ComponentKind> {
  kind: K;
  /** Default socket file name without extension, e.g. `daprkit-memory` → `type: state.daprkit-memory`. */
  socketName: string;
  /** Dapr types this package implements in process, e.g. `['state.redis']` (used by the sidecar registry). */
  types: readonly string[];
  /** npm package name and version, for diagnostics. */
  packageName: string;
  version: string;
  create(context: ComponentContext): ComponentKinds[K];
  /** The component metadata schema (YAML `spec.metadata`): documents the README table and `metadata.yaml`. */
  metadata?: MetadataSchema;
}

export function defineComponent<K extends ComponentKind>(definition: ComponentDefinition<K>): ComponentDefinition<K> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(definition.socketName)) {
    throw new TypeError(
      `invalid socketName '${definition.socketName}': use lower-case letters, digits, '.', '_' or '-'`,
    );
  }
  return Object.freeze({ ...definition, types: Object.freeze([...definition.types]) });
}
