/** Dapr resources as the sidecar uses them, after parsing and validation of the YAML manifests. */

export interface MetadataItem {
  name: string;
  /** Any YAML value; stringified as daprd does (strings verbatim, anything else as JSON). */
  value?: unknown;
  secretKeyRef?: { name: string; key?: string };
  envRef?: string;
}

export interface ComponentResource {
  name: string;
  namespace?: string;
  /** `<category>.<impl>`, e.g. `state.redis`. */
  type: string;
  version: string;
  metadata: MetadataItem[];
  /** `auth.secretStore`: the store that resolves `secretKeyRef` items. */
  secretStore?: string;
  scopes: string[];
  initTimeoutMs: number;
  ignoreErrors: boolean;
  /** Where it was declared (file path or `code`), for diagnostics. */
  source: string;
}

export interface RouteRule {
  /** A CEL-like expression over `event`; absent = match all. */
  match?: string;
  path: string;
}

export interface SubscriptionResource {
  name: string;
  pubsubname: string;
  topic: string;
  rules: RouteRule[];
  deadLetterTopic?: string;
  metadata: Record<string, string>;
  scopes: string[];
  type: 'DECLARATIVE' | 'PROGRAMMATIC';
}

export interface SecretScope {
  storeName: string;
  defaultAccess: 'allow' | 'deny';
  allowedSecrets: string[];
  deniedSecrets: string[];
}

export interface ConfigurationResource {
  secretScopes: SecretScope[];
  /** `spec.components.deny`: `type` or `type/version`. */
  componentDeny: string[];
  features: { name: string; enabled: boolean }[];
  /**
   * Every Configuration document's `spec`, merged in load order (a later document's top-level key replaces an
   * earlier one's, as daprd merges `--config` files). Each concern parses its own section (tracing, metric,
   * nameResolution, accessControl, logging, …) in its own module, with errors naming the field.
   */
  spec: Record<string, unknown>;
}

/** A manifest as read from disk (in scope for this app), parsed by the concern that owns its kind. */
export type RawManifest = Record<string, unknown> & { __source: string };

export interface Resources {
  components: ComponentResource[];
  subscriptions: SubscriptionResource[];
  configuration: ConfigurationResource;
  /** `Resiliency` (dapr.io/v1alpha1) documents, parsed in resiliency/load.ts. */
  resiliency: RawManifest[];
}

export const DEFAULT_INIT_TIMEOUT_MS = 5000;
