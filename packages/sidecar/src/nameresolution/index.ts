/** Picks the name resolver from `spec.nameResolution` (spec sidecar-wave2 §3.1): one line per resolver. */
import type { Logger } from '@daprkit/component-sdk';
import { mdnsResolver } from './mdns.js';
import { staticResolver } from './static.js';
import type { NameResolutionConfig, NameResolver } from './types.js';

export type { NameResolutionConfig, NameResolver, ResolveRequest, ResolverInstance } from './types.js';

type ResolverFactory = (configuration: Record<string, unknown>, logger: Logger) => NameResolver;

const RESOLVERS: Record<string, ResolverFactory> = {
  mdns: mdnsResolver,
  static: staticResolver,
};

export function createNameResolver(config: NameResolutionConfig, logger: Logger): NameResolver {
  const component = config.component === '' ? 'mdns' : config.component;
  const factory = RESOLVERS[component];
  if (factory === undefined)
    throw new Error(
      `spec.nameResolution.component: unknown name resolver '${component}' (available: ${Object.keys(RESOLVERS).join(', ')})`,
    );
  if (config.version !== '' && config.version !== 'v1')
    throw new Error(`spec.nameResolution.version: ${component} has no version '${config.version}' (only v1)`);
  return factory(config.configuration, logger);
}

/** `spec.nameResolution` of the merged Configuration; absent → mdns v1. */
export function nameResolutionConfig(spec: Record<string, unknown>): NameResolutionConfig {
  const section = spec.nameResolution;
  if (section === undefined || section === null) return { component: '', version: '', configuration: {} };
  if (typeof section !== 'object' || Array.isArray(section)) throw new Error('spec.nameResolution must be a map');
  const { component = '', version = '', configuration = {} } = section as Record<string, unknown>;
  if (typeof component !== 'string') throw new Error('spec.nameResolution.component must be a string');
  if (typeof version !== 'string') throw new Error('spec.nameResolution.version must be a string');
  if (typeof configuration !== 'object' || configuration === null || Array.isArray(configuration))
    throw new Error('spec.nameResolution.configuration must be a map');
  return { component, version, configuration: configuration as Record<string, unknown> };
}
