/**
 * One gRPC channel to a component socket, as daprd holds one per component instance: every call and stream
 * carries `x-component-instance`, and the receive limit is raised above grpc's 4 MiB default.
 */
import { resolve } from 'node:path';
import {
  type CallOptions,
  Client,
  type ClientDuplexStream,
  credentials,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import type { DaprkitError } from '../errors.js';
import { INSTANCE_HEADER } from '../server/instances.js';
import { methodDefinition, type ServiceName } from '../server/proto.js';

export const CLIENT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export function socketTarget(socketPath: string): string {
  return `unix:${resolve(socketPath)}`;
}

export function createClient(socketPath: string): Client {
  return new Client(socketTarget(socketPath), credentials.createInsecure(), {
    'grpc.max_receive_message_length': CLIENT_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': -1,
    // grpc-js shares connections between clients by default; daprd holds one connection per instance.
    'grpc.use_local_subchannel_pool': 1,
    // A local socket whose plugin restarted is back within moments: reconnect quickly instead of grpc's
    // default backoff, which grows to two minutes.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 2000,
  });
}

const NO_OPTIONS: CallOptions = Object.freeze({});

export type ErrorDecoder = (error: ServiceError) => DaprkitError;

export class RemoteChannel {
  private readonly client: Client;
  private readonly headers = new Metadata();

  constructor(
    socketPath: string,
    /** `undefined` sends no header at all (like daprd's discovery connection). */
    instanceName: string | undefined,
    private readonly timeoutMs?: number,
  ) {
    this.client = createClient(socketPath);
    if (instanceName !== undefined) this.headers.set(INSTANCE_HEADER, instanceName);
  }

  unary<Req, Res>(service: ServiceName, method: string, request: Req, decodeError: ErrorDecoder): Promise<Res> {
    const definition = methodDefinition<Req, Res>(service, method);
    return new Promise<Res>((resolvePromise, reject) => {
      this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        this.headers, // grpc-js copies it before adding its own headers: no per-call clone needed
        this.callOptions(),
        (err, response) => (err ? reject(decodeError(err)) : resolvePromise(response as Res)),
      );
    });
  }

  bidi<Req, Res>(service: ServiceName, method: string): ClientDuplexStream<Req, Res> {
    const definition = methodDefinition<Req, Res>(service, method);
    return this.client.makeBidiStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      this.headers,
    );
  }

  close(): void {
    this.client.close();
  }

  private callOptions(): CallOptions {
    return this.timeoutMs === undefined ? NO_OPTIONS : { deadline: Date.now() + this.timeoutMs };
  }
}
