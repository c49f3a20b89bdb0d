// Wire-compatibility tests for the .proto files shipped in ../proto/.
//
// Every expectation below is written out by hand from the field numbers of dapr/dapr's
// dapr/proto/components/v1/*.proto, googleapis' google/rpc/*.proto and grpc's reflection protos,
// so a wrong name, number, type, streaming flag or package makes a test fail.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

const PROTO_ROOT = fileURLToPath(new URL('../proto/', import.meta.url));

const DAPR_FILES = ['common', 'state', 'pubsub', 'bindings', 'secretstore'].map(
  (f) => `dapr/proto/components/v1/${f}.proto`,
);
const ALL_FILES = [
  ...DAPR_FILES,
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
  'grpc/reflection/v1alpha/reflection.proto',
  'grpc/reflection/v1/reflection.proto',
];

const PKG = 'dapr.proto.components.v1';

/** protobufjs root with original (snake_case) field names, resolving imports inside PROTO_ROOT. */
function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_ROOT, target));
  root.loadSync(ALL_FILES, { keepCase: true });
  root.resolveAll();
  return root;
}

const root = loadRoot();
const pkgDef = protoLoader.loadSync(ALL_FILES, {
  includeDirs: [PROTO_ROOT],
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  oneofs: true,
});

const T = (name: string): protobuf.Type => root.lookupType(name.includes('.') ? name : `${PKG}.${name}`);

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

/** Parses a space-separated hex string ("0a 01 6b") into bytes. */
function bytes(h: string): Buffer {
  return Buffer.from(h.replace(/\s+/g, ''), 'hex');
}

/** Encodes a plain snake_case object with protobufjs. */
function enc(type: string, obj: Record<string, unknown>): string {
  const t = T(type);
  const err = t.verify(obj);
  if (err) throw new Error(`${type}: ${err}`);
  return hex(t.encode(t.fromObject(obj)).finish());
}

/** A string's UTF-8 bytes as hex. */
const s = (str: string): string => hex(Buffer.from(str, 'utf8'));

// ---------------------------------------------------------------------------------------------
// Services and methods
// ---------------------------------------------------------------------------------------------

type Kind = 'unary' | 'bidi';
// [service, method, request type, response type, kind]
const METHODS: Array<[string, string, string, string, Kind]> = [
  ['StateStore', 'Init', 'InitRequest', 'InitResponse', 'unary'],
  ['StateStore', 'Features', 'FeaturesRequest', 'FeaturesResponse', 'unary'],
  ['StateStore', 'Delete', 'DeleteRequest', 'DeleteResponse', 'unary'],
  ['StateStore', 'Get', 'GetRequest', 'GetResponse', 'unary'],
  ['StateStore', 'Set', 'SetRequest', 'SetResponse', 'unary'],
  ['StateStore', 'Ping', 'PingRequest', 'PingResponse', 'unary'],
  ['StateStore', 'BulkDelete', 'BulkDeleteRequest', 'BulkDeleteResponse', 'unary'],
  ['StateStore', 'BulkGet', 'BulkGetRequest', 'BulkGetResponse', 'unary'],
  ['StateStore', 'BulkSet', 'BulkSetRequest', 'BulkSetResponse', 'unary'],
  ['TransactionalStateStore', 'Transact', 'TransactionalStateRequest', 'TransactionalStateResponse', 'unary'],
  ['QueriableStateStore', 'Query', 'QueryRequest', 'QueryResponse', 'unary'],
  ['TransactionalStoreMultiMaxSize', 'MultiMaxSize', 'MultiMaxSizeRequest', 'MultiMaxSizeResponse', 'unary'],
  ['PubSub', 'Init', 'PubSubInitRequest', 'PubSubInitResponse', 'unary'],
  ['PubSub', 'Features', 'FeaturesRequest', 'FeaturesResponse', 'unary'],
  ['PubSub', 'Publish', 'PublishRequest', 'PublishResponse', 'unary'],
  ['PubSub', 'BulkPublish', 'BulkPublishRequest', 'BulkPublishResponse', 'unary'],
  ['PubSub', 'PullMessages', 'PullMessagesRequest', 'PullMessagesResponse', 'bidi'],
  ['PubSub', 'Ping', 'PingRequest', 'PingResponse', 'unary'],
  ['PubSub', 'Pause', 'PauseRequest', 'PauseResponse', 'unary'],
  ['PubSub', 'Resume', 'ResumeRequest', 'ResumeResponse', 'unary'],
  ['InputBinding', 'Init', 'InputBindingInitRequest', 'InputBindingInitResponse', 'unary'],
  ['InputBinding', 'Read', 'ReadRequest', 'ReadResponse', 'bidi'],
  ['InputBinding', 'Ping', 'PingRequest', 'PingResponse', 'unary'],
  ['OutputBinding', 'Init', 'OutputBindingInitRequest', 'OutputBindingInitResponse', 'unary'],
  ['OutputBinding', 'Invoke', 'InvokeRequest', 'InvokeResponse', 'unary'],
  ['OutputBinding', 'ListOperations', 'ListOperationsRequest', 'ListOperationsResponse', 'unary'],
  ['OutputBinding', 'Ping', 'PingRequest', 'PingResponse', 'unary'],
  ['SecretStore', 'Init', 'SecretStoreInitRequest', 'SecretStoreInitResponse', 'unary'],
  ['SecretStore', 'Features', 'FeaturesRequest', 'FeaturesResponse', 'unary'],
  ['SecretStore', 'Get', 'GetSecretRequest', 'GetSecretResponse', 'unary'],
  ['SecretStore', 'BulkGet', 'BulkGetSecretRequest', 'BulkGetSecretResponse', 'unary'],
  ['SecretStore', 'Ping', 'PingRequest', 'PingResponse', 'unary'],
];

const REFLECTION_VERSIONS = ['v1alpha', 'v1'] as const;

type MethodDef = protoLoader.MethodDefinition<object, object>;

function serviceDef(fullName: string): Record<string, MethodDef> {
  const def = pkgDef[fullName] as unknown;
  expect(def, `service ${fullName} missing from package definition`).toBeTruthy();
  return def as Record<string, MethodDef>;
}

/** Short message name from a proto-loader MessageTypeDefinition (its DescriptorProto). */
function descriptorName(def: protoLoader.MessageTypeDefinition<object, object>): string | undefined {
  return (def.type as { name?: string }).name;
}

describe('service and method paths', () => {
  it.each(METHODS)('/%s/%s', (svc, method, req, res, kind) => {
    const full = `${PKG}.${svc}`;
    const def = serviceDef(full)[method];
    expect(def, `${full}/${method}`).toBeDefined();
    expect(def!.path).toBe(`/${full}/${method}`);
    expect(def!.requestStream).toBe(kind === 'bidi');
    expect(def!.responseStream).toBe(kind === 'bidi');
    expect(descriptorName(def!.requestType)).toBe(req);
    expect(descriptorName(def!.responseType)).toBe(res);

    // Fully qualified type names through protobufjs.
    const m = root.lookupService(full).methods[method]!;
    expect(m.resolvedRequestType!.fullName).toBe(`.${PKG}.${req}`);
    expect(m.resolvedResponseType!.fullName).toBe(`.${PKG}.${res}`);
    expect(Boolean(m.requestStream)).toBe(kind === 'bidi');
    expect(Boolean(m.responseStream)).toBe(kind === 'bidi');
  });

  it('each dapr service has exactly the expected methods (nothing extra)', () => {
    const expected = new Map<string, string[]>();
    for (const [svc, method] of METHODS) expected.set(svc, [...(expected.get(svc) ?? []), method]);
    const ns = root.lookup(PKG) as protobuf.Namespace;
    const actualServices = ns.nestedArray.filter((n) => n instanceof protobuf.Service).map((n) => n.name);
    expect(actualServices.sort()).toEqual([...expected.keys()].sort());
    for (const [svc, methods] of expected) {
      expect(Object.keys(root.lookupService(`${PKG}.${svc}`).methods).sort(), svc).toEqual([...methods].sort());
    }
  });

  it.each(REFLECTION_VERSIONS)('grpc.reflection.%s.ServerReflection/ServerReflectionInfo is bidi', (v) => {
    const full = `grpc.reflection.${v}.ServerReflection`;
    const def = serviceDef(full).ServerReflectionInfo;
    expect(def!.path).toBe(`/${full}/ServerReflectionInfo`);
    expect(def!.requestStream).toBe(true);
    expect(def!.responseStream).toBe(true);
    const m = root.lookupService(full).methods.ServerReflectionInfo!;
    expect(m.resolvedRequestType!.fullName).toBe(`.grpc.reflection.${v}.ServerReflectionRequest`);
    expect(m.resolvedResponseType!.fullName).toBe(`.grpc.reflection.${v}.ServerReflectionResponse`);
    expect(Object.keys(root.lookupService(full).methods)).toEqual(['ServerReflectionInfo']);
  });

  it('go_package option matches dapr/dapr', () => {
    for (const file of DAPR_FILES) {
      const r = new protobuf.Root();
      r.resolvePath = (_o, t) => (path.isAbsolute(t) ? t : path.join(PROTO_ROOT, t));
      r.loadSync(file, { keepCase: true });
      const ns = r.lookup(PKG) as protobuf.Namespace;
      expect(ns.options?.go_package, file).toBe('github.com/dapr/dapr/pkg/proto/components/v1;components');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Field tables: name=number:type for every message, in field-number order
// ---------------------------------------------------------------------------------------------

const SS = 'map<string,string>';
const FIELDS: Record<string, string> = {
  // common.proto
  MetadataRequest: `properties=1:${SS}`,
  FeaturesRequest: '',
  FeaturesResponse: 'features=1:repeated string',
  PingRequest: '',
  PingResponse: '',
  // state.proto
  Etag: 'value=1:string',
  StateOptions: 'concurrency=1:StateOptions.StateConcurrency consistency=2:StateOptions.StateConsistency',
  InitRequest: 'metadata=1:MetadataRequest',
  InitResponse: '',
  GetRequest: `key=1:string metadata=2:${SS} consistency=3:StateOptions.StateConsistency`,
  GetResponse: `data=1:bytes etag=2:Etag metadata=3:${SS} content_type=4:string`,
  SetRequest: `key=1:string value=2:bytes etag=3:Etag metadata=4:${SS} options=5:StateOptions content_type=6:string`,
  SetResponse: '',
  DeleteRequest: `key=1:string etag=2:Etag metadata=3:${SS} options=4:StateOptions`,
  DeleteResponse: '',
  BulkGetRequestOptions: 'parallelism=1:int64',
  BulkGetRequest: 'items=1:repeated GetRequest options=2:BulkGetRequestOptions',
  BulkStateItem: `key=1:string data=2:bytes etag=3:Etag error=4:string metadata=5:${SS} content_type=6:string`,
  BulkGetResponse: 'items=1:repeated BulkStateItem',
  BulkSetRequestOptions: 'parallelism=1:int64',
  BulkSetRequest: 'items=1:repeated SetRequest options=2:BulkSetRequestOptions',
  BulkSetResponse: '',
  BulkDeleteRequestOptions: 'parallelism=1:int64',
  BulkDeleteRequest: 'items=1:repeated DeleteRequest options=2:BulkDeleteRequestOptions',
  BulkDeleteResponse: '',
  TransactionalStateOperation: 'delete=1:DeleteRequest set=2:SetRequest',
  TransactionalStateRequest: `operations=1:repeated TransactionalStateOperation metadata=2:${SS}`,
  TransactionalStateResponse: '',
  MultiMaxSizeRequest: '',
  MultiMaxSizeResponse: 'max_size=1:int64',
  Sorting: 'key=1:string order=2:Sorting.Order',
  Pagination: 'limit=1:int64 token=2:string',
  Query: 'filter=1:map<string,google.protobuf.Any> sort=2:repeated Sorting pagination=3:Pagination',
  QueryRequest: `query=1:Query metadata=2:${SS}`,
  QueryItem: 'key=1:string data=2:bytes etag=3:Etag error=4:string content_type=5:string',
  QueryResponse: `items=1:repeated QueryItem token=2:string metadata=3:${SS}`,
  // pubsub.proto
  PubSubInitRequest: 'metadata=1:MetadataRequest',
  PubSubInitResponse: '',
  PublishRequest: `data=1:bytes pubsub_name=2:string topic=3:string metadata=4:${SS} content_type=5:string`,
  PublishResponse: '',
  BulkPublishRequest: `entries=1:repeated BulkMessageEntry pubsub_name=2:string topic=3:string metadata=4:${SS}`,
  BulkMessageEntry: `entry_id=1:string event=2:bytes content_type=3:string metadata=4:${SS}`,
  BulkPublishResponse: 'failed_entries=1:repeated BulkPublishResponseFailedEntry',
  BulkPublishResponseFailedEntry: 'entry_id=1:string error=2:string',
  Topic: `name=1:string metadata=2:${SS}`,
  PullMessagesRequest: 'topic=1:Topic ack_message_id=2:string ack_error=3:AckMessageError',
  AckMessageError: 'message=1:string',
  PullMessagesResponse: `data=1:bytes topic_name=2:string metadata=3:${SS} content_type=4:string id=5:string`,
  PauseRequest: '',
  PauseResponse: '',
  ResumeRequest: '',
  ResumeResponse: '',
  // bindings.proto
  InputBindingInitRequest: 'metadata=1:MetadataRequest',
  InputBindingInitResponse: '',
  OutputBindingInitRequest: 'metadata=1:MetadataRequest',
  OutputBindingInitResponse: '',
  ReadResponse: `data=1:bytes metadata=2:${SS} content_type=3:string message_id=4:string`,
  ReadRequest: 'response_data=1:bytes message_id=2:string response_error=3:AckResponseError',
  AckResponseError: 'message=1:string',
  InvokeRequest: `data=1:bytes metadata=2:${SS} operation=3:string`,
  InvokeResponse: `data=1:bytes metadata=2:${SS} content_type=3:string`,
  ListOperationsRequest: '',
  ListOperationsResponse: 'operations=1:repeated string',
  // secretstore.proto
  SecretStoreInitRequest: 'metadata=1:MetadataRequest',
  SecretStoreInitResponse: '',
  GetSecretRequest: `key=1:string metadata=2:${SS}`,
  GetSecretResponse: `data=1:${SS}`,
  BulkGetSecretRequest: `metadata=1:${SS}`,
  SecretResponse: `secrets=1:${SS}`,
  BulkGetSecretResponse: 'data=1:map<string,SecretResponse>',
  // google/rpc
  'google.rpc.Status': 'code=1:int32 message=2:string details=3:repeated google.protobuf.Any',
  'google.rpc.ErrorInfo': `reason=1:string domain=2:string metadata=3:${SS}`,
  'google.rpc.BadRequest': 'field_violations=1:repeated google.rpc.BadRequest.FieldViolation',
  'google.rpc.BadRequest.FieldViolation':
    'field=1:string description=2:string reason=3:string localized_message=4:google.rpc.LocalizedMessage',
  'google.rpc.LocalizedMessage': 'locale=1:string message=2:string',
  'google.rpc.RetryInfo': 'retry_delay=1:google.protobuf.Duration',
  'google.rpc.ResourceInfo': 'resource_type=1:string resource_name=2:string owner=3:string description=4:string',
};

for (const v of REFLECTION_VERSIONS) {
  const p = `grpc.reflection.${v}`;
  Object.assign(FIELDS, {
    [`${p}.ServerReflectionRequest`]:
      `host=1:string file_by_filename=3:string file_containing_symbol=4:string ` +
      `file_containing_extension=5:${p}.ExtensionRequest all_extension_numbers_of_type=6:string list_services=7:string`,
    [`${p}.ExtensionRequest`]: 'containing_type=1:string extension_number=2:int32',
    [`${p}.ServerReflectionResponse`]:
      `valid_host=1:string original_request=2:${p}.ServerReflectionRequest ` +
      `file_descriptor_response=4:${p}.FileDescriptorResponse all_extension_numbers_response=5:${p}.ExtensionNumberResponse ` +
      `list_services_response=6:${p}.ListServiceResponse error_response=7:${p}.ErrorResponse`,
    [`${p}.FileDescriptorResponse`]: 'file_descriptor_proto=1:repeated bytes',
    [`${p}.ExtensionNumberResponse`]: 'base_type_name=1:string extension_number=2:repeated int32',
    [`${p}.ListServiceResponse`]: `service=1:repeated ${p}.ServiceResponse`,
    [`${p}.ServiceResponse`]: 'name=1:string',
    [`${p}.ErrorResponse`]: 'error_code=1:int32 error_message=2:string',
  });
}

function typeName(f: protobuf.Field): string {
  if (!f.resolvedType) return f.type;
  const full = f.resolvedType.fullName.slice(1);
  return full.startsWith(`${PKG}.`) ? full.slice(PKG.length + 1) : full;
}

function describeFields(t: protobuf.Type): string {
  return t.fieldsArray
    .slice()
    .sort((a, b) => a.id - b.id)
    .map((f) => {
      let ty = typeName(f);
      if (f instanceof protobuf.MapField) ty = `map<${f.keyType},${ty}>`;
      else if (f.repeated) ty = `repeated ${ty}`;
      return `${f.name}=${f.id}:${ty}`;
    })
    .join(' ');
}

describe('message fields (name=number:type)', () => {
  it.each(Object.entries(FIELDS))('%s', (name, expected) => {
    expect(describeFields(T(name))).toBe(expected);
  });

  it('every message of the dapr package is covered by the table', () => {
    const all: string[] = [];
    const walk = (ns: protobuf.NamespaceBase): void => {
      for (const n of ns.nestedArray) {
        if (n instanceof protobuf.Type) all.push(n.fullName.slice(PKG.length + 2));
        if (n instanceof protobuf.Type || n instanceof protobuf.Namespace) walk(n);
      }
    };
    walk(root.lookup(PKG) as protobuf.Namespace);
    expect(all.filter((n) => !(n in FIELDS))).toEqual([]);
  });

  it('oneofs', () => {
    expect(T('TransactionalStateOperation').oneofs?.request?.oneof).toEqual(['delete', 'set']);
    for (const v of REFLECTION_VERSIONS) {
      expect(T(`grpc.reflection.${v}.ServerReflectionRequest`).oneofs?.message_request?.oneof).toEqual([
        'file_by_filename',
        'file_containing_symbol',
        'file_containing_extension',
        'all_extension_numbers_of_type',
        'list_services',
      ]);
      expect(T(`grpc.reflection.${v}.ServerReflectionResponse`).oneofs?.message_response?.oneof).toEqual([
        'file_descriptor_response',
        'all_extension_numbers_response',
        'list_services_response',
        'error_response',
      ]);
    }
  });

  it('enums', () => {
    const values = (n: string) => root.lookupEnum(`${PKG}.${n}`).values;
    expect(values('StateOptions.StateConcurrency')).toEqual({
      CONCURRENCY_UNSPECIFIED: 0,
      CONCURRENCY_FIRST_WRITE: 1,
      CONCURRENCY_LAST_WRITE: 2,
    });
    expect(values('StateOptions.StateConsistency')).toEqual({
      CONSISTENCY_UNSPECIFIED: 0,
      CONSISTENCY_EVENTUAL: 1,
      CONSISTENCY_STRONG: 2,
    });
    expect(values('Sorting.Order')).toEqual({ ASC: 0, DESC: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Golden wire bytes, computed by hand from tags: tag byte = (field_number << 3) | wire_type
// (wire type 0 = varint, 2 = length-delimited).
// ---------------------------------------------------------------------------------------------

describe('golden wire bytes', () => {
  it('SetRequest{key, value, etag, options.concurrency=FIRST_WRITE}', () => {
    const golden = [
      '0a 01 6b', // 1 key "k"
      '12 01 76', // 2 value "v"
      '1a 03 0a 01 31', // 3 etag { 1 value "1" }
      '2a 02 08 01', // 5 options { 1 concurrency = 1 }
    ].join(' ');
    expect(
      enc('SetRequest', { key: 'k', value: Buffer.from('v'), etag: { value: '1' }, options: { concurrency: 1 } }),
    ).toBe(golden);
    // Same bytes through the loader the gRPC server uses (camelCase, enums as numbers).
    const set = serviceDef(`${PKG}.StateStore`).Set!;
    const viaLoader = set.requestSerialize({
      key: 'k',
      value: Buffer.from('v'),
      etag: { value: '1' },
      options: { concurrency: 'CONCURRENCY_FIRST_WRITE' },
    });
    expect(hex(viaLoader)).toBe(golden);
    const back = set.requestDeserialize(bytes(golden)) as Record<string, unknown>;
    expect(back).toMatchObject({ key: 'k', etag: { value: '1' }, options: { concurrency: 1, consistency: 0 } });
    expect(Buffer.from(back.value as Uint8Array).toString()).toBe('v');
  });

  it('GetRequest with metadata map and consistency', () => {
    // 2 metadata entry { 1 "a", 2 "b" } ; 3 consistency = STRONG(2)
    expect(enc('GetRequest', { key: 'x', metadata: { a: 'b' }, consistency: 2 })).toBe(
      '0a 01 78 12 06 0a 01 61 12 01 62 18 02',
    );
  });

  it('MultiMaxSizeResponse{max_size:-1} is the 10-byte negative varint', () => {
    const golden = '08 ff ff ff ff ff ff ff ff ff 01';
    expect(enc('MultiMaxSizeResponse', { max_size: -1 })).toBe(golden);
    const mms = serviceDef(`${PKG}.TransactionalStoreMultiMaxSize`).MultiMaxSize!;
    expect(hex(mms.responseSerialize({ maxSize: -1 }))).toBe(golden);
    expect(mms.responseDeserialize(bytes(golden))).toEqual({ maxSize: -1 });
  });

  it('BulkGetRequest options.parallelism is int64 field 1 inside field 2', () => {
    // 1 items { 1 key "a" } ; 2 options { 1 parallelism = 300 (ac 02) }
    expect(enc('BulkGetRequest', { items: [{ key: 'a' }], options: { parallelism: 300 } })).toBe(
      '0a 03 0a 01 61 12 03 08 ac 02',
    );
  });

  it('PullMessagesRequest with ack_error present but empty encodes field 3 with length 0', () => {
    // 2 ack_message_id "m1" ; 3 ack_error {} (present, zero length)
    const golden = `12 02 ${s('m1')} 1a 00`;
    expect(enc('PullMessagesRequest', { ack_message_id: 'm1', ack_error: {} })).toBe(golden);
    const pm = serviceDef(`${PKG}.PubSub`).PullMessages!;
    expect(hex(pm.requestSerialize({ ackMessageId: 'm1', ackError: {} }))).toBe(golden);
    // Without ack_error only field 2 is written.
    expect(enc('PullMessagesRequest', { ack_message_id: 'm1' })).toBe(`12 02 ${s('m1')}`);
  });

  it('PullMessagesRequest first message carries topic (field 1)', () => {
    // 1 topic { 1 name "t" ; 2 metadata { "k": "v" } }
    expect(enc('PullMessagesRequest', { topic: { name: 't', metadata: { k: 'v' } } })).toBe(
      '0a 0b 0a 01 74 12 06 0a 01 6b 12 01 76',
    );
  });

  it('PullMessagesResponse fields 1..5', () => {
    expect(
      enc('PullMessagesResponse', {
        data: Buffer.from('d'),
        topic_name: 't',
        content_type: 'c',
        id: 'i',
      }),
    ).toBe('0a 01 64 12 01 74 22 01 63 2a 01 69');
  });

  it('TransactionalStateOperation oneof: delete=1, set=2', () => {
    expect(enc('TransactionalStateOperation', { set: { key: 'a' } })).toBe('12 03 0a 01 61');
    expect(enc('TransactionalStateOperation', { delete: { key: 'b' } })).toBe('0a 03 0a 01 62');
    // TransactionalStateRequest{operations:[set a, delete b], metadata:{m:n}}
    expect(
      enc('TransactionalStateRequest', {
        operations: [{ set: { key: 'a' } }, { delete: { key: 'b' } }],
        metadata: { m: 'n' },
      }),
    ).toBe('0a 05 12 03 0a 01 61 0a 05 0a 03 0a 01 62 12 06 0a 01 6d 12 01 6e');
    // Decoding through the loader reports which member is set.
    const tx = serviceDef(`${PKG}.TransactionalStateStore`).Transact!;
    const decoded = tx.requestDeserialize(bytes('0a 05 0a 03 0a 01 62')) as {
      operations: Array<{ request?: string; delete?: { key: string }; set?: unknown }>;
    };
    expect(decoded.operations[0]!.request).toBe('delete');
    expect(decoded.operations[0]!.delete!.key).toBe('b');
  });

  it('Query filter map with an Any whose type_url is empty and value is JSON', () => {
    const json = '{"a":1}';
    // Any{ 2 value json } (type_url empty, so omitted)
    const any = `12 07 ${s(json)}`;
    // map entry { 1 key "EQ", 2 value Any } inside Query field 1
    const entry = `0a 02 ${s('EQ')} 12 09 ${any}`;
    // type_url is left unset: protobufjs writes any explicitly set property, even an empty string.
    expect(enc('Query', { filter: { EQ: { value: Buffer.from(json) } } })).toBe(`0a 0f ${entry}`);
    const decoded = T('Query').decode(bytes(`0a 0f ${entry}`)) as unknown as {
      filter: Record<string, { type_url: string; value: Uint8Array }>;
    };
    expect(decoded.filter.EQ!.type_url).toBe('');
    expect(Buffer.from(decoded.filter.EQ!.value).toString()).toBe(json);
  });

  it('FeaturesResponse{features:["ETAG"]}', () => {
    expect(enc('FeaturesResponse', { features: ['ETAG'] })).toBe(`0a 04 ${s('ETAG')}`);
  });

  it('MetadataRequest inside InitRequest', () => {
    // 1 metadata { 1 properties { 1 "k", 2 "v" } }
    expect(enc('InitRequest', { metadata: { properties: { k: 'v' } } })).toBe('0a 08 0a 06 0a 01 6b 12 01 76');
  });

  it('BulkPublishResponse failed_entries', () => {
    // 1 failed_entries { 1 entry_id "1", 2 error "x" }
    expect(enc('BulkPublishResponse', { failed_entries: [{ entry_id: '1', error: 'x' }] })).toBe(
      '0a 06 0a 01 31 12 01 78',
    );
  });

  it('ReadRequest / ReadResponse (input binding stream)', () => {
    // ReadRequest: 2 message_id "m" ; 3 response_error { 1 message "e" }
    expect(enc('ReadRequest', { message_id: 'm', response_error: { message: 'e' } })).toBe('12 01 6d 1a 03 0a 01 65');
    // ReadResponse: 1 data "d" ; 3 content_type "c" ; 4 message_id "m"
    expect(enc('ReadResponse', { data: Buffer.from('d'), content_type: 'c', message_id: 'm' })).toBe(
      '0a 01 64 1a 01 63 22 01 6d',
    );
  });

  it('InvokeRequest operation is field 3', () => {
    expect(enc('InvokeRequest', { data: Buffer.from('d'), operation: 'create' })).toBe(`0a 01 64 1a 06 ${s('create')}`);
  });

  it('BulkGetSecretResponse map<string, SecretResponse>', () => {
    // SecretResponse { 1 secrets { 1 "k", 2 "v" } } = 0a 06 0a 01 6b 12 01 76 (8 bytes)
    const secret = '0a 06 0a 01 6b 12 01 76';
    // data entry { 1 key "s", 2 value SecretResponse } = 3 + 2 + 8 = 13 bytes
    const golden = `0a 0d 0a 01 73 12 08 ${secret}`;
    expect(enc('BulkGetSecretResponse', { data: { s: { secrets: { k: 'v' } } } })).toBe(golden);
    const decoded = serviceDef(`${PKG}.SecretStore`).BulkGet!.responseDeserialize(bytes(golden));
    expect(decoded).toEqual({ data: { s: { secrets: { k: 'v' } } } });
  });

  it('google.rpc.BadRequest with one FieldViolation field "etag"', () => {
    // FieldViolation { 1 field "etag", 2 description "mismatch" } = 6 + 10 = 16 bytes
    const violation = `0a 04 ${s('etag')} 12 08 ${s('mismatch')}`;
    const badRequest = `0a 10 ${violation}`;
    expect(enc('google.rpc.BadRequest', { field_violations: [{ field: 'etag', description: 'mismatch' }] })).toBe(
      badRequest,
    );

    // Wrapped in google.rpc.Status{code:9, message:"m", details:[Any]} as in grpc-status-details-bin.
    const typeUrl = 'type.googleapis.com/google.rpc.BadRequest'; // 41 bytes = 0x29
    const any = `0a 29 ${s(typeUrl)} 12 12 ${badRequest}`; // 2 + 41 + 2 + 18 = 63 bytes = 0x3f
    expect(
      enc('google.rpc.Status', {
        code: 9,
        message: 'm',
        details: [{ type_url: typeUrl, value: bytes(badRequest) }],
      }),
    ).toBe(`08 09 12 01 6d 1a 3f ${any}`);
  });

  it('google.rpc.ErrorInfo kit error', () => {
    // 1 reason "R" ; 2 domain "D" ; 3 metadata { 1 "kit_error", 2 "true" }
    const entry = `0a 09 ${s('kit_error')} 12 04 ${s('true')}`; // 11 + 6 = 17 bytes
    expect(enc('google.rpc.ErrorInfo', { reason: 'R', domain: 'D', metadata: { kit_error: 'true' } })).toBe(
      `0a 01 52 12 01 44 1a 11 ${entry}`,
    );
  });

  it.each(REFLECTION_VERSIONS)('grpc.reflection.%s list_services request/response', (v) => {
    // ServerReflectionRequest{ 7 list_services "*" }
    expect(enc(`grpc.reflection.${v}.ServerReflectionRequest`, { list_services: '*' })).toBe('3a 01 2a');
    // ServerReflectionResponse{ 6 list_services_response { 1 service { 1 name "a.B" } } }
    expect(
      enc(`grpc.reflection.${v}.ServerReflectionResponse`, {
        list_services_response: { service: [{ name: 'a.B' }] },
      }),
    ).toBe('32 07 0a 05 0a 03 61 2e 42');
    // error_response is field 7 with error_code=1, error_message=2
    expect(
      enc(`grpc.reflection.${v}.ServerReflectionResponse`, { error_response: { error_code: 12, error_message: 'x' } }),
    ).toBe('3a 05 08 0c 12 01 78');
  });
});

// ---------------------------------------------------------------------------------------------
// Presence of message fields on decode
// ---------------------------------------------------------------------------------------------

describe('message-field presence on decode', () => {
  const type = () => T('PullMessagesRequest');
  const pm = () => serviceDef(`${PKG}.PubSub`).PullMessages!;

  it('PullMessagesRequest without field 3 decodes with ack_error absent', () => {
    const buf = bytes(`12 02 ${s('m1')}`);
    const msg = type().decode(buf) as unknown as Record<string, unknown>;
    expect(msg.ack_message_id).toBe('m1');
    expect(msg.ack_error == null).toBe(true);
    expect(Object.hasOwn(msg, 'ack_error')).toBe(false);

    const viaLoader = pm().requestDeserialize(buf) as Record<string, unknown>;
    expect(viaLoader.ackMessageId).toBe('m1');
    expect(viaLoader.ackError == null).toBe(true);
    expect(viaLoader.topic == null).toBe(true);
  });

  it('PullMessagesRequest with an empty field 3 decodes to a present object', () => {
    const buf = bytes(`12 02 ${s('m1')} 1a 00`);
    const msg = type().decode(buf) as unknown as Record<string, unknown>;
    expect(msg.ack_error).not.toBeNull();
    expect(msg.ack_error).toBeTypeOf('object');
    expect((msg.ack_error as { message: string }).message).toBe('');

    const viaLoader = pm().requestDeserialize(buf) as Record<string, unknown>;
    expect(viaLoader.ackError).toEqual({ message: '' });
  });

  it('ReadRequest response_error presence', () => {
    const read = serviceDef(`${PKG}.InputBinding`).Read!;
    expect((read.requestDeserialize(bytes('12 01 6d')) as Record<string, unknown>).responseError == null).toBe(true);
    expect((read.requestDeserialize(bytes('12 01 6d 1a 00')) as Record<string, unknown>).responseError).toEqual({
      message: '',
    });
  });

  it('SetRequest etag presence: absent vs present-but-empty', () => {
    const set = serviceDef(`${PKG}.StateStore`).Set!;
    expect((set.requestDeserialize(bytes('0a 01 6b')) as Record<string, unknown>).etag == null).toBe(true);
    expect((set.requestDeserialize(bytes('0a 01 6b 1a 00')) as Record<string, unknown>).etag).toEqual({ value: '' });
  });
});
