/**
 * The Dapr runtime API definitions (names and field numbers as in dapr/dapr) loaded once per process: the `Dapr`
 * service the gRPC API serves and the `AppCallback` service the gRPC app channel calls.
 */
import { fileURLToPath } from 'node:url';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));

let loaded: GrpcObject | undefined;

function runtimePackage(): GrpcObject {
  loaded ??= loadPackageDefinition(
    loadSync(['dapr/proto/runtime/v1/dapr.proto', 'dapr/proto/runtime/v1/appcallback.proto'], {
      includeDirs: [PROTO_ROOT],
      keepCase: true,
      longs: Number,
      enums: Number,
      defaults: true,
      oneofs: true,
    }),
  );
  return loaded;
}

function lookup(path: string): ServiceClientConstructor {
  let node: unknown = runtimePackage();
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`proto service ${path} not found`);
  return node as ServiceClientConstructor;
}

export const daprService = () => lookup('dapr.proto.runtime.v1.Dapr');
export const appCallbackService = () => lookup('dapr.proto.runtime.v1.AppCallback');
