/** The state every API surface (HTTP, gRPC, app delivery, outbox) shares about one running sidecar. */
import type { Logger } from '@daprkit/component-sdk';
import type { MetadataContext } from './api/metadata.js';
import type { PublishContext } from './api/publish.js';
import type { TransactionContext, TransactionHook } from './api/transaction.js';
import type { AppChannel, AppConnection } from './app/app-channel.js';
import type { AppHealthState } from './app/app-health.js';
import type { ComponentTable } from './composition/table.js';
import type { Invoker } from './invoke/invoker.js';
import type { Observability } from './observability/observe-api.js';
import type { Tracer } from './observability/tracing.js';
import type { Resiliency } from './resiliency/resiliency.js';
import type { ConfigurationResource, SubscriptionResource } from './resources/types.js';

export type { AppProtocol } from './app/app-channel.js';

export interface Runtime extends TransactionContext, PublishContext, MetadataContext, Observability {
  readonly appId: string;
  readonly logger: Logger;
  readonly components: ComponentTable;
  readonly configuration: ConfigurationResource;
  /** Resiliency policies (built-ins only when no document is loaded); invocation uses `runWithAppPolicy`. */
  readonly resiliency: Resiliency;
  /** From `spec.tracing` (observability/); undefined when tracing is off (samplingRate exactly "0"). */
  readonly tracer: Tracer | undefined;
  /** `PUT /v1.0/metadata/{key}` values, shown under `extended`. */
  readonly extendedMetadata: Map<string, string>;
  /** Subscriptions currently delivering (declarative merged with programmatic). */
  subscriptions: SubscriptionResource[];
  readonly app: AppConnection;
  /** The channel to the app (HTTP or gRPC, by `app.protocol`); undefined without an app port. */
  readonly appChannel: AppChannel | undefined;
  /** Run before every state transaction commits; the outbox registers its hook here (sidecar.ts). */
  readonly transactionHooks: TransactionHook[];
  /** `outbound`: components loaded and APIs listening; `runtime`: the app is reachable and delivery started. */
  readonly health: { outbound: boolean; runtime: boolean };
  /** Service invocation; undefined until the internal API and name resolution are up ("invoke API is not ready"). */
  invoker?: Invoker;
  /**
   * App health (`--enable-app-health-check`): code that calls into the app checks `appHealth.healthy` first and,
   * when false, fails fast with `APP_UNHEALTHY_MESSAGE` ('app is not in a healthy state'), as daprd's app channel
   * does. Always healthy when health checks are off.
   */
  readonly appHealth: AppHealthState;
  /** Begins a graceful shutdown (the API answers first). */
  requestShutdown(force: boolean): void;
}
