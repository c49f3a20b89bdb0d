/**
 * Name resolution (spec sidecar-wave2 §3): how one sidecar finds another's internal gRPC address by app id.
 * The shape follows components-contrib's `nameresolution.Resolver` so daprd's resolvers (mDNS, SQLite) can be
 * mirrored one to one; `Configuration.spec.nameResolution` picks the resolver (default: mdns, as daprd standalone).
 */

/** What this sidecar announces (contrib's `nameresolution.Instance`). */
export interface ResolverInstance {
  appId: string;
  namespace: string;
  /** The announced host address (DAPR_HOST_IP, the outbound interface address, or a loopback listen address). */
  address: string;
  /** The internal gRPC port (`--dapr-internal-grpc-port`): what other sidecars dial. */
  daprInternalPort: number;
  daprHttpPort: number;
  appPort: number;
}

export interface ResolveRequest {
  id: string;
  namespace: string;
  /** The caller's own internal gRPC port (daprd passes it; resolvers that cannot know a port use it). */
  port: number;
}

export interface NameResolver {
  /** Announces/registers `instance`; resolves once other sidecars can find it. */
  init(instance: ResolverInstance): Promise<void>;
  /** `host:port` of one sidecar of `request.id` (IPv6 hosts bracketed); rejects with an Error saying why not. */
  resolve(request: ResolveRequest): Promise<string>;
  /** Withdraws the announcement (mDNS goodbye, SQLite row deleted). */
  close(): Promise<void>;
}

/** `spec.nameResolution` of the Configuration (component empty → mdns, version empty → v1). */
export interface NameResolutionConfig {
  component: string;
  version: string;
  configuration: Record<string, unknown>;
}
