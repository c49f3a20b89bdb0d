/**
 * Builds the component table: resolves each component type to an implementation (given instance, pluggable socket,
 * programmatic definition or registry package), resolves its metadata and initialises it — secret stores first, as
 * daprd does, so the others can resolve `secretKeyRef` through them (spec §1.3).
 */
import {
  type Component,
  type ComponentDefinition,
  type ComponentKind,
  type ComponentKinds,
  categoryOfType,
  componentKindsOfCategory,
  type InputBinding,
  type Logger,
  type Metadata,
  type OutputBinding,
  type PubSub,
  resolvePubSubFeatures,
  resolveStateFeatures,
  type SecretStore,
  type StateStore,
} from '@daprkit/component-sdk';
import type { ComponentResource } from '../resources/types.js';
import { field, fieldKey } from '../shared/json-fields.js';
import { keyPrefixFor } from '../shared/state-keys.js';
import { ComponentConfigError, resolveComponentMetadata } from './metadata-values.js';
import { discoverPluggableTypes, remoteComponent } from './pluggable.js';
import { loadPackageDefinitions, MissingPackageError } from './registry.js';
import { ComponentTable, type LoadedComponent } from './table.js';

/** A component declared in YAML or in code; `instance` skips type resolution (programmatic embedding). */
export type ComponentDeclaration = ComponentResource & { instance?: Component };

export interface ComposeOptions {
  appId: string;
  logger: Logger;
  registry: Readonly<Record<string, string>>;
  definitions: readonly ComponentDefinition[];
  socketsFolder: string;
  /** Configuration `spec.components.deny`. */
  deny: readonly string[];
  cwd: string;
  /** Told about every component initialised or failed (daprd's component init metrics). */
  onInit?: (type: string, name: string, failure?: 'creation' | 'init') => void;
}

interface Implementation {
  origin: string;
  instances: Partial<{ [K in ComponentKind]: ComponentKinds[K] }>;
}

const isUnversioned = (version: string) => ['', 'v0', 'v1'].includes(version.toLowerCase());

/** A programmatic instance's kinds: bindings are told apart by their methods. */
function instanceKinds(category: string, instance: Component): ComponentKind[] {
  if (category !== 'bindings') return componentKindsOfCategory(category);
  const kinds: ComponentKind[] = [];
  if (typeof (instance as Partial<InputBinding>).read === 'function') kinds.push('inputBinding');
  if (typeof (instance as Partial<OutputBinding>).invoke === 'function') kinds.push('outputBinding');
  return kinds;
}

/** daprd always hands pub/subs a `consumerID`, the app id when the YAML leaves it unset or blank. */
function defaultConsumerId(properties: Metadata, appId: string): void {
  const key = fieldKey(properties, 'consumerID');
  if (key === undefined || properties[key] === '') properties[key ?? 'consumerID'] = appId;
}

/** `direction` metadata limits a binding to input and/or output; absent means both. */
function bindingDirections(properties: Metadata): { input: boolean; output: boolean; explicitInput: boolean } {
  const raw = field(properties, 'direction');
  if (raw === undefined || raw.trim() === '') return { input: true, output: true, explicitInput: false };
  const parts = raw.split(',').map((p) => p.trim().toLowerCase());
  return { input: parts.includes('input'), output: parts.includes('output'), explicitInput: parts.includes('input') };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function composeComponents(
  declarations: readonly ComponentDeclaration[],
  options: ComposeOptions,
): Promise<ComponentTable> {
  const table = new ComponentTable();
  const { logger } = options;
  const needsSockets = declarations.some((d) => d.instance === undefined);
  const sockets = needsSockets
    ? await discoverPluggableTypes(options.socketsFolder).catch((error: Error) => {
        logger.warn('could not discover pluggable components', { folder: options.socketsFolder, error: error.message });
        return new Map<string, { socketPath: string; kinds: ComponentKind[] }>();
      })
    : new Map();

  const resolveImplementation = async (d: ComponentDeclaration): Promise<Implementation> => {
    const type = d.type.toLowerCase();
    const category = categoryOfType(type);
    if (componentKindsOfCategory(category).length === 0)
      throw new ComponentConfigError(
        `component type '${d.type}' is not supported by this sidecar (category '${category}')`,
      );
    if (d.instance !== undefined) {
      const instances: Implementation['instances'] = {};
      for (const kind of instanceKinds(category, d.instance))
        (instances as Record<string, Component>)[kind] = d.instance;
      return { origin: 'code', instances };
    }
    const socket = sockets.get(type);
    if (socket !== undefined) {
      const instances: Implementation['instances'] = {};
      for (const kind of socket.kinds)
        (instances as Record<string, Component>)[kind] = remoteComponent(kind, socket.socketPath, d.name, logger);
      return { origin: `socket ${socket.socketPath}`, instances };
    }
    const versioned = `${type}/${d.version.toLowerCase()}`;
    const fits = (def: ComponentDefinition) =>
      def.types.includes(versioned) || (isUnversioned(d.version) && def.types.includes(type));
    let definitions = options.definitions.filter(fits);
    if (definitions.length === 0) {
      const packageName = options.registry[versioned] ?? options.registry[type];
      if (packageName === undefined) {
        throw new ComponentConfigError(
          `couldn't find ${category} ${d.type}/${d.version}: no socket '${type.slice(category.length + 1)}' in ${options.socketsFolder} and no package registered for it (see --registry)`,
        );
      }
      let loaded: ComponentDefinition[];
      try {
        loaded = await loadPackageDefinitions(packageName, options.cwd);
      } catch (error) {
        // Component packages are optional: say which type needs the missing one.
        if (error instanceof MissingPackageError)
          throw new MissingPackageError(`${error.message} (it implements '${d.type}')`);
        throw error;
      }
      definitions = loaded.filter(fits);
      if (definitions.length === 0)
        throw new ComponentConfigError(`package '${packageName}' has no definition for type '${d.type}'`);
    }
    const instances: Implementation['instances'] = {};
    for (const def of definitions) {
      (instances as Record<string, Component>)[def.kind] = def.create({ instanceName: d.name, logger });
    }
    const first = definitions[0]!;
    return { origin: `${first.packageName}@${first.version}`, instances };
  };

  const initOne = async (d: ComponentDeclaration) => {
    const logName = `${d.name} (${d.type}/${d.version})`;
    const implementation = await resolveImplementation(d);
    const properties = await resolveComponentMetadata(d, {
      appId: options.appId,
      logger,
      secretStores: table.secretStores,
    });
    if (d.type.startsWith('pubsub.')) defaultConsumerId(properties, options.appId);
    const directions = bindingDirections(properties);
    const instances = new Set<Component>();
    for (const [kind, instance] of Object.entries(implementation.instances)) {
      if (kind === 'inputBinding' && !directions.input) continue;
      if (kind === 'outputBinding' && !directions.output) continue;
      instances.add(instance);
    }
    const timeoutError = () => new Error(`init timeout for component ${logName}`);
    for (const instance of instances) {
      try {
        await withTimeout(instance.init(properties), d.initTimeoutMs, timeoutError);
      } catch (error) {
        throw new Error(
          `[INIT_COMPONENT_FAILURE]: initialization error occurred for ${logName}: ${(error as Error).message}`,
        );
      }
    }
    const capabilities: string[] = [];
    const component: LoadedComponent = {
      name: d.name,
      type: d.type,
      version: d.version === '' ? 'v1' : d.version,
      origin: implementation.origin,
      capabilities,
      properties,
      close: async () => {
        await Promise.allSettled([...instances].map((i) => i.close?.()));
      },
    };
    const { state, pubsub, secretStore, inputBinding, outputBinding } = implementation.instances as Partial<{
      state: StateStore;
      pubsub: PubSub;
      secretStore: SecretStore;
      inputBinding: InputBinding;
      outputBinding: OutputBinding;
    }>;
    if (state !== undefined) {
      const features = new Set(resolveStateFeatures(state));
      capabilities.push(...features);
      if (features.has('ETAG') && features.has('TRANSACTIONAL')) capabilities.push('ACTOR');
      table.state.set(d.name, {
        component,
        store: state,
        features,
        keyPrefix: keyPrefixFor(properties, d.name, options.appId),
      });
    }
    if (pubsub !== undefined) {
      const features = new Set(resolvePubSubFeatures(pubsub));
      capabilities.push(...features);
      table.pubsub.set(d.name, { component, pubsub, features });
    }
    if (secretStore !== undefined) {
      const features = new Set(secretStore.features());
      capabilities.push(...features);
      table.secretStores.set(d.name, { component, store: secretStore, features });
    }
    if (inputBinding !== undefined && directions.input) {
      capabilities.push('INPUT_BINDING');
      const route = field(properties, 'route') || d.name;
      table.inputBindings.set(d.name, {
        component,
        binding: inputBinding,
        route,
        explicitInput: directions.explicitInput,
      });
    }
    if (outputBinding !== undefined && directions.output) {
      capabilities.push('OUTPUT_BINDING');
      table.outputBindings.set(d.name, { component, binding: outputBinding });
    }
    table.all.push(component);
    options.onInit?.(d.type, d.name);
    logger.info(`Component loaded: ${logName}`, {
      name: d.name,
      type: d.type,
      version: component.version,
      from: implementation.origin,
    });
  };

  const denied = (d: ComponentDeclaration) =>
    options.deny.some(
      (rule) =>
        rule.toLowerCase() === d.type.toLowerCase() || rule.toLowerCase() === `${d.type}/${d.version}`.toLowerCase(),
    );
  const ordered = [
    ...declarations.filter((d) => categoryOfType(d.type) === 'secretstores'),
    ...declarations.filter((d) => categoryOfType(d.type) !== 'secretstores'),
  ];
  try {
    for (const d of ordered) {
      if (denied(d)) {
        logger.warn('component denied by configuration', { name: d.name, type: d.type });
        continue;
      }
      try {
        await initOne(d);
      } catch (error) {
        const phase = /INIT_COMPONENT_FAILURE/.test((error as Error).message) ? 'init' : 'creation';
        options.onInit?.(d.type, d.name, phase);
        const message = `process component ${d.name} error: ${(error as Error).message}`;
        if (!d.ignoreErrors) throw new ComponentConfigError(message);
        logger.error(message, { ignoreErrors: true });
      }
    }
  } catch (error) {
    await table.closeAll();
    throw error;
  }
  return table;
}
