/**
 * The Dapr runtime API definitions (names and field numbers as in dapr/dapr): the `Dapr` service the gRPC API
 * serves and the `AppCallback` service the gRPC app channel calls.
 *
 * Start-up cost is the point of this module. The protos are parsed at build time into `proto/runtime.json`
 * (scripts/runtime-proto-json.mjs). A service's method table (paths, stream flags) is read from that JSON alone;
 * protobufjs (its light build: no .proto parser) and the types are loaded on the first call of any codec, and
 * protobufjs generates each message's codec on its first call, so start-up compiles nothing and the gRPC API's
 * codecs cost the first request instead. The definitions have proto-loader's shape and codec semantics (options
 * below) minus the descriptor fields (`requestType`/`responseType`), which nothing here reads; the previous
 * `loadSync` of the .proto files cost 100–250 ms of every start.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs/light.js';

/** The subset of grpc-js's `MethodDefinition` that servers and clients use. */
export interface RuntimeMethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
  originalName: string;
}
export type RuntimeServiceDefinition = Record<string, RuntimeMethodDefinition>;

/** proto-loader's options as the sidecar used them: field names as in the .proto, longs and enums as numbers. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: true, oneofs: true };

interface MethodJson {
  requestType: string;
  responseType: string;
  requestStream?: boolean;
  responseStream?: boolean;
}
interface NamespaceJson {
  nested?: Record<string, NamespaceJson>;
  methods?: Record<string, MethodJson>;
}

let json: NamespaceJson | undefined;
let root: protobuf.Root | undefined;
const services = new Map<string, RuntimeServiceDefinition>();

function runtimeJson(): NamespaceJson {
  json ??= JSON.parse(readFileSync(new URL('../../proto/runtime.json', import.meta.url), 'utf8')) as NamespaceJson;
  return json;
}

/** protobufjs's own per-object feature resolution (editions: presence, packing), not in its typings. */
type WithFeatures = { _resolveFeaturesRecursive?(edition: unknown): void; _edition?: unknown };

/** Synchronous on purpose: a codec is called synchronously by the gRPC server or client. */
function runtimeRoot(): protobuf.Root {
  if (root) return root;
  const light = createRequire(import.meta.url)('protobufjs/light.js') as typeof protobuf;
  // `Root.fromJSON` would also `resolveAll()`: every field of every type, 60+ ms of each start. The codecs resolve
  // a type's fields on their first use anyway; only the features pass (editions' presence and packing rules,
  // which fields read rather than compute) has no lazy path, so only that runs here.
  const loaded = new light.Root().addJSON(runtimeJson().nested ?? {}) as protobuf.Root & WithFeatures;
  if (typeof loaded._resolveFeaturesRecursive === 'function') loaded._resolveFeaturesRecursive(loaded._edition);
  else loaded.resolveAll();
  root = loaded;
  return root;
}

/** A method's request and response types, looked up in the loaded root on first use. */
function methodTypes(service: string, method: string): () => { request: protobuf.Type; response: protobuf.Type } {
  let types: { request: protobuf.Type; response: protobuf.Type } | undefined;
  return () => {
    if (types) return types;
    const resolved = runtimeRoot().lookupService(service).methods[method]!;
    resolved.resolve();
    types = {
      request: resolved.resolvedRequestType as protobuf.Type,
      response: resolved.resolvedResponseType as protobuf.Type,
    };
    return types;
  };
}

function serializer(typeOf: () => protobuf.Type): (value: unknown) => Buffer {
  return (value) => {
    const type = typeOf();
    if (Array.isArray(value))
      throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    // Under Node protobufjs's writer finishes into a Buffer, so this is no copy.
    return type.encode(type.fromObject(value as Record<string, unknown>)).finish() as Buffer;
  };
}

function deserializer(typeOf: () => protobuf.Type): (bytes: Buffer) => unknown {
  return (bytes) => {
    const type = typeOf();
    return type.toObject(type.decode(bytes), TO_OBJECT);
  };
}

/** lodash.camelCase as proto-loader applies it to method names (`SaveState` → `saveState`). */
function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** One service's method definitions by method name, built once (from the JSON: nothing is compiled yet). */
export function runtimeService(fullName: string): RuntimeServiceDefinition {
  const cached = services.get(fullName);
  if (cached) return cached;
  let node: NamespaceJson | undefined = runtimeJson();
  for (const part of fullName.split('.')) node = node?.nested?.[part];
  if (node?.methods === undefined) throw new Error(`proto service ${fullName} not found`);
  const definition: RuntimeServiceDefinition = {};
  for (const [name, method] of Object.entries(node.methods)) {
    const types = methodTypes(fullName, name);
    const request = () => types().request;
    const response = () => types().response;
    definition[name] = {
      path: `/${fullName}/${name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: camelCase(name),
    };
  }
  services.set(fullName, definition);
  return definition;
}

export const DAPR_SERVICE = 'dapr.proto.runtime.v1.Dapr';
export const APP_CALLBACK_SERVICE = 'dapr.proto.runtime.v1.AppCallback';

/** The `Dapr` service, in the `{ service }` shape of a grpc-js client constructor (what `addService` takes). */
export const daprService = (): { service: RuntimeServiceDefinition } => ({ service: runtimeService(DAPR_SERVICE) });
/** The `AppCallback` service's method definitions (`makeClientConstructor` turns them into a client). */
export const appCallbackService = (): RuntimeServiceDefinition => runtimeService(APP_CALLBACK_SERVICE);
