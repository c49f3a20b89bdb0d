/** The components the sidecar serves, by building block and name, with what the APIs need to know about each. */
import type {
  InputBinding,
  Metadata,
  OutputBinding,
  PubSub,
  PubSubFeature,
  SecretStore,
  SecretStoreFeature,
  StateFeature,
  StateStore,
} from '@daprkit/component-sdk';

export interface LoadedComponent {
  name: string;
  type: string;
  version: string;
  /** `package@version` or `socket <path>` or `code`. */
  origin: string;
  /** Capabilities as `GET /v1.0/metadata` lists them. */
  capabilities: string[];
  /** Resolved metadata; never logged (may hold secrets). */
  properties: Metadata;
  close(): Promise<void>;
}

export interface StateEntry {
  component: LoadedComponent;
  store: StateStore;
  features: ReadonlySet<StateFeature>;
  /** Prefix including the `||` separator, or `''` for `keyPrefix: none`. */
  keyPrefix: string;
}

export interface PubSubEntry {
  component: LoadedComponent;
  pubsub: PubSub;
  features: ReadonlySet<PubSubFeature>;
}

export interface OutputBindingEntry {
  component: LoadedComponent;
  binding: OutputBinding;
}

export interface InputBindingEntry {
  component: LoadedComponent;
  binding: InputBinding;
  /** App path the events are POSTed to: metadata `route`, else the component name. */
  route: string;
  /** `direction` explicitly lists `input`: skip the OPTIONS probe. */
  explicitInput: boolean;
}

export interface SecretStoreEntry {
  component: LoadedComponent;
  store: SecretStore;
  features: ReadonlySet<SecretStoreFeature>;
}

export class ComponentTable {
  readonly all: LoadedComponent[] = [];
  readonly state = new Map<string, StateEntry>();
  readonly pubsub = new Map<string, PubSubEntry>();
  readonly outputBindings = new Map<string, OutputBindingEntry>();
  readonly inputBindings = new Map<string, InputBindingEntry>();
  readonly secretStores = new Map<string, SecretStoreEntry>();

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.all].reverse().map((c) => c.close()));
  }
}
