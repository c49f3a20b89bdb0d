/**
 * What each kind of generated package contains. Every template is a small but working component (a Map or an
 * in-process broker standing in for the backend), so the generated conformance test passes at birth and a new
 * author replaces one module with their backend's client.
 */
import { type FieldOptions, field, type MetadataSchema } from '@daprkit/component-sdk';

export const KINDS = ['state', 'pubsub', 'binding', 'secretstore'] as const;
export type Kind = (typeof KINDS)[number];

/** A metadata field written both as TypeScript source and as a live schema field (for the README table). */
interface TemplateField {
  name: string;
  builder: 'int' | 'duration' | 'string';
  options: FieldOptions<unknown> & { min?: number };
}

export interface Names {
  /** Component name as typed: `foo` → YAML `state.foo`, socket `foo.sock`. */
  name: string;
  /** `Foo` (class names). */
  pascal: string;
  /** `foo` (identifiers). */
  camel: string;
  packageName: string;
  binName: string;
}

export interface KindTemplate {
  /** Dapr YAML category and the SDK kind. */
  category: 'state' | 'pubsub' | 'bindings' | 'secretstores';
  sdkKind: 'state' | 'pubsub' | 'outputBinding' | 'secretStore';
  title: string;
  fields: TemplateField[];
  /** The module implementing the contract: file name (without .ts) and source. */
  module(n: Names): { file: string; className: string; source: string };
  conformance(n: Names): string;
  features: string;
}

const renderOptions = (options: TemplateField['options']) =>
  `{ ${Object.entries(options)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v.replace(/'/g, "\\'")}'` : String(v)}`)
    .join(', ')} }`;

/** The fields as TypeScript source: `name: field.int({ ... }),` lines. */
export function fieldsSource(fields: TemplateField[]): string {
  return fields.map((f) => `  ${f.name}: field.${f.builder}(${renderOptions(f.options)}),`).join('\n');
}

/** The same fields as a live schema, so the README table comes from component-sdk's own renderer. */
export function fieldsSchema(fields: TemplateField[]): MetadataSchema {
  const build = (f: TemplateField) =>
    f.builder === 'int'
      ? field.int(f.options as FieldOptions<number>)
      : f.builder === 'duration'
        ? field.duration(f.options as FieldOptions<number>)
        : field.string(f.options as FieldOptions<string>);
  return Object.fromEntries(fields.map((f) => [f.name, build(f)]));
}

const state: KindTemplate = {
  category: 'state',
  sdkKind: 'state',
  title: 'state store',
  fields: [
    {
      name: 'maxItems',
      builder: 'int',
      options: { default: 10000, min: 1, description: 'Most keys held; a write of a new key beyond it fails.' },
    },
  ],
  features: 'get, set, delete (bulk operations come from the SDK); no ETags, transactions or TTL yet',
  module: (n) => ({
    file: `${n.name}-state-store`,
    className: `${n.pascal}StateStore`,
    source: `import {
  type DeleteRequest,
  type GetRequest,
  type GetResponse,
  InvalidArgumentError,
  type Metadata,
  type SetRequest,
  type StateFeature,
  type StateStore,
} from '@daprkit/component-sdk';
import { parse${n.pascal}Settings, type ${n.pascal}Settings } from './metadata.js';

interface Item {
  data: Uint8Array;
  contentType?: string;
}

/**
 * A Map stands in for the backend: replace it with your client, created in init() and closed in close().
 * Claim a feature (ETag, transactions, TTL...) by returning it from features() and declaring it in the
 * conformance test; the suite then checks it both ways.
 */
export class ${n.pascal}StateStore implements StateStore {
  private settings: ${n.pascal}Settings | undefined;
  private readonly items = new Map<string, Item>();

  async init(properties: Metadata): Promise<void> {
    this.settings = parse${n.pascal}Settings(properties);
  }

  features(): readonly StateFeature[] {
    return [];
  }

  async get(request: GetRequest): Promise<GetResponse> {
    const item = this.items.get(request.key);
    if (item === undefined) return {};
    return item.contentType === undefined ? { data: item.data } : { data: item.data, contentType: item.contentType };
  }

  async set(request: SetRequest): Promise<void> {
    const limit = this.settings?.maxItems ?? 0;
    if (!this.items.has(request.key) && this.items.size >= limit) {
      throw new InvalidArgumentError(\`store is full: maxItems is \${limit}\`);
    }
    // The request's bytes may be a view into a larger receive buffer: keep a copy.
    const item: Item = { data: request.value.slice() };
    if (request.contentType !== undefined) item.contentType = request.contentType;
    this.items.set(request.key, item);
  }

  async delete(request: DeleteRequest): Promise<void> {
    this.items.delete(request.key);
  }

  async close(): Promise<void> {
    this.items.clear();
  }
}
`,
  }),
  conformance: (_n) => `import { describeStateConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// Runs every case in process AND over a real unix socket (as daprd would drive the plugin), and writes
// certification/state.json + .md. List claimed operations (e.g. 'etag', 'transaction', 'ttl') as you add them.
describeStateConformance({
  definition: definitions[0]!,
  properties: { maxItems: '100000' },
  operations: [],
  packageDir: new URL('..', import.meta.url),
});
`,
};

const pubsub: KindTemplate = {
  category: 'pubsub',
  sdkKind: 'pubsub',
  title: 'pub/sub',
  fields: [
    {
      name: 'redeliveryDelay',
      builder: 'duration',
      options: { default: 100, min: 0, description: 'Wait before redelivering a message its handler rejected.' },
    },
  ],
  features: 'publish, subscribe with at-least-once redelivery of rejected messages (in one process)',
  module: (n) => ({
    file: `${n.name}-pubsub`,
    className: `${n.pascal}PubSub`,
    source: `import type {
  MessageHandler,
  Metadata,
  PublishRequest,
  PubSub,
  PubSubFeature,
  PubSubMessage,
  SubscribeRequest,
} from '@daprkit/component-sdk';
import { parse${n.pascal}Settings, type ${n.pascal}Settings } from './metadata.js';

/**
 * An in-process broker stands in for the backend: replace publish() with your producer and subscribe() with
 * your consumer. The contract is at-least-once: a handler that throws must see the message again.
 */
export class ${n.pascal}PubSub implements PubSub {
  private settings: ${n.pascal}Settings | undefined;
  private readonly subscribers = new Map<string, Set<MessageHandler>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  async init(properties: Metadata): Promise<void> {
    this.settings = parse${n.pascal}Settings(properties);
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async publish(request: PublishRequest): Promise<void> {
    const message: PubSubMessage = {
      data: request.data.slice(),
      topic: request.topic,
      metadata: { ...request.metadata },
    };
    if (request.contentType !== undefined) message.contentType = request.contentType;
    for (const handler of this.subscribers.get(request.topic) ?? []) this.deliver(request.topic, handler, message);
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    let handlers = this.subscribers.get(request.topic);
    if (handlers === undefined) this.subscribers.set(request.topic, (handlers = new Set()));
    handlers.add(handler);
    signal.addEventListener('abort', () => handlers.delete(handler), { once: true });
  }

  /** Delivers until the handler accepts the message or unsubscribes. */
  private deliver(topic: string, handler: MessageHandler, message: PubSubMessage): void {
    handler(message).catch(() => {
      if (!this.subscribers.get(topic)?.has(handler)) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.deliver(topic, handler, message);
      }, this.settings?.redeliveryDelay ?? 100);
      this.timers.add(timer);
    });
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.subscribers.clear();
  }
}
`,
  }),
  conformance: (_n) => `import { describePubSubConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// Runs every case in process AND over a real unix socket (daprd's streaming subscribe), and writes
// certification/pubsub.json + .md. List claimed operations (e.g. 'bulkpublish') as you add them.
describePubSubConformance({
  definition: definitions[0]!,
  properties: { redeliveryDelay: '50ms' },
  operations: [],
  packageDir: new URL('..', import.meta.url),
});
`,
};

const binding: KindTemplate = {
  category: 'bindings',
  sdkKind: 'outputBinding',
  title: 'output binding',
  fields: [
    {
      name: 'maxItems',
      builder: 'int',
      options: { default: 10000, min: 1, description: 'Most keys held; a create of a new key beyond it fails.' },
    },
  ],
  features: 'operations create, get, delete, list (request metadata `key` names the item)',
  module: (n) => ({
    file: `${n.name}-binding`,
    className: `${n.pascal}Binding`,
    source: `import {
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResponse,
  type Metadata,
  NotFoundError,
  type OutputBinding,
} from '@daprkit/component-sdk';
import { parse${n.pascal}Settings, type ${n.pascal}Settings } from './metadata.js';

const OPERATIONS = ['create', 'get', 'delete', 'list'] as const;

/** A Map stands in for the backend: replace it with your client, created in init() and closed in close(). */
export class ${n.pascal}Binding implements OutputBinding {
  private settings: ${n.pascal}Settings | undefined;
  private readonly items = new Map<string, Uint8Array>();

  async init(properties: Metadata): Promise<void> {
    this.settings = parse${n.pascal}Settings(properties);
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    switch (request.operation) {
      case 'create': {
        const key = keyOf(request);
        const limit = this.settings?.maxItems ?? 0;
        if (!this.items.has(key) && this.items.size >= limit) {
          throw new InvalidArgumentError(\`binding is full: maxItems is \${limit}\`);
        }
        this.items.set(key, request.data.slice());
        return { metadata: { key } };
      }
      case 'get': {
        const data = this.items.get(keyOf(request));
        return data === undefined ? {} : { data };
      }
      case 'delete':
        this.items.delete(keyOf(request));
        return {};
      case 'list':
        return { data: new TextEncoder().encode(JSON.stringify([...this.items.keys()])), contentType: 'application/json' };
      default:
        throw new NotFoundError(
          \`unsupported operation '\${request.operation}': supported are \${OPERATIONS.join(', ')}\`,
        );
    }
  }

  async close(): Promise<void> {
    this.items.clear();
  }
}

function keyOf(request: InvokeRequest): string {
  const key = request.metadata.key;
  if (key === undefined || key === '') {
    throw new InvalidArgumentError(\`operation '\${request.operation}' needs the request metadata 'key'\`);
  }
  return key;
}
`,
  }),
  conformance: (_n) => `import { describeOutputBindingConformance } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// Runs every case in process AND over a real unix socket, and writes certification/outputBinding.json + .md.
describeOutputBindingConformance({
  definition: definitions[0]!,
  properties: {},
  operations: ['create', 'get', 'delete', 'list'],
  config: { output: { key: 'conformance' } },
  packageDir: new URL('..', import.meta.url),
});
`,
};

const secretstore: KindTemplate = {
  category: 'secretstores',
  sdkKind: 'secretStore',
  title: 'secret store',
  fields: [
    {
      name: 'secrets',
      builder: 'string',
      options: {
        required: true,
        secret: true,
        description: 'JSON object of secret name to value; stands in for a real backend.',
      },
    },
  ],
  features: 'get and bulk get of single-valued secrets',
  module: (n) => ({
    file: `${n.name}-secret-store`,
    className: `${n.pascal}SecretStore`,
    source: `import {
  InvalidMetadataError,
  type Metadata,
  NotFoundError,
  type Secret,
  type SecretStore,
  type SecretStoreFeature,
} from '@daprkit/component-sdk';
import { parse${n.pascal}Settings } from './metadata.js';

/** Secrets from component metadata stand in for the backend: replace load() with your client. */
export class ${n.pascal}SecretStore implements SecretStore {
  private secrets = new Map<string, string>();

  async init(properties: Metadata): Promise<void> {
    const settings = parse${n.pascal}Settings(properties);
    let parsed: unknown;
    try {
      parsed = JSON.parse(settings.secrets);
    } catch {
      // Never echo the value: it is a secret.
      throw new InvalidMetadataError('secrets', 'must be a JSON object of strings');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidMetadataError('secrets', 'must be a JSON object of strings');
    }
    this.secrets = new Map(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }

  features(): readonly SecretStoreFeature[] {
    return [];
  }

  async getSecret(request: { name: string; metadata: Metadata }): Promise<Secret> {
    const value = this.secrets.get(request.name);
    if (value === undefined) throw new NotFoundError(\`secret '\${request.name}' not found\`);
    return { [request.name]: value };
  }

  async bulkGetSecret(): Promise<Record<string, Secret>> {
    return Object.fromEntries([...this.secrets].map(([name, value]) => [name, { [name]: value }]));
  }
}
`,
  }),
  conformance: (_n) => `import { describeSecretStoreConformance, SECRET_FIXTURE } from '@daprkit/conformance';
import { definitions } from '../src/index.js';

// Runs every case in process AND over a real unix socket, and writes certification/secretStore.json + .md.
describeSecretStoreConformance({
  definition: definitions[0]!,
  properties: { secrets: JSON.stringify(SECRET_FIXTURE) },
  config: { missingSecret: 'error' },
  packageDir: new URL('..', import.meta.url),
});
`,
};

export const TEMPLATES: Record<Kind, KindTemplate> = { state, pubsub, binding, secretstore };
