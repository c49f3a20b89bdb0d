/**
 * The protocol definition, loaded once per process on first use from the package's `proto/` folder.
 * `src/server` and `dist/server` both sit two levels below the package root, so one relative URL serves both.
 */
import { fileURLToPath } from 'node:url';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { COMPONENT_KINDS } from '../v1/kinds.js';

export const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));

const PROTO_FILES = [
  ...new Set(COMPONENT_KINDS.map((k) => k.proto)),
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
  'grpc/reflection/v1alpha/reflection.proto',
  'grpc/reflection/v1/reflection.proto',
];

const COMPONENTS = 'dapr.proto.components.v1';

/** Full service names, exactly as reflection lists them and daprd looks them up. */
export const ServiceName = {
  StateStore: `${COMPONENTS}.StateStore`,
  TransactionalStateStore: `${COMPONENTS}.TransactionalStateStore`,
  QueriableStateStore: `${COMPONENTS}.QueriableStateStore`,
  TransactionalStoreMultiMaxSize: `${COMPONENTS}.TransactionalStoreMultiMaxSize`,
  PubSub: `${COMPONENTS}.PubSub`,
  InputBinding: `${COMPONENTS}.InputBinding`,
  OutputBinding: `${COMPONENTS}.OutputBinding`,
  SecretStore: `${COMPONENTS}.SecretStore`,
  ReflectionV1Alpha: 'grpc.reflection.v1alpha.ServerReflection',
  ReflectionV1: 'grpc.reflection.v1.ServerReflection',
} as const;
export type ServiceName = (typeof ServiceName)[keyof typeof ServiceName];

let loaded: PackageDefinition | undefined;

/** The proto-loader package definition (camelCase fields, numbers for longs and enums, defaults, oneof names). */
export function protocol(): PackageDefinition {
  loaded ??= loadSync(PROTO_FILES, {
    includeDirs: [PROTO_ROOT],
    keepCase: false,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  return loaded;
}

export function serviceDefinition(name: ServiceName): ServiceDefinition {
  const definition = protocol()[name];
  if (definition === undefined || 'format' in definition)
    throw new Error(`service ${name} is missing from the loaded protos`);
  return definition as ServiceDefinition;
}

/** One method's definition (path and codecs), for clients that call by path. */
export function methodDefinition<Req, Res>(service: ServiceName, method: string): MethodDefinition<Req, Res> {
  const definition = serviceDefinition(service)[method];
  if (definition === undefined) throw new Error(`method ${service}/${method} is missing from the loaded protos`);
  return definition as MethodDefinition<Req, Res>;
}

export interface MessageCodec<T> {
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T;
}

/** Serializer/deserializer of one message type (e.g. `google.rpc.Status`). */
export function messageCodec<T>(fullName: string): MessageCodec<T> {
  const definition = protocol()[fullName] as unknown as (MessageCodec<T> & { format?: string }) | undefined;
  if (definition?.format === undefined || typeof definition.serialize !== 'function') {
    throw new Error(`message ${fullName} is missing from the loaded protos`);
  }
  return definition;
}
