// Discovery as daprd does it (§1.2): reflection lists exactly the services registered on each socket.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ComponentDefinition, type ComponentKind, defineComponent } from '@daprkit/component-sdk';
import {
  createTestClient,
  discoverSockets,
  listServices,
  startTestServer as startServer,
  type TestServer,
} from '@daprkit/component-sdk/testing';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { methodDefinition, ServiceName } from '../src/server/proto.js';

const STATE_SERVICES = [
  'dapr.proto.components.v1.StateStore',
  'dapr.proto.components.v1.TransactionalStateStore',
  'dapr.proto.components.v1.QueriableStateStore',
  'dapr.proto.components.v1.TransactionalStoreMultiMaxSize',
];
const REFLECTION = ['grpc.reflection.v1alpha.ServerReflection', 'grpc.reflection.v1.ServerReflection'];

const component = {
  async init() {},
  features: () => [],
  operations: () => ['create'],
  async get() {
    return {};
  },
  async set() {},
  async delete() {},
  async publish() {},
  async subscribe() {},
  async read() {},
  async invoke() {
    return {};
  },
  async getSecret() {
    return {};
  },
  async bulkGetSecret() {
    return {};
  },
};

/** Servers close after each test even when an assertion failed, so no socket folder is left behind. */
const running: TestServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});
async function startTestServer(definitions: ComponentDefinition[]): Promise<TestServer> {
  const server = await startServer(definitions);
  running.push(server);
  return server;
}

function definition(kind: ComponentKind, socketName: string): ComponentDefinition {
  return defineComponent({
    kind,
    socketName,
    types: [],
    packageName: 'test',
    version: '0',
    create: () => component as never,
  });
}

describe('reflection list_services', () => {
  it('a state-only socket lists the state services (v1alpha and v1), never PubSub or bindings', async () => {
    const server = await startTestServer([definition('state', 'only-state')]);
    const path = server.socketPath();
    expect(await listServices(path)).toEqual([...STATE_SERVICES, ...REFLECTION]);
    expect(await listServices(path, { version: 'v1' })).toEqual([...STATE_SERVICES, ...REFLECTION]);
    expect(server.sockets[0]!.services).toEqual(STATE_SERVICES);
  });

  it('several kinds on one socket are all listed; two sockets in one process each list their own', async () => {
    const server = await startTestServer([
      definition('state', 'mixed'),
      definition('pubsub', 'mixed'),
      definition('inputBinding', 'in-only'),
      definition('outputBinding', 'mixed'),
      definition('secretStore', 'mixed'),
    ]);
    expect(await listServices(server.socketPath('mixed'))).toEqual([
      ...STATE_SERVICES,
      'dapr.proto.components.v1.PubSub',
      'dapr.proto.components.v1.OutputBinding',
      'dapr.proto.components.v1.SecretStore',
      ...REFLECTION,
    ]);
    expect(await listServices(server.socketPath('in-only'), { version: 'v1' })).toEqual([
      'dapr.proto.components.v1.InputBinding',
      ...REFLECTION,
    ]);
  });

  it('discoverSockets finds sockets only and derives daprd types from the file name', async () => {
    // defineComponent insists on lower case; a hand-written definition may not, and daprd lower-cases the type.
    const mixedCase = { ...definition('inputBinding', 'feed'), socketName: 'Feed.v2' };
    const server = await startTestServer([
      definition('state', 'acme-store'),
      definition('pubsub', 'acme-store'),
      mixedCase,
    ]);
    await writeFile(join(server.folder, 'not-a-socket.sock'), 'x');
    await mkdir(join(server.folder, 'sub.sock'));
    await symlink(server.socketPath('acme-store'), join(server.folder, 'link.sock'));
    const found = await discoverSockets(server.folder);
    expect(found.map(({ name, types }) => ({ name, types }))).toEqual([
      { name: 'acme-store', types: ['state.acme-store', 'pubsub.acme-store'] },
      { name: 'Feed.v2', types: ['bindings.feed.v2'] },
    ]);
    expect(await discoverSockets(join(server.folder, 'missing'))).toEqual([]);
  });
});

describe('reflection file descriptors', () => {
  type Answer = {
    fileDescriptorResponse?: { fileDescriptorProto: Buffer[] } | null;
    errorResponse?: { errorCode: number } | null;
  };

  async function ask(path: string, requests: object[]): Promise<Answer[]> {
    const method = methodDefinition<object, Answer>(ServiceName.ReflectionV1Alpha, 'ServerReflectionInfo');
    const client = new Client(`unix:${path}`, credentials.createInsecure());
    const call = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      new Metadata(),
    );
    const answers: Answer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (a: Answer) => answers.push(a));
      call.on('end', resolve);
      call.on('error', reject);
    });
    for (const request of requests) call.write(request);
    call.end();
    await done;
    client.close();
    return answers;
  }

  const decode = (bytes: Buffer) =>
    descriptor.FileDescriptorProto.decode(bytes) as unknown as {
      name: string;
      dependency: string[];
      service: { name: string }[];
    };

  it('answers file_containing_symbol with the file trimmed to this socket, plus its dependencies; unknown symbols get NOT_FOUND', async () => {
    const server = await startTestServer([definition('outputBinding', 'descriptors')]);
    const [service, method, message, hidden, unknown, listed] = await ask(server.socketPath(), [
      { fileContainingSymbol: 'dapr.proto.components.v1.OutputBinding' },
      { fileContainingSymbol: 'dapr.proto.components.v1.OutputBinding.Invoke' },
      { fileContainingSymbol: 'google.rpc.Status' },
      { fileContainingSymbol: 'dapr.proto.components.v1.StateStore' },
      { fileContainingSymbol: 'no.such.Symbol' },
      { listServices: '*' },
    ]);
    const files = service!.fileDescriptorResponse!.fileDescriptorProto.map(decode);
    expect(files[0]!.service.map((s) => s.name)).toEqual(['OutputBinding']);
    expect(files.slice(1).map((f) => f.name)).toEqual(files[0]!.dependency);
    expect(method!.fileDescriptorResponse!.fileDescriptorProto).toHaveLength(files.length);
    const statusFiles = message!.fileDescriptorResponse!.fileDescriptorProto.map(decode);
    // google.protobuf.Any lives in another file, referenced by its fully qualified name.
    expect(statusFiles.map((f) => f.name)).toEqual(['google_rpc.proto', 'google_protobuf.proto']);
    expect(statusFiles[0]!.dependency).toEqual(['google_protobuf.proto']);
    const status = (
      statusFiles[0] as unknown as { messageType: { name: string; field: { name: string; typeName?: string }[] }[] }
    ).messageType.find((m) => m.name === 'Status')!;
    expect(status.field.find((f) => f.name === 'details')?.typeName).toBe('.google.protobuf.Any');
    expect(hidden!.errorResponse?.errorCode).toBe(5);
    expect(unknown!.errorResponse?.errorCode).toBe(5);
    expect(listed).toBeDefined(); // the stream survived the errors
    // A client still works on the same socket afterwards.
    const binding = createTestClient(server.socketPath()).outputBinding('x');
    await binding.init({});
    expect(binding.operations()).toEqual(['create']);
    await binding.close();
  });
});
