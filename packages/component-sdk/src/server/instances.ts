/**
 * Component instances of one kind on one socket, keyed by the `x-component-instance` header (spec §2).
 * Objects are created only by Init, stored only once their init succeeded, and replaced (old one closed)
 * by a later Init with the same name: daprd's hot reload.
 */
import { DaprkitError, ErrorCode, FailedPreconditionError } from '../errors.js';
import type { Component, Logger, Metadata } from '../v1/common.js';
import type { ComponentDefinition, ComponentKind, ComponentKinds } from '../v1/definition.js';

export const INSTANCE_HEADER = 'x-component-instance';

/** What both engines hand over as request metadata (grpc-js' `Metadata`, or the daprkit engine's view). */
export interface GrpcMetadata {
  get(key: string): (string | Buffer)[];
}

/**
 * Missing or empty header = the default instance `''` (conformance harnesses send no name). When the header was
 * sent several times the LAST value names the instance: daprd's client interceptors append the header to the
 * outgoing context, so a call made inside another component's stream handler (daprd's outbox relay reads the state
 * store from the pub/sub's PullMessages context) carries the pub/sub's name first and the called component's last.
 * grpc-js hands repeated headers over joined with ", " (component names cannot contain commas).
 */
export function instanceNameOf(metadata: GrpcMetadata): string {
  const values = metadata.get(INSTANCE_HEADER);
  if (values.length === 0) return '';
  const last = String(values[values.length - 1]);
  const comma = last.lastIndexOf(',');
  return comma === -1 ? last : last.slice(comma + 1).trim();
}

/**
 * Distinct instance names one socket keeps per kind: daprd creates one per component YAML, so a caller that Inits
 * thousands is not daprd and must not grow the plugin's memory (and log) without bound.
 */
export const MAX_INSTANCES_PER_KIND = 1000;

export class InstanceTable<K extends ComponentKind> {
  private readonly instances = new Map<string, ComponentKinds[K]>();
  private closed = false;

  constructor(
    readonly socketName: string,
    private readonly definition: ComponentDefinition<K>,
    private readonly logger: Logger,
  ) {}

  get kind(): K {
    return this.definition.kind;
  }

  /** The initialised instance named by the call's header; FAILED_PRECONDITION (no details) otherwise. */
  require(metadata: GrpcMetadata): ComponentKinds[K] {
    const name = instanceNameOf(metadata);
    const instance = this.instances.get(name);
    if (instance === undefined) {
      throw new FailedPreconditionError(
        `instance '${name}' is not initialised on socket ${this.socketName} (call Init first)`,
      );
    }
    return instance;
  }

  async init(metadata: GrpcMetadata, properties: Metadata): Promise<void> {
    const instanceName = instanceNameOf(metadata);
    const fields = { socket: this.socketName, kind: this.kind, instance: instanceName };
    if (!this.instances.has(instanceName) && this.instances.size >= MAX_INSTANCES_PER_KIND) {
      throw new DaprkitError(
        ErrorCode.ResourceExhausted,
        `socket ${this.socketName} already holds ${MAX_INSTANCES_PER_KIND} ${this.kind} instances; refusing another`,
      );
    }
    const component = this.definition.create({ instanceName, logger: this.logger });
    try {
      await component.init(properties);
    } catch (err) {
      this.logger.warn('component init failed', { ...fields, error: err instanceof Error ? err.message : String(err) });
      await closeQuietly(component, this.logger, fields);
      throw err;
    }
    if (this.closed) {
      // Shutdown started while init was running: never store an object nobody will close.
      await closeQuietly(component, this.logger, fields);
      throw new FailedPreconditionError(`socket ${this.socketName} is shutting down`);
    }
    const previous = this.instances.get(instanceName);
    this.instances.set(instanceName, component);
    this.logger.info(previous ? 'component instance re-initialised' : 'component instance initialised', fields);
    if (previous !== undefined && previous !== component) await closeQuietly(previous, this.logger, fields);
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.instances];
    this.instances.clear();
    await Promise.all(
      all.map(([instance, component]) =>
        closeQuietly(component, this.logger, { socket: this.socketName, kind: this.kind, instance }),
      ),
    );
  }
}

async function closeQuietly(component: Component, logger: Logger, fields: Record<string, unknown>): Promise<void> {
  if (typeof component.close !== 'function') return;
  try {
    await component.close();
  } catch (err) {
    logger.warn('component close failed', { ...fields, error: err instanceof Error ? err.message : String(err) });
  }
}
