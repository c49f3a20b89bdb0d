/**
 * The name resolvers by `spec.nameResolution.component` (one line each), and the Configuration section that picks
 * one (spec sidecar-wave2 §3.1: component empty → mdns, version empty → v1).
 */
import type { Logger } from '@daprkit/component-sdk';
import { createMdnsResolver } from './mdns.js';
import { createSqliteResolver } from './sqlite.js';
import { createStaticResolver } from './static.js';
import type { NameResolutionConfig, NameResolver } from './types.js';

export type { NameResolutionConfig, NameResolver, ResolveRequest, ResolverInstance } from './types.js';

type ResolverFactory = (config: NameResolutionConfig, logger: Logger) => NameResolver;

/** One line per resolver. */
const RESOLVERS: Record<string, ResolverFactory> = {
  sqlite: createSqliteResolver,
  mdns: createMdnsResolver,
  static: createStaticResolver,
};

export const DEFAULT_NAME_RESOLVER = 'mdns';

/** `spec.nameResolution` of the merged Configuration, with field-named errors. */
export function nameResolutionConfig(spec: Record<string, unknown>): NameResolutionConfig {
  const section = spec.nameResolution;
  if (section === undefined || section === null) return { component: '', version: '', configuration: {} };
  if (typeof section !== 'object' || Array.isArray(section)) throw new Error('spec.nameResolution must be a map');
  const { component, version, configuration } = section as Record<string, unknown>;
  const text = (value: unknown, field: string): string => {
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') throw new Error(`spec.nameResolution.${field} must be a string`);
    return value;
  };
  if (
    configuration !== undefined &&
    configuration !== null &&
    (typeof configuration !== 'object' || Array.isArray(configuration))
  )
    throw new Error('spec.nameResolution.configuration must be a map');
  return {
    component: text(component, 'component'),
    version: text(version, 'version'),
    configuration: (configuration ?? {}) as Record<string, unknown>,
  };
}

/** Whether a resolver of that component name is built in. */
export function hasNameResolver(component: string): boolean {
  return Object.hasOwn(RESOLVERS, component || DEFAULT_NAME_RESOLVER);
}

export function createNameResolver(config: NameResolutionConfig, logger: Logger): NameResolver {
  const component = config.component || DEFAULT_NAME_RESOLVER;
  const version = config.version || 'v1';
  if (version !== 'v1') throw new Error(`spec.nameResolution.version: only v1 exists, got ${version}`);
  const factory = Object.hasOwn(RESOLVERS, component) ? RESOLVERS[component] : undefined;
  if (factory === undefined)
    throw new Error(
      `spec.nameResolution.component: unknown name resolver '${component}' (available: ${Object.keys(RESOLVERS).join(', ')})`,
    );
  return factory(config, logger);
}
