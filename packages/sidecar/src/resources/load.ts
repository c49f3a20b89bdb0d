/**
 * Reads Dapr resource manifests (Component, Subscription v1alpha1/v2alpha1, Configuration) the way daprd's disk
 * loader does (spec §1.1): each directory non-recursively, `.yaml`/`.yml` only, multi-document files, unknown kinds
 * ignored, namespace and scope filters, duplicate names rejected.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { type Logger, parseDuration } from '@daprkit/component-sdk';
import { isObject } from '../shared/json-fields.js';
import { lazy } from '../shared/lazy.js';
import {
  type ComponentResource,
  type ConfigurationResource,
  DEFAULT_INIT_TIMEOUT_MS,
  type MetadataItem,
  type Resources,
  type RouteRule,
  type SecretScope,
  type SubscriptionResource,
} from './types.js';

/** The YAML parser, loaded only when there is a file to read (not with the embedded defaults). */
const yaml = lazy(() => import('yaml'));

export class ResourceError extends Error {
  override name = 'ResourceError';
}

type Manifest = Record<string, unknown> & { __source: string };

const asString = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const asStringList = (v: unknown): string[] => (Array.isArray(v) ? v.map(asString) : []);

/** daprd hands components strings: YAML strings verbatim, any other value as its JSON text. */
export function stringifyMetadataValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

async function readManifests(dirs: readonly string[], logger: Logger): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = (await readdir(dir, { withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
    } catch (error) {
      throw new ResourceError(`cannot read resources path '${dir}': ${(error as Error).message}`);
    }
    for (const file of entries) {
      const path = join(dir, file);
      if (!['.yaml', '.yml'].includes(extname(file).toLowerCase())) {
        logger.warn('skipping non-YAML file in resources path', { file: path });
        continue;
      }
      const { parseAllDocuments } = await yaml();
      for (const doc of parseAllDocuments(await readFile(path, 'utf8'))) {
        if (doc.errors.length > 0) {
          logger.warn('skipping YAML document with errors', { file: path, error: doc.errors[0]?.message });
          continue;
        }
        const json = doc.toJS() as unknown;
        if (isObject(json)) manifests.push({ ...json, __source: path });
      }
    }
  }
  return manifests;
}

function manifestName(m: Manifest): string {
  const meta = isObject(m.metadata) ? m.metadata : {};
  const name = asString(meta.name);
  if (name === '' || name === '.' || name === '..' || /[/%]/.test(name)) {
    throw new ResourceError(`invalid resource name '${name}' in ${m.__source}: must be a valid path segment`);
  }
  return name;
}

function inScope(m: Manifest, appId: string): boolean {
  const scopes = asStringList(m.scopes);
  return scopes.length === 0 || scopes.includes(appId);
}

function inNamespace(m: Manifest): boolean {
  const namespace = process.env.NAMESPACE;
  const declared = isObject(m.metadata) ? asString(m.metadata.namespace) : '';
  return !namespace || declared === '' || declared === namespace;
}

function parseMetadataItems(raw: unknown, where: string): MetadataItem[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ResourceError(`${where}: spec.metadata must be a list of {name, value}`);
  return raw.map((item, i) => {
    if (!isObject(item) || asString(item.name) === '')
      throw new ResourceError(`${where}: spec.metadata[${i}] needs a name`);
    const out: MetadataItem = { name: asString(item.name) };
    if ('value' in item) out.value = item.value;
    if (isObject(item.secretKeyRef)) {
      out.secretKeyRef = { name: asString(item.secretKeyRef.name) };
      if (asString(item.secretKeyRef.key) !== '') out.secretKeyRef.key = asString(item.secretKeyRef.key);
    }
    if (asString(item.envRef) !== '') out.envRef = asString(item.envRef);
    return out;
  });
}

export function componentFromManifest(m: Manifest, name: string): ComponentResource {
  const spec = isObject(m.spec) ? m.spec : {};
  const where = `component '${name}' (${m.__source})`;
  const type = asString(spec.type);
  if (!/^[a-z0-9]+\.[^\s]+$/i.test(type))
    throw new ResourceError(`${where}: spec.type must look like 'state.redis', got '${type}'`);
  const timeout = parseDuration(asString(spec.initTimeout));
  const auth = isObject(m.auth) ? m.auth : {};
  const resource: ComponentResource = {
    name,
    type,
    version: asString(spec.version),
    metadata: parseMetadataItems(spec.metadata, where),
    scopes: asStringList(m.scopes),
    initTimeoutMs: timeout !== undefined && timeout > 0 ? timeout : DEFAULT_INIT_TIMEOUT_MS,
    ignoreErrors: spec.ignoreErrors === true || asString(spec.ignoreErrors).toLowerCase() === 'true',
    source: m.__source,
  };
  const namespace = isObject(m.metadata) ? asString(m.metadata.namespace) : '';
  if (namespace !== '') resource.namespace = namespace;
  if (asString(auth.secretStore) !== '') resource.secretStore = asString(auth.secretStore);
  return resource;
}

function stringMap(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(raw)) for (const [k, v] of Object.entries(raw)) out[k] = stringifyMetadataValue(v);
  return out;
}

function subscriptionFromManifest(m: Manifest, name: string, version: 'v1alpha1' | 'v2alpha1'): SubscriptionResource {
  const spec = isObject(m.spec) ? m.spec : {};
  const rules: RouteRule[] = [];
  if (version === 'v2alpha1') {
    const routes = isObject(spec.routes) ? spec.routes : {};
    for (const rule of Array.isArray(routes.rules) ? routes.rules : []) {
      if (isObject(rule) && asString(rule.path) !== '') {
        rules.push(
          asString(rule.match) === ''
            ? { path: asString(rule.path) }
            : { match: asString(rule.match), path: asString(rule.path) },
        );
      }
    }
    if (asString(routes.default) !== '') rules.push({ path: asString(routes.default) });
  } else if (asString(spec.route) !== '') {
    rules.push({ path: asString(spec.route) });
  }
  const subscription: SubscriptionResource = {
    name,
    pubsubname: asString(spec.pubsubname),
    topic: asString(spec.topic),
    rules,
    metadata: stringMap(spec.metadata),
    scopes: asStringList(m.scopes),
    type: 'DECLARATIVE',
  };
  if (asString(spec.deadLetterTopic) !== '') subscription.deadLetterTopic = asString(spec.deadLetterTopic);
  return subscription;
}

function configurationFromManifests(manifests: Manifest[]): ConfigurationResource {
  const configuration: ConfigurationResource = { secretScopes: [], componentDeny: [], features: [], spec: {} };
  for (const m of manifests) {
    const spec = isObject(m.spec) ? m.spec : {};
    Object.assign(configuration.spec, spec);
    const secrets = isObject(spec.secrets) ? spec.secrets : {};
    for (const scope of Array.isArray(secrets.scopes) ? secrets.scopes : []) {
      if (!isObject(scope)) continue;
      const storeName = asString(scope.storeName);
      const access = asString(scope.defaultAccess).toLowerCase() || 'allow';
      if (access !== 'allow' && access !== 'deny') {
        throw new ResourceError(
          `configuration (${m.__source}): defaultAccess for '${storeName}' must be allow or deny, got '${access}'`,
        );
      }
      if (configuration.secretScopes.some((s) => s.storeName === storeName)) {
        throw new ResourceError(`configuration (${m.__source}): secret scope for '${storeName}' given twice`);
      }
      const secretScope: SecretScope = {
        storeName,
        defaultAccess: access,
        allowedSecrets: asStringList(scope.allowedSecrets),
        deniedSecrets: asStringList(scope.deniedSecrets),
      };
      configuration.secretScopes.push(secretScope);
    }
    const components = isObject(spec.components) ? spec.components : {};
    configuration.componentDeny.push(...asStringList(components.deny));
    for (const feature of Array.isArray(spec.features) ? spec.features : []) {
      if (isObject(feature))
        configuration.features.push({ name: asString(feature.name), enabled: feature.enabled === true });
    }
  }
  return configuration;
}

const hasKind = (m: Manifest, apiVersion: string, kind: string) => m.apiVersion === apiVersion && m.kind === kind;

/**
 * Reads daprd's `--config` files: each a Configuration document (multi-document files allowed), merged in the
 * order given. A missing or unreadable file is an error, as in daprd.
 */
export async function loadConfigurationFiles(files: readonly string[]): Promise<ConfigurationResource> {
  const manifests: Manifest[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ResourceError(`cannot read configuration file '${file}': ${(error as Error).message}`);
    }
    const { parseAllDocuments } = await yaml();
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0)
        throw new ResourceError(`configuration file '${file}': ${doc.errors[0]?.message ?? 'invalid YAML'}`);
      const json = doc.toJS() as unknown;
      if (!isObject(json)) continue;
      if (json.kind !== 'Configuration')
        throw new ResourceError(
          `configuration file '${file}': expected kind Configuration, got '${asString(json.kind)}'`,
        );
      manifests.push({ ...json, __source: file });
    }
  }
  return configurationFromManifests(manifests);
}

/** Merges `--config` files (first) with Configuration documents found in the resources paths. */
export function mergeConfigurations(
  first: ConfigurationResource,
  second: ConfigurationResource,
): ConfigurationResource {
  return {
    secretScopes: [...first.secretScopes, ...second.secretScopes],
    componentDeny: [...first.componentDeny, ...second.componentDeny],
    features: [...first.features, ...second.features],
    spec: { ...first.spec, ...second.spec },
  };
}

/** Loads every resource in `dirs` visible to `appId`. Throws ResourceError on invalid or duplicate definitions. */
export async function loadResources(dirs: readonly string[], appId: string, logger: Logger): Promise<Resources> {
  const manifests = (await readManifests(dirs, logger)).filter(inNamespace);
  const components: ComponentResource[] = [];
  const subscriptions: SubscriptionResource[] = [];
  const resiliency: Manifest[] = [];
  const seen = new Set<string>();
  const unique = (kind: string, name: string, source: string) => {
    if (seen.has(`${kind}/${name}`)) throw new ResourceError(`duplicate definition of ${kind} '${name}' (${source})`);
    seen.add(`${kind}/${name}`);
  };
  for (const m of manifests) {
    if (hasKind(m, 'dapr.io/v1alpha1', 'Component')) {
      const name = manifestName(m);
      unique('Component', name, m.__source);
      if (inScope(m, appId)) components.push(componentFromManifest(m, name));
    } else if (hasKind(m, 'dapr.io/v1alpha1', 'Subscription') || hasKind(m, 'dapr.io/v2alpha1', 'Subscription')) {
      const name = manifestName(m);
      unique('Subscription', name, m.__source);
      if (!inScope(m, appId)) continue;
      const subscription = subscriptionFromManifest(
        m,
        name,
        m.apiVersion === 'dapr.io/v2alpha1' ? 'v2alpha1' : 'v1alpha1',
      );
      if (subscription.rules.length === 0) logger.warn('dropping subscription without routes', { subscription: name });
      else subscriptions.push(subscription);
    } else if (hasKind(m, 'dapr.io/v1alpha1', 'Resiliency') && inScope(m, appId)) {
      resiliency.push(m);
    }
  }
  const configuration = configurationFromManifests(
    manifests.filter((m) => hasKind(m, 'dapr.io/v1alpha1', 'Configuration')),
  );
  return { components, subscriptions, configuration, resiliency };
}
