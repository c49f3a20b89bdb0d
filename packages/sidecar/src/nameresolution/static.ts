/**
 * A fixed table of app ids (no announcement): `spec.nameResolution.component: static` with
 * `configuration: { apps: { <appId>: "host:port" } }`, where the port is that sidecar's internal gRPC port.
 * For machines without multicast and for tests; not a daprd resolver.
 */
import type { NameResolver } from './types.js';

export function staticResolver(configuration: Record<string, unknown>): NameResolver {
  const apps = configuration.apps ?? {};
  if (typeof apps !== 'object' || apps === null || Array.isArray(apps))
    throw new Error('spec.nameResolution.configuration.apps must be a map of app id to "host:port"');
  const table = new Map<string, string>();
  for (const [id, address] of Object.entries(apps)) {
    if (typeof address !== 'string' || !/^(\[[^\]]+\]|[^:]+):\d+$/.test(address))
      throw new Error(
        `spec.nameResolution.configuration.apps.${id} must be "host:port", got ${JSON.stringify(address)}`,
      );
    table.set(id, address);
  }
  return {
    init: async () => {},
    resolve: async ({ id }) => {
      const address = table.get(id);
      if (address === undefined) throw new Error(`couldn't find service: ${id}`);
      return address;
    },
    close: async () => {},
  };
}
