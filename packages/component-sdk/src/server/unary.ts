/**
 * Unary handler plumbing. Each handler is built once at registration; per call it does only
 * header → instance lookup → component call → response (errors through status.ts).
 */
import type { handleUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { UnimplementedError } from '../errors.js';
import type { ComponentKind, ComponentKinds } from '../v1/definition.js';
import { initProperties } from './convert.js';
import { withIncomingMetadata } from './incoming-trace.js';
import type { InstanceTable } from './instances.js';
import { toServiceError } from './status.js';
import type { WireInitRequest } from './wire.js';

export type UnaryRun<C, Req, Res> = (component: C, request: Req) => Res | Promise<Res>;

export function unary<K extends ComponentKind, Req, Res>(
  table: InstanceTable<K>,
  run: UnaryRun<ComponentKinds[K], Req, Res>,
): handleUnaryCall<Req, Res> {
  return async (call, callback) => {
    let response: Res;
    try {
      const component = table.require(call.metadata);
      response = await withIncomingMetadata(call.metadata, () => run(component, call.request));
    } catch (err) {
      fail(callback, err);
      return;
    }
    succeed(callback, response);
  };
}

/** Init: the only call that may name an instance that does not exist yet. */
export function initHandler<K extends ComponentKind>(
  table: InstanceTable<K>,
): handleUnaryCall<WireInitRequest, object> {
  return async (call, callback) => {
    try {
      await table.init(call.metadata, initProperties(call.request));
    } catch (err) {
      fail(callback, err);
      return;
    }
    succeed(callback, {});
  };
}

const EMPTY = Object.freeze({});

/** Ping: the component's liveness check when it has one, else OK. */
export const pingRun = async (component: { ping?(): Promise<void> }): Promise<object> => {
  if (typeof component.ping === 'function') await component.ping();
  return EMPTY;
};

export function unimplemented(what: string): never {
  throw new UnimplementedError(what);
}

// grpc-js handles serialization failures itself; the guards only keep a throwing callback from becoming an
// unhandled rejection (which would end the process).
function succeed<Res>(callback: sendUnaryData<Res>, response: Res): void {
  try {
    callback(null, response);
  } catch {
    /* the call is already finished */
  }
}

function fail<Res>(callback: sendUnaryData<Res>, err: unknown): void {
  try {
    callback(toServiceError(err));
  } catch {
    /* the call is already finished */
  }
}
