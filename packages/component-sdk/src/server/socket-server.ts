/** One socket = one grpc-js server hosting every kind registered under one socket name, plus reflection. */
import { chmod } from 'node:fs/promises';
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../v1/common.js';
import type { ComponentDefinition, ComponentKind } from '../v1/definition.js';
import type { StreamRegistry } from './acking-stream.js';
import { inputBindingServices, outputBindingServices } from './bindings-service.js';
import { InstanceTable } from './instances.js';
import { ServiceName, serviceDefinition } from './proto.js';
import { pubSubServices } from './pubsub-service.js';
import { ReflectionView, reflectionService } from './reflection.js';
import { secretStoreServices } from './secretstore-service.js';
import { prepareSocketPath, removeSocketFile } from './socket-files.js';
import { stateServices } from './state-service.js';

export interface ServedSocket {
  /** Socket name: daprd registers `<category>.<name>` types from it. */
  name: string;
  path: string;
  /** Component services registered (and listed by reflection) on this socket. */
  services: string[];
}

export interface SocketSettings {
  folder: string;
  path: string;
  socketMode: number;
  maxMessageBytes: number;
  logger: Logger;
}

type Registration = [ServiceName, UntypedServiceImplementation][];

function servicesOf(
  definition: ComponentDefinition,
  socketName: string,
  streams: StreamRegistry,
  logger: Logger,
): { table: InstanceTable<ComponentKind>; services: Registration } {
  switch (definition.kind) {
    case 'state': {
      const table = new InstanceTable(socketName, definition as ComponentDefinition<'state'>, logger);
      return { table, services: stateServices(table) };
    }
    case 'pubsub': {
      const table = new InstanceTable(socketName, definition as ComponentDefinition<'pubsub'>, logger);
      return { table, services: pubSubServices(table, streams, logger) };
    }
    case 'inputBinding': {
      const table = new InstanceTable(socketName, definition as ComponentDefinition<'inputBinding'>, logger);
      return { table, services: inputBindingServices(table, streams, logger) };
    }
    case 'outputBinding': {
      const table = new InstanceTable(socketName, definition as ComponentDefinition<'outputBinding'>, logger);
      return { table, services: outputBindingServices(table) };
    }
    case 'secretStore': {
      const table = new InstanceTable(socketName, definition as ComponentDefinition<'secretStore'>, logger);
      return { table, services: secretStoreServices(table) };
    }
    default:
      throw new TypeError(`unknown component kind '${(definition as { kind: string }).kind}' (socket ${socketName})`);
  }
}

export class SocketServer {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly info: ServedSocket,
    private readonly server: Server,
    private readonly tables: InstanceTable<ComponentKind>[],
    private readonly streams: StreamRegistry,
    private readonly logger: Logger,
  ) {}

  static async start(
    name: string,
    definitions: ComponentDefinition[],
    settings: SocketSettings,
  ): Promise<SocketServer> {
    const server = new Server({
      'grpc.max_receive_message_length': settings.maxMessageBytes,
      'grpc.max_send_message_length': settings.maxMessageBytes,
    });
    const streams: StreamRegistry = new Set();
    const tables: InstanceTable<ComponentKind>[] = [];
    const componentServices: string[] = [];
    for (const definition of definitions) {
      const { table, services } = servicesOf(definition, name, streams, settings.logger);
      tables.push(table);
      for (const [service, implementation] of services) {
        server.addService(serviceDefinition(service) as ServiceDefinition, implementation);
        componentServices.push(service);
      }
    }
    const reflection = reflectionService(new ReflectionView(componentServices));
    server.addService(serviceDefinition(ServiceName.ReflectionV1Alpha) as ServiceDefinition, reflection);
    server.addService(serviceDefinition(ServiceName.ReflectionV1) as ServiceDefinition, reflection);

    try {
      await prepareSocketPath(settings.folder, settings.path);
    } catch (err) {
      server.forceShutdown(); // nothing bound yet, and the file (if any) is not ours to remove
      throw err;
    }
    try {
      await new Promise<void>((resolve, reject) =>
        server.bindAsync(`unix:${settings.path}`, ServerCredentials.createInsecure(), (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      // After listen, not via umask: daprd may run as another user and needs write access (§1.6).
      await chmod(settings.path, settings.socketMode);
    } catch (err) {
      server.forceShutdown();
      await removeSocketFile(settings.path).catch(() => {});
      throw err;
    }
    return new SocketServer(
      { name, path: settings.path, services: componentServices },
      server,
      tables,
      streams,
      settings.logger,
    );
  }

  /** Ends open streams, drains unary calls (forcing after `drainTimeoutMs`), closes every instance, unlinks the file. */
  close(drainTimeoutMs: number): Promise<void> {
    this.closing ??= this.shutdown(drainTimeoutMs);
    return this.closing;
  }

  /** Second signal: stop everything now. */
  forceClose(): void {
    for (const stream of [...this.streams]) stream.close('closed by a forced shutdown');
    this.server.forceShutdown();
  }

  private async shutdown(drainTimeoutMs: number): Promise<void> {
    const { name, path } = this.info;
    for (const stream of [...this.streams]) stream.fail(new UnavailableError(`socket ${name} is shutting down`));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn('in-flight calls did not finish in time; forcing shutdown', { socket: name, drainTimeoutMs });
        this.server.forceShutdown();
        resolve();
      }, drainTimeoutMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await Promise.all(this.tables.map((table) => table.closeAll()));
    await removeSocketFile(path);
    this.logger.info('socket closed', { socket: name, path });
  }
}
