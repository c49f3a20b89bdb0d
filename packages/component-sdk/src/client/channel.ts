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
import { currentCallMetadata } from '../transport/call-metadata.js';
import { GrpcClient } from '../transport/grpc-client.js';

/** The client's gRPC engine: the daprkit engine (default) or grpc-js (`DAPRKIT_CLIENT_TRANSPORT=grpc-js`). */
export type ClientTransport = 'grpc-js' | 'daprkit';
export const CLIENT_TRANSPORT_ENV_VAR = 'DAPRKIT_CLIENT_TRANSPORT';

export function resolveClientTransport(explicit?: string, env: NodeJS.ProcessEnv = process.env): ClientTransport {
  const value = explicit ?? (env[CLIENT_TRANSPORT_ENV_VAR] || undefined) ?? 'daprkit';
  if (value !== 'grpc-js' && value !== 'daprkit') {
    throw new Error(
      `unknown client transport '${value}' (${CLIENT_TRANSPORT_ENV_VAR} or the transport option): use daprkit or grpc-js`,
    );
  }
  return value;
}

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
    'grpc.initial_reconnect_backoff_ms': 50,
    'grpc.max_reconnect_backoff_ms': 250,
  });
}

const NO_OPTIONS: CallOptions = Object.freeze({});

export type ErrorDecoder = (error: ServiceError) => DaprkitError;

export class RemoteChannel {
  private readonly client: Client | undefined;
  private readonly engine: GrpcClient | undefined;
  private readonly headers = new Metadata();

  constructor(
    socketPath: string,
    /** `undefined` sends no header at all (like daprd's discovery connection). */
    instanceName: string | undefined,
    private readonly timeoutMs?: number,
    transport: ClientTransport = resolveClientTransport(),
  ) {
    if (transport === 'daprkit') {
      this.engine = new GrpcClient(resolve(socketPath), {
        maxMessageBytes: CLIENT_MAX_MESSAGE_BYTES,
        metadata: instanceName === undefined ? [] : [[INSTANCE_HEADER, instanceName]],
      });
    } else {
      this.client = createClient(socketPath);
    }
    if (instanceName !== undefined) this.headers.set(INSTANCE_HEADER, instanceName);
  }

  unary<Req, Res>(service: ServiceName, method: string, request: Req, decodeError: ErrorDecoder): Promise<Res> {
    const definition = methodDefinition<Req, Res>(service, method);
    if (this.engine !== undefined) {
      let bytes: Buffer;
      try {
        bytes = definition.requestSerialize(request);
      } catch (err) {
        return Promise.reject(err);
      }
      return this.engine.unary(definition.path, bytes, this.timeoutMs, currentCallMetadata()).then(
        (response) => definition.responseDeserialize(response),
        (err: ServiceError) => Promise.reject(decodeError(err)),
      );
    }
    const client = this.client!;
    return new Promise<Res>((resolvePromise, reject) => {
      client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        this.metadataForCall(), // grpc-js copies it before adding its own headers: no per-call clone needed
        this.callOptions(),
        (err, response) => (err ? reject(decodeError(err)) : resolvePromise(response as Res)),
      );
    });
  }

  bidi<Req, Res>(service: ServiceName, method: string): ClientDuplexStream<Req, Res> {
    const definition = methodDefinition<Req, Res>(service, method);
    if (this.engine !== undefined) {
      return this.engine.bidi(
        definition.path,
        definition.requestSerialize as (value: unknown) => Buffer,
        definition.responseDeserialize as (bytes: Buffer) => unknown,
        currentCallMetadata(),
      ) as unknown as ClientDuplexStream<Req, Res>;
    }
    return this.client!.makeBidiStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      this.metadataForCall(),
    );
  }

  /** The channel's headers, plus this call's own pairs (withCallMetadata) in a copy when there are any. */
  private metadataForCall(): Metadata {
    const extra = currentCallMetadata();
    if (extra === undefined || extra.length === 0) return this.headers;
    const metadata = this.headers.clone();
    for (const [name, value] of extra) metadata.set(name, name.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
    return metadata;
  }

  close(): void {
    this.client?.close();
    this.engine?.close();
  }

  private callOptions(): CallOptions {
    return this.timeoutMs === undefined ? NO_OPTIONS : { deadline: Date.now() + this.timeoutMs };
  }
}
