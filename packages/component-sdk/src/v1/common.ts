/**
 * Contract v1: what every daprkit component implements, whatever its building block.
 * Values are bytes at every boundary, exactly as they travel on the pluggable-component wire.
 */

/** Component configuration or per-request metadata: string keys to string values, as Dapr passes them. */
export type Metadata = Record<string, string>;

/** Minimal structured logger; components never log metadata values (they may be secrets). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Handed to a component factory: who this instance is. */
export interface ComponentContext {
  /** The YAML `metadata.name` of the component (the `x-component-instance` header); `''` when absent. */
  readonly instanceName: string;
  readonly logger: Logger;
}

/** Lifecycle shared by every component type. */
export interface Component {
  /** Configure and connect. Properties are the YAML `spec.metadata` values, secrets already resolved. */
  init(properties: Metadata): Promise<void>;
  /** Optional liveness check. */
  ping?(): Promise<void>;
  /** Release connections and stop background work; must be safe to call more than once. */
  close?(): Promise<void>;
}

/** A no-op logger for tests and embedding. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
