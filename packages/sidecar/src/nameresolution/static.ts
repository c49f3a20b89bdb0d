/**
 * The `static` resolver (daprkit's own; daprd has none): a fixed map of app id → `host:port` of that app's sidecar
 * internal gRPC port, for machines without multicast (containers, CI) where mDNS cannot work.
 *
 * ```yaml
 * spec:
 *   nameResolution:
 *     component: static
 *     configuration:
 *       apps:
 *         orders: "127.0.0.1:50002"
 *         checkout: "10.0.0.7:50002"
 * ```
 * It announces nothing: every sidecar lists the others (and namespaces are ignored, as by daprd's SQLite resolver).
 */
import type { NameResolutionConfig, NameResolver } from './types.js';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/;

/** `configuration.apps`, every value checked as `host:port` (IPv6 hosts bracketed). */
export function parseStaticApps(configuration: Record<string, unknown>): Map<string, string> {
  const apps = configuration.apps;
  if (apps === null || typeof apps !== 'object' || Array.isArray(apps))
    throw new Error('nameResolution.configuration.apps (static resolver) must be a map of app id to "host:port"');
  const out = new Map<string, string>();
  for (const [id, address] of Object.entries(apps as Record<string, unknown>)) {
    const match = typeof address === 'string' ? HOST_PORT.exec(address) : null;
    const port = match ? Number(match[2]) : 0;
    if (match === null || port < 1 || port > 65535)
      throw new Error(
        `nameResolution.configuration.apps.${id} (static resolver) must be "host:port", got ${JSON.stringify(address)}`,
      );
    out.set(id, address as string);
  }
  return out;
}

export function createStaticResolver(config: NameResolutionConfig): NameResolver {
  const apps = parseStaticApps(config.configuration);
  return {
    init: async () => {},
    resolve: async ({ id }) => {
      const address = apps.get(id);
      if (address === undefined) throw new Error(`app id ${id} is not in the static resolver's apps`);
      return address;
    },
    close: async () => {},
  };
}
