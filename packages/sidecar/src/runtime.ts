/** The state every API surface (HTTP, gRPC, app delivery) shares about one running sidecar. */
import type { Logger } from '@daprkit/component-sdk';
import type { ComponentTable } from './composition/table.js';
import type { ConfigurationResource, SubscriptionResource } from './resources/types.js';

export type AppProtocol = 'http' | 'grpc';

export interface Runtime {
  readonly appId: string;
  readonly logger: Logger;
  readonly components: ComponentTable;
  readonly configuration: ConfigurationResource;
  /** `PUT /v1.0/metadata/{key}` values, shown under `extended`. */
  readonly extendedMetadata: Map<string, string>;
  /** Subscriptions currently delivering (declarative merged with programmatic). */
  subscriptions: SubscriptionResource[];
  readonly app: { port?: number; protocol: AppProtocol; channelAddress: string };
  /** `outbound`: components loaded and APIs listening; `runtime`: the app is reachable and delivery started. */
  readonly health: { outbound: boolean; runtime: boolean };
  /** Begins a graceful shutdown (the API answers first). */
  requestShutdown(force: boolean): void;
}
