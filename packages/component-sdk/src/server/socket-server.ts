/**
 * One socket = one gRPC server hosting every kind registered under one socket name, plus reflection. The server is
 * the daprkit engine (our own HTTP/2 on node:net, the default) or grpc-js (`transport: 'grpc-js'`).
 */
import { chmod } from 'node:fs/promises';
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { UnavailableError } from '../errors.js';
import type { Transport } from '../transport/choice.js';
import { GrpcServer, type MethodShape } from '../transport/grpc-server.js';
import type { Logger } from '../v1/common.js';
import type { ComponentDefinition, ComponentKind } from '../v1/definition.js';
import type { StreamRegistry } from './acking-stream.js';
import { inputBindingServices, outputBindingServices } from './bindings-service.js';
import { InstanceTable } from './instances.js';
import type { PluginMetrics } from './metrics.js';
import { ServiceName, serviceDefinition } from './proto.js';
import { pubSubServices } from './pubsub-service.js';
import { ReflectionView, reflectionService } from './reflection.js';
import { secretStoreServices } from './secretstore-service.js';
import { prepareSocketPath, removeSocketFile, socketFolderWarnings } from './socket-files.js';
import { stateServices } from './state-service.js';

export interface ServedSocket {
  /** Socket name: daprd registers `<category>.<name>` types from it. */
  name: string;
  path: string;
  /** Component services registered (and listed by reflection) on this socket. */
  services: string[];
  /** Testing only: the TCP port when listening on TCP instead of the socket. */
  tcpPort?: number;
}

export {
  DEFAULT_TRANSPORT,
  resolveTransport,
  TRANSPORT_ENV_VAR,
  TRANSPORTS,
  type Transport,
} from '../transport/choice.js';

export interface SocketSettings {
  folder: string;
  path: string;
  socketMode: number;
  maxMessageBytes: number;
  logger: Logger;
  transport: Transport;
  /** Testing only (h2spec): listen on 127.0.0.1:port instead of the unix socket (daprkit engine). */
  tcpPort?: number;
  /** Measure every unary call (the plugin metrics endpoint); undefined = no wrapping at all. */
  metrics?: PluginMetrics;
}

/** The two engines behind one face. */
interface EngineServer {
  addService(service: ServiceName, implementation: UntypedServiceImplementation): void;
  /** Binds; resolves with the TCP port when listening on TCP. */
  listen(settings: SocketSettings): Promise<number | undefined>;
  tryShutdown(callback: () => void): void;
  forceShutdown(): void;
}

function grpcJsServer(maxMessageBytes: number): EngineServer {
  const server = new Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
  });
  return {
    addService: (service, implementation) =>
      server.addService(serviceDefinition(service) as ServiceDefinition, implementation),
    listen: (settings) =>
      new Promise((resolve, reject) => {
        const address = settings.tcpPort !== undefined ? `127.0.0.1:${settings.tcpPort}` : `unix:${settings.path}`;
        server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) =>
          err ? reject(err) : resolve(settings.tcpPort !== undefined ? port : undefined),
        );
      }),
    tryShutdown: (callback) => server.tryShutdown(() => callback()),
    forceShutdown: () => server.forceShutdown(),
  };
}

function daprkitServer(maxMessageBytes: number): EngineServer {
  const server = new GrpcServer({ maxMessageBytes });
  return {
    addService: (service, implementation) =>
      server.addService(
        serviceDefinition(service) as unknown as Record<string, MethodShape>,
        implementation as Record<string, unknown>,
      ),
    listen: async (settings) => {
      if (settings.tcpPort !== undefined) {
        const address = await server.listen({ host: '127.0.0.1', port: settings.tcpPort });
        return (address as { port: number }).port;
      }
      await server.listen({ path: settings.path });
      return undefined;
    },
    tryShutdown: (callback) => server.tryShutdown(callback),
    forceShutdown: () => server.forceShutdown(),
  };
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
    private readonly server: EngineServer,
    private readonly tables: InstanceTable<ComponentKind>[],
    private readonly streams: StreamRegistry,
    private readonly logger: Logger,
  ) {}

  static async start(
    name: string,
    definitions: ComponentDefinition[],
    settings: SocketSettings,
  ): Promise<SocketServer> {
    const server =
      settings.transport === 'grpc-js'
        ? grpcJsServer(settings.maxMessageBytes)
        : daprkitServer(settings.maxMessageBytes);
    const streams: StreamRegistry = new Set();
    const tables: InstanceTable<ComponentKind>[] = [];
    const componentServices: string[] = [];
    for (const definition of definitions) {
      const { table, services } = servicesOf(definition, name, streams, settings.logger);
      tables.push(table);
      for (const [service, implementation] of services) {
        server.addService(service, settings.metrics?.instrument(name, service, implementation) ?? implementation);
        componentServices.push(service);
      }
    }
    const reflection = reflectionService(new ReflectionView(componentServices));
    server.addService(ServiceName.ReflectionV1Alpha, reflection);
    server.addService(ServiceName.ReflectionV1, reflection);

    let tcpPort: number | undefined;
    if (settings.tcpPort === undefined) {
      try {
        await prepareSocketPath(settings.folder, settings.path);
        for (const warning of await socketFolderWarnings(settings.folder)) settings.logger.warn(warning);
      } catch (err) {
        server.forceShutdown(); // nothing bound yet, and the file (if any) is not ours to remove
        throw err;
      }
    }
    try {
      tcpPort = await server.listen(settings);
      // After listen, not via umask: owner and group by default (daprd may run as another user of the group).
      if (settings.tcpPort === undefined) await chmod(settings.path, settings.socketMode);
    } catch (err) {
      server.forceShutdown();
      await removeSocketFile(settings.path).catch(() => {});
      throw err;
    }
    return new SocketServer(
      tcpPort === undefined
        ? { name, path: settings.path, services: componentServices }
        : { name, path: settings.path, services: componentServices, tcpPort },
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
    if (this.info.tcpPort === undefined) await removeSocketFile(path);
    this.logger.info('socket closed', { socket: name, path });
  }
}
