/**
 * The one table of component kinds. For each building block: its Dapr YAML category (`spec.type` is
 * `<category>.<name>`), the pluggable-protocol service whose presence on a socket makes daprd register that
 * category, and the proto file that defines it. The server (protos to load), the client's discovery (services →
 * types) and the sidecar (types → kinds) all read this table; a new kind is one new row here.
 */
import type { ComponentKind } from './definition.js';

export type ComponentCategory = 'state' | 'pubsub' | 'bindings' | 'secretstores';

export interface ComponentKindInfo {
  readonly kind: ComponentKind;
  readonly category: ComponentCategory;
  /** Full service name, as reflection lists it and daprd looks it up. */
  readonly service: string;
  /** Path of the proto defining the service, below the package's `proto/` folder. */
  readonly proto: string;
}

export const COMPONENT_KINDS: readonly ComponentKindInfo[] = Object.freeze([
  {
    kind: 'state',
    category: 'state',
    service: 'dapr.proto.components.v1.StateStore',
    proto: 'dapr/proto/components/v1/state.proto',
  },
  {
    kind: 'pubsub',
    category: 'pubsub',
    service: 'dapr.proto.components.v1.PubSub',
    proto: 'dapr/proto/components/v1/pubsub.proto',
  },
  {
    kind: 'inputBinding',
    category: 'bindings',
    service: 'dapr.proto.components.v1.InputBinding',
    proto: 'dapr/proto/components/v1/bindings.proto',
  },
  {
    kind: 'outputBinding',
    category: 'bindings',
    service: 'dapr.proto.components.v1.OutputBinding',
    proto: 'dapr/proto/components/v1/bindings.proto',
  },
  {
    kind: 'secretStore',
    category: 'secretstores',
    service: 'dapr.proto.components.v1.SecretStore',
    proto: 'dapr/proto/components/v1/secretstore.proto',
  },
]);

/** The row of a kind. */
export function componentKindInfo(kind: ComponentKind): ComponentKindInfo {
  const info = COMPONENT_KINDS.find((k) => k.kind === kind);
  if (info === undefined) throw new TypeError(`unknown component kind '${kind}'`);
  return info;
}

/** The kind a socket service stands for; undefined for any other service (daprd ignores those). */
export function componentKindOfService(service: string): ComponentKindInfo | undefined {
  return COMPONENT_KINDS.find((k) => k.service === service);
}

/** The kinds a Dapr type category covers (`bindings` → input and output); empty for an unknown category. */
export function componentKindsOfCategory(category: string): ComponentKind[] {
  return COMPONENT_KINDS.filter((k) => k.category === category).map((k) => k.kind);
}

/** The category of a Dapr component type: `state.redis` → `state`, `secretstores.local.env` → `secretstores`. */
export function categoryOfType(type: string): string {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}
